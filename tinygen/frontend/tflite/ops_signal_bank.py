"""TFLite Micro's signal library, the filter-bank half: SignalFilterBank, SignalFilterBankSquareRoot,
SignalFilterBankSpectralSubtraction (two IR nodes: the stateful noise estimate, then the signal
less it), SignalPCAN and SignalFilterBankLog, on plain integers (Reader.plain_model). Their options
are read as TFLite Micro's Init reads them (signal/micro/kernels/*.cc); what its Prepare checks
(types, ranks) is checked here, and the tables a kernel indexes by are checked to stay inside
their arrays. The handlers register in ops_signal.SIGNAL_OPS."""

from __future__ import annotations

import numpy as np
from tflite.TensorType import TensorType

from tinygen.errors import ModelError, UnsupportedOpError
from tinygen.frontend.tflite.ops_signal import SIGNAL_OPS, SignalOps
from tinygen.ir import Node
from tinygen.ir.ops import SPECTRAL_SUBTRACTION_ATTRS
from tinygen.ref.signal_bank import LOG_LUT

SIGNAL_OPS.update({
    "SignalFilterBank": "signal_filter_bank",
    "SignalFilterBankSquareRoot": "signal_filter_bank_sqrt",
    "SignalFilterBankSpectralSubtraction": "signal_spectral_subtraction",
    "SignalPCAN": "signal_pcan",
    "SignalFilterBankLog": "signal_filter_bank_log",
})

# SignalFilterBank's int16 table inputs after the spectrum, in TFLite Micro's order
_FILTER_BANK_TABLES = ("weights", "unweights", "freq_starts", "weight_starts", "widths")
# PCAN's gain table: 3 entries for levels 0..2, then 4 per power of two up to 2^31 (TFLite's
# WideDynamicFunction reads lut[4 * 32 - 6 + 2] at most)
_PCAN_LUT_ENTRIES = 4 * 32 - 3


class SignalBankOps(SignalOps):
    """signal_filter_bank, signal_filter_bank_sqrt, signal_spectral_subtraction, signal_pcan,
    signal_filter_bank_log (SIGNAL_OPS)."""

    def _channels(self, index: int, what: str) -> int:
        shape = self.shape(index)
        if len(shape) != 1:
            raise UnsupportedOpError(f"{self.where}{what} {self.tname(index)!r} must be 1-D (TFLite Micro's "
                                     f"signal kernels take one vector of channels), not {list(shape)}")
        return shape[0]

    def signal_filter_bank(self, i, op, ins, outs, source) -> list[Node]:
        self.expect_arity(ins, outs, 6, 1)
        self.expect_types([ins[0]], TensorType.UINT32, "input")
        self.expect_types(ins[1:], TensorType.INT16, "table")
        self.expect_types([outs[0]], TensorType.UINT64, "output")
        channels = self.option(self.custom_options(op), "num_channels", 1, 1 << 15)
        bins = self._channels(ins[0], "input")
        if self._channels(outs[0], "output") != channels:
            raise ModelError(f"{self.where}num_channels is {channels}, the output has {self.shape(outs[0])[0]}")
        if any(not self.is_const(k) for k in ins[1:]):
            raise UnsupportedOpError(f"{self.where}the filter bank's tables must be constants")
        tables = {role: self.buffer(k).astype(np.int64).reshape(-1) for role, k in zip(_FILTER_BANK_TABLES, ins[1:])}
        starts, wstarts, widths = tables["freq_starts"], tables["weight_starts"], tables["widths"]
        if not starts.size == wstarts.size == widths.size == channels + 1:
            raise ModelError(f"{self.where}the channel tables need num_channels + 1 = {channels + 1} entries, "
                             f"not {starts.size}, {wstarts.size}, {widths.size}")
        n_weights = min(tables["weights"].size, tables["unweights"].size)
        if np.any(widths < 0) or np.any(starts < 0) or np.any(wstarts < 0) or np.any(starts + widths > bins) \
                or np.any(wstarts + widths > n_weights):
            raise ModelError(f"{self.where}a channel's band leaves the {bins} input bins or the {n_weights} weights")
        x = self.activation(ins[0])
        name = f"signal_filter_bank_{i}"
        params = {role: self.const(k, name, role, "int16") for role, k in zip(_FILTER_BANK_TABLES, ins[1:])}
        return [self.signal_node(i, "signal_filter_bank", [x], outs[0], {"num_channels": channels}, params, source,
                                 (channels,))]

    def signal_filter_bank_sqrt(self, i, op, ins, outs, source) -> list[Node]:
        self.expect_arity(ins, outs, 2, 1)
        self.expect_types([ins[0]], TensorType.UINT64, "input")
        self.expect_types([ins[1]], TensorType.INT32, "the shift")
        self.expect_types([outs[0]], TensorType.UINT32, "output")
        if self.shape(ins[1]) != ():
            raise UnsupportedOpError(f"{self.where}the shift must be a scalar, not {list(self.shape(ins[1]))}")
        if self.is_const(ins[1]):
            raise UnsupportedOpError(f"{self.where}a constant shift is not supported",
                                     "the shift is SignalFftAutoScale's scalar output in TFLite Micro's front ends")
        n = self._channels(ins[0], "input")
        x, shift = self.activation(ins[0]), self.activation(ins[1])
        return [self.signal_node(i, "signal_filter_bank_sqrt", [x, shift], outs[0], {}, {}, source, (n,))]

    def signal_spectral_subtraction(self, i, op, ins, outs, source) -> list[Node]:
        self.expect_arity(ins, outs, 1, 2)
        self.expect_types([ins[0], *outs], TensorType.UINT32, "tensor")
        options = self.custom_options(op)
        n = self._channels(ins[0], "input")
        if self.option(options, "num_channels") != n:
            raise ModelError(f"{self.where}num_channels is {options['num_channels']}, the input has {n}")
        attrs = {key: self.option(options, key) for key in SPECTRAL_SUBTRACTION_ATTRS if key != "clamping"}
        for key in ("smoothing_bits", "spectral_subtraction_bits"):
            self.option(options, key, 0, 31)
        attrs["clamping"] = bool(options.get("clamping", False))
        x = self.activation(ins[0])
        estimate = self.signal_node(i, "signal_noise_estimate", [x], outs[1], dict(attrs), {}, source, (n,))
        out = self.signal_node(i, "signal_spectral_subtraction", [x, estimate.outputs[0]], outs[0], dict(attrs), {},
                               source, (n,))
        return [out, estimate]

    def signal_pcan(self, i, op, ins, outs, source) -> list[Node]:
        self.expect_arity(ins, outs, 3, 1)
        self.expect_types([ins[0], ins[1], outs[0]], TensorType.UINT32, "tensor")
        self.expect_types([ins[2]], TensorType.INT16, "the gain table")
        shift = self.option(self.custom_options(op), "snr_shift", 0, 63)
        n = self._channels(ins[0], "input")
        if self._channels(ins[1], "noise estimate") != n:
            raise ModelError(f"{self.where}the noise estimate has {self.shape(ins[1])[0]} channels, the input {n}")
        if not self.is_const(ins[2]) or self.buffer(ins[2]).size < _PCAN_LUT_ENTRIES:
            raise UnsupportedOpError(f"{self.where}the gain table must be a constant of at least "
                                     f"{_PCAN_LUT_ENTRIES} entries (one set for every power of two of a uint32)")
        lut = self.const(ins[2], f"signal_pcan_{i}", "gain_lut", "int16")
        x, noise = self.activation(ins[0]), self.activation(ins[1])
        return [self.signal_node(i, "signal_pcan", [x, noise], outs[0], {"snr_shift": shift}, {"gain_lut": lut},
                                 source, (n,))]

    def signal_filter_bank_log(self, i, op, ins, outs, source) -> list[Node]:
        self.expect_arity(ins, outs, 1, 1)
        self.expect_types([ins[0]], TensorType.UINT32, "input")
        self.expect_types([outs[0]], TensorType.INT16, "output")
        options = self.custom_options(op)
        attrs = {"output_scale": self.option(options, "output_scale", -(1 << 31), (1 << 31) - 1),
                 "correction_bits": self.option(options, "input_correction_bits", 0, 31)}
        n = self._channels(ins[0], "input")
        lut = self.graph.add_const(self.graph.unique_name(f"signal_filter_bank_log_{i}_log_lut"), LOG_LUT.copy(),
                                   "uint16")
        return [self.signal_node(i, "signal_filter_bank_log", [self.activation(ins[0])], outs[0], attrs,
                                 {"log_lut": lut.name}, source, (n,))]
