"""TFLite Micro's signal library, the streaming operators whose state carries over invocations:
SignalDelay (each row of int16 samples delayed by delay_length samples, zeros first). Its option is
read as TFLite Micro's Init reads it (signal/micro/kernels/delay.cc); the handler registers in
ops_signal.SIGNAL_OPS."""

from __future__ import annotations

from tflite.TensorType import TensorType

from tinygen.errors import UnsupportedOpError
from tinygen.frontend.tflite.ops_signal import SIGNAL_OPS, SignalOps
from tinygen.ir import Node

SIGNAL_OPS.update({"SignalDelay": "signal_delay"})

# a delay longer than this many samples is refused (its state would outgrow a microcontroller's RAM)
MAX_DELAY = 1 << 16


class SignalStreamOps(SignalOps):
    """signal_delay (SIGNAL_OPS)."""

    def signal_delay(self, i, op, ins, outs, source) -> list[Node]:
        self.expect_arity(ins, outs, 1, 1)
        self.expect_types([ins[0], outs[0]], TensorType.INT16, "tensor")
        delay = self.option(self.custom_options(op), "delay_length", 1, MAX_DELAY)
        if self.is_const(ins[0]):
            raise UnsupportedOpError(f"{self.where}the input is a constant", "fold it before converting the model")
        x = self.activation(ins[0])
        return [self.signal_node(i, "signal_delay", [x], outs[0], {"delay_length": delay}, {}, source,
                                 self.graph.tensors[x].shape)]
