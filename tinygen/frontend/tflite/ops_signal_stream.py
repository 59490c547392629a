"""TFLite Micro's signal library, the streaming operators whose state carries over invocations:
SignalDelay (each row of int16 samples delayed by delay_length samples, zeros first), SignalFramer
(frames of frame_size samples every frame_step, from a ring buffer of the samples before),
SignalStacker (num_channels values stacked with their left and right context), SignalOverlapAdd
(frames added where they overlap, frame_step samples given out per frame), and TFLite Micro's
CIRCULAR_BUFFER (int8 frames kept as a window of num_slots, the newest last). Their options are read
as TFLite Micro's Init reads them (signal/micro/kernels/*.cc); the handlers register in
ops_signal.SIGNAL_OPS.

The framer and stacker also say whether their output holds a whole frame (a bool scalar): an IR
node of its own (signal_stream_valid) reading the flag the frame's kernel keeps in its state (attr
state_of), after it. Where TFLite Micro has no whole frame it leaves its output as it was; tinygen
writes zeros there (the flag is false)."""

from __future__ import annotations

from tflite.TensorType import TensorType

from tinygen.errors import ModelError, UnsupportedOpError
from tinygen.frontend.tflite.ops_signal import SIGNAL_OPS, SignalOps
from tinygen.ir import Node

SIGNAL_OPS.update({"SignalDelay": "signal_delay", "SignalFramer": "signal_framer",
                   "SignalStacker": "signal_stacker", "SignalOverlapAdd": "signal_overlap_add",
                   # TFLite Micro's own streaming custom operator (not the signal library's; the
                   # registry is that of the CUSTOM operators tinygen imports)
                   "CIRCULAR_BUFFER": "circular_buffer"})

# a delay longer than this many samples is refused (its state would outgrow a microcontroller's RAM)
MAX_DELAY = 1 << 16
# the most samples a framer's or stacker's ring buffer holds (its count is kept as an int16)
MAX_RING = 1 << 14


class SignalStreamOps(SignalOps):
    """signal_delay, signal_framer, signal_stacker, signal_overlap_add (SIGNAL_OPS)."""

    def _stream_input(self, ins, outs, ttype: int = TensorType.INT16) -> str:
        self.expect_types([ins[0], outs[0]], ttype, "tensor")
        if self.is_const(ins[0]):
            raise UnsupportedOpError(f"{self.where}the input is a constant", "fold it before converting the model")
        return self.activation(ins[0])

    def _valid(self, i, frames: Node, out: int, source: str) -> Node:
        """The bool scalar saying whether `frames` holds whole frames: its kernel's flag."""
        self.expect_types([out], TensorType.BOOL, "the valid output")
        if self.shape(out) != ():
            raise ModelError(f"{self.where}the valid output has shape {list(self.shape(out))}, not a scalar")
        return self.signal_node(i, "signal_stream_valid", [frames.outputs[0]], out, {"state_of": frames.name}, {},
                                source, ())

    def signal_delay(self, i, op, ins, outs, source) -> list[Node]:
        self.expect_arity(ins, outs, 1, 1)
        delay = self.option(self.custom_options(op), "delay_length", 1, MAX_DELAY)
        x = self._stream_input(ins, outs)
        return [self.signal_node(i, "signal_delay", [x], outs[0], {"delay_length": delay}, {}, source,
                                 self.graph.tensors[x].shape)]

    def signal_framer(self, i, op, ins, outs, source) -> list[Node]:
        self.expect_arity(ins, outs, 1, 2)
        options = self.custom_options(op)
        size = self.option(options, "frame_size", 1, MAX_RING)
        step = self.option(options, "frame_step", 1, MAX_RING)
        prefill = bool(options.get("prefill", False))
        x = self._stream_input(ins, outs)
        shape = self.graph.tensors[x].shape
        if not shape or shape[-1] < step or shape[-1] % step:
            raise UnsupportedOpError(f"{self.where}the input's last dimension ({shape[-1] if shape else 1}) must "
                                     f"be a whole number of frame steps ({step}), as TFLite Micro requires")
        if prefill and size < step:
            raise UnsupportedOpError(f"{self.where}prefill with frame_size {size} below frame_step {step}: TFLite "
                                     "Micro would prefill a negative count of zeros")
        frames = self.signal_node(i, "signal_framer", [x], outs[0], {"frame_size": size, "frame_step": step,
                                                                    "prefill": int(prefill)}, {}, source,
                                  shape[:-1] + (shape[-1] // step, size))
        return [frames, self._valid(i, frames, outs[1], source)]

    def signal_stacker(self, i, op, ins, outs, source) -> list[Node]:
        self.expect_arity(ins, outs, 1, 2)
        options = self.custom_options(op)
        channels = self.option(options, "num_channels", 1, MAX_RING)
        left = self.option(options, "stacker_left_context", 0, MAX_RING)
        right = self.option(options, "stacker_right_context", 0, MAX_RING)
        step = self.option(options, "stacker_step", 1, left + right + 1)
        x = self._stream_input(ins, outs)
        if self.graph.tensors[x].shape != (channels,) or channels * (left + right + 1) > MAX_RING:
            raise UnsupportedOpError(f"{self.where}takes a 1-D input of num_channels = {channels} values and stacks "
                                     f"at most {MAX_RING}, not {list(self.graph.tensors[x].shape)} stacked "
                                     f"{left + right + 1} times")
        stacked = self.signal_node(i, "signal_stacker", [x], outs[0], {"num_channels": channels, "left_context": left,
                                                                      "right_context": right, "step": step}, {},
                                   source, (channels * (left + right + 1),))
        return [stacked, self._valid(i, stacked, outs[1], source)]

    def signal_overlap_add(self, i, op, ins, outs, source) -> list[Node]:
        self.expect_arity(ins, outs, 1, 1)
        options = self.custom_options(op)
        ttype = self.element_type(options, (TensorType.INT16, TensorType.FLOAT32),
                                  "tinygen overlap-adds int16 and float32 frames only, as TFLite Micro")
        x = self._stream_input(ins, outs, ttype)
        shape = self.graph.tensors[x].shape
        step = self.option(options, "frame_step", 1, shape[-1] if shape else 1)
        if len(shape) < 2:
            raise UnsupportedOpError(f"{self.where}the input must be frames [..., n_frames, frame_size], not "
                                     f"{list(shape)}")
        return [self.signal_node(i, "signal_overlap_add", [x], outs[0], {"frame_step": step}, {}, source,
                                 shape[:-2] + (shape[-2] * step,))]

    def circular_buffer(self, i, op, ins, outs, source) -> list[Node]:
        """TFLite Micro's CIRCULAR_BUFFER: input [N, 1, W, C] int8 joins the output window [N, slots,
        W, C] (the oldest frame leaves). Where cycles_max is not 1, TFLite Micro aborts the rest of the
        invocation on all but every cycles_max-th call: refused. TFLite Micro's window is its output
        tensor, kept between invocations only where nothing else is planned over it (a variable
        tensor: then at the zero point at the start and after a reset, as tinygen's always is)."""
        self.expect_arity(ins, outs, 1, 1)
        self.expect_types([ins[0], outs[0]], TensorType.INT8, "tensor")
        x = self.activation(ins[0])
        shape, out = self.graph.tensors[x].shape, self.shape(outs[0])
        if len(shape) != 4 or len(out) != 4 or shape[1] != 1 or shape[0] != out[0] or shape[2:] != out[2:] or out[0] != 1:
            raise UnsupportedOpError(f"{self.where}takes an input [1, 1, W, C] and an output [1, slots, W, C], not "
                                     f"{list(shape)} and {list(out)}")
        options = self.custom_options(op)
        cycles = int(options.get("cycles_max", 0))
        if cycles <= 0:         # TFLite Micro's guess from the shape (one of its guesses counts calls: left out)
            cycles = 1 if out[1] in (5, 13, 25) else 2
        if cycles != 1:
            raise UnsupportedOpError(f"{self.where}runs the rest of the model every {cycles} invocations (TFLite "
                                     "Micro aborts the others after it): tinygen runs every operator at every "
                                     "invocation", "give it cycles_max = 1 and call the model every frame")
        return [self.signal_node(i, "circular_buffer", [x], outs[0], {}, {}, source, out)]
