"""TFLite Micro's signal library: the CUSTOM operators (custom code "Signal...") an audio front
end exported as a model is made of, on plain integers (Reader.plain_model). Each one's options
are a flexbuffer map (custom_options), read as TFLite Micro's Init reads them
(signal/micro/kernels/*.cc).

SIGNAL_OPS is the registry: custom code -> the Importer method that imports it. A handler
takes (i, op, ins, outs, source) with all of the operator's outputs and returns the IR nodes
that write them, in the order of `outs` (an operator of two outputs becomes two nodes of one
output each). The FilterBank* and PCAN handlers live in their own module (ops_signal_bank.py),
which adds its entries here. A Signal* operator not in SIGNAL_OPS is refused by name with the
other unsupported operators (Importer.check_ops)."""

from __future__ import annotations

from flatbuffers import flexbuffers
from tflite.TensorType import TensorType

from tinygen.errors import ModelError, UnsupportedOpError
from tinygen.frontend.tflite.builder import Builder
from tinygen.frontend.tflite.reader import TYPE_NAMES
from tinygen.ir import Node
from tinygen.ref.signal_fft import rfft_tables

# custom code -> Importer method (the FilterBank* and PCAN entries: ops_signal_bank.py)
SIGNAL_OPS: dict[str, str] = {
    "SignalWindow": "signal_window",
    "SignalFftAutoScale": "signal_fft_auto_scale",
    "SignalRfft": "signal_rfft",
    "SignalEnergy": "signal_energy",
    "SignalIrfft": "signal_irfft",
}


# SignalRfft's and SignalIrfft's types (their option T): the arithmetic kissfft computes each in
# (16- and 32-bit fixed point; None: float, tinygen.ref.signal_fft.rfft_tables)
RFFT_BITS = {TensorType.INT16: 16, TensorType.INT32: 32, TensorType.FLOAT32: None}


class SignalOps(Builder):
    """signal_window, signal_fft_auto_scale, signal_rfft, signal_irfft, signal_energy (SIGNAL_OPS)."""

    def custom_options(self, op) -> dict:
        """The operator's custom options: a flexbuffer map, as TFLite Micro's signal kernels
        read them ({} where there are none)."""
        if op.CustomOptionsLength() == 0:
            return {}
        try:
            value = flexbuffers.Loads(op.CustomOptionsAsNumpy().tobytes())
        except Exception as e:     # the flexbuffer reader fails in many ways on corrupt bytes
            raise ModelError(f"{self.where}its custom options are not a readable flexbuffer "
                             f"({type(e).__name__}: {e})") from None
        if not isinstance(value, dict):
            raise ModelError(f"{self.where}its custom options are a {type(value).__name__}, not a flexbuffer map")
        return value

    def option(self, options: dict, key: str, lo: int | None = None, hi: int | None = None) -> int:
        """An integer option; ModelError where it is missing or out of [lo, hi]."""
        if key not in options:
            raise ModelError(f"{self.where}its custom options lack {key!r}")
        value = int(options[key])
        if (lo is not None and value < lo) or (hi is not None and value > hi):
            raise UnsupportedOpError(f"{self.where}option {key} = {value} is outside [{lo}, {hi}]")
        return value

    def element_type(self, options: dict, allowed: tuple[int, ...], what: str) -> int:
        """The operator's element type (its option T), one of `allowed`; refused naming `what` else."""
        ttype = self.option(options, "T")
        if ttype not in allowed:
            raise UnsupportedOpError(f"{self.where}{what} (T is {TYPE_NAMES.get(ttype, ttype)})")
        return ttype

    def expect_types(self, indices, want: int, what: str) -> None:
        """Each tensor of `indices` has TensorType `want` (TFLite Micro's Prepare checks)."""
        for index in indices:
            if self.tensor(index).Type() != want:
                raise UnsupportedOpError(f"{self.where}{what} {self.tname(index)!r} is "
                                         f"{TYPE_NAMES.get(self.tensor(index).Type())}; expected "
                                         f"{TYPE_NAMES.get(want)}")

    def expect_arity(self, ins, outs, n_in: int, n_out: int) -> None:
        if len(ins) != n_in or len(outs) != n_out:
            raise ModelError(f"{self.where}has {len(ins)} inputs and {len(outs)} outputs; "
                             f"expected {n_in} and {n_out}")

    def signal_node(self, i, op_name: str, inputs: list[str], out: int, attrs: dict, params: dict,
                    source: str, shape=None) -> Node:
        """An IR node of a signal operator writing the file's tensor `out`."""
        return self.add_node(i, op_name, inputs, out, attrs, params, source, shape)

    # -- the operators ----------------------------------------------------------
    def signal_window(self, i, op, ins, outs, source) -> list[Node]:
        self.expect_arity(ins, outs, 2, 1)
        self.expect_types([ins[0], ins[1], outs[0]], TensorType.INT16, "tensor")
        shift = self.option(self.custom_options(op), "shift", 0, 31)
        if not self.is_const(ins[1]) or len(self.shape(ins[1])) != 1:
            raise UnsupportedOpError(f"{self.where}the window weights must be a constant 1-D tensor")
        x = self.activation(ins[0])
        size = self.graph.tensors[x].size
        weights = self.shape(ins[1])[0]
        if size % weights:
            raise ModelError(f"{self.where}{size} input elements are not whole windows of {weights}")
        w = self.const(ins[1], f"signal_window_{i}", "weights", "int16")
        return [self.signal_node(i, "signal_window", [x], outs[0], {"shift": shift}, {"weights": w}, source,
                                 self.graph.tensors[x].shape)]

    def signal_fft_auto_scale(self, i, op, ins, outs, source) -> list[Node]:
        self.expect_arity(ins, outs, 1, 2)
        self.expect_types([ins[0], outs[0]], TensorType.INT16, "tensor")
        self.expect_types([outs[1]], TensorType.INT32, "the scale output")
        x = self.activation(ins[0])
        shape = self.graph.tensors[x].shape
        if len(shape) != 1 or self.shape(outs[1]) != ():
            raise UnsupportedOpError(f"{self.where}TFLite Micro takes a 1-D frame and gives a scalar shift, "
                                     f"not {list(shape)} and {list(self.shape(outs[1]))}")
        shift = self.signal_node(i, "signal_fft_auto_scale_shift", [x], outs[1], {}, {}, source, ())
        scaled = self.signal_node(i, "signal_fft_auto_scale", [x, shift.outputs[0]], outs[0], {}, {}, source, shape)
        return [scaled, shift]

    def signal_rfft(self, i, op, ins, outs, source) -> list[Node]:
        self.expect_arity(ins, outs, 1, 1)
        options = self.custom_options(op)
        ttype = self.option(options, "T")
        if ttype not in RFFT_BITS:
            raise UnsupportedOpError(f"{self.where}only the int16, int32 and float32 real FFTs are supported, as "
                                     f"in TFLite Micro (T is {TYPE_NAMES.get(ttype, ttype)})")
        self.expect_types([ins[0], outs[0]], ttype, "tensor")
        n = self.option(options, "fft_length", 2, 1 << 15)
        x = self.activation(ins[0])
        shape = self.graph.tensors[x].shape
        if n & (n - 1) or shape[-1] > n:
            raise UnsupportedOpError(f"{self.where}fft_length {n} must be a power of two of at least the frame "
                                     f"length {shape[-1]}")
        if n < 4:
            raise UnsupportedOpError(f"{self.where}fft_length {n}: tinygen computes real FFTs of 4 points or more")
        # kissfft's tables, built here once as kissfft builds them at its start (tinygen.ref.signal)
        tables = {role: self.graph.add_const(self.graph.unique_name(f"signal_rfft_{i}_{role}"), data).name
                  for role, data in zip(("twiddles", "super_twiddles", "order"), rfft_tables(n, RFFT_BITS[ttype]))}
        return [self.signal_node(i, "signal_rfft", [x], outs[0], {"fft_length": n}, tables, source,
                                 shape[:-1] + (n + 2,))]

    def signal_irfft(self, i, op, ins, outs, source) -> list[Node]:
        self.expect_arity(ins, outs, 1, 1)
        options = self.custom_options(op)
        ttype = self.element_type(options, tuple(RFFT_BITS), "only the int16, int32 and float32 inverse real FFTs "
                                  "are supported, as in TFLite Micro")
        self.expect_types([ins[0], outs[0]], ttype, "tensor")
        n = self.option(options, "fft_length", 4, 1 << 15)
        x = self.activation(ins[0])
        shape = self.graph.tensors[x].shape
        if n & (n - 1) or shape[-1] != n + 2 or self.shape(outs[0])[-1:] != (n,):
            raise UnsupportedOpError(f"{self.where}fft_length {n} must be a power of two, the input's last "
                                     f"dimension {n + 2} ((real, imag) pairs) and the output's {n}, not "
                                     f"{list(shape)} and {list(self.shape(outs[0]))}")
        tables = {role: self.graph.add_const(self.graph.unique_name(f"signal_irfft_{i}_{role}"), data).name
                  for role, data in zip(("twiddles", "super_twiddles", "order"),
                                        rfft_tables(n, RFFT_BITS[ttype], inverse=True))}
        return [self.signal_node(i, "signal_irfft", [x], outs[0], {"fft_length": n}, tables, source,
                                 shape[:-1] + (n,))]

    def signal_energy(self, i, op, ins, outs, source) -> list[Node]:
        self.expect_arity(ins, outs, 1, 1)
        self.expect_types([ins[0]], TensorType.INT16, "input")
        self.expect_types([outs[0]], TensorType.UINT32, "output")
        x = self.activation(ins[0])
        shape = self.graph.tensors[x].shape
        if len(shape) != 1 or shape[0] % 2:
            raise UnsupportedOpError(f"{self.where}the input must be 1-D (real, imag) pairs, not {list(shape)}")
        options = self.custom_options(op)
        bins = shape[0] // 2
        start = self.option(options, "start_index", 0, bins)
        end = self.option(options, "end_index", start, bins)
        return [self.signal_node(i, "signal_energy", [x], outs[0], {"start_index": start, "end_index": end}, {},
                                 source, (bins,))]
