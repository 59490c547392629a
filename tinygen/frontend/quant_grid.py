"""The grid of a tensor that a quantization toolchain (Brevitas, QONNX) quantized, and the
tinygen.nn input quantizer it is: shared by tinygen/frontend/torch_brevitas.py and
tinygen/frontend/onnx/qonnx.py (neither imports the other's framework)."""

from __future__ import annotations

from dataclasses import dataclass

from tinygen.errors import ModelError
from tinygen.quant.lowbit import SUBBYTE_BITS, WeightQuant

HINT = ("quantize each layer's input with an 8-bit, unsigned 4- or 2-bit, or binary quantizer before it "
        "(Brevitas: a QuantIdentity / QuantReLU), and its weights symmetrically with 1, 2, 4 or up to 8 bits")


@dataclass(frozen=True)
class Grid:
    """A quantized tensor's grid: real = scale * (q - zero_point), q of `bits` bits."""

    scale: float
    zero_point: int
    bits: int
    signed: bool

    def act(self) -> tuple[dict, float, int]:
        """(tinygen.nn input quantizer {"kind", "bits"}, scale, zero point on tinygen's grid):
        binary has scale 1 (the grid's scale joins the weights'), unsigned 8-bit is int8 with
        its zero point moved by -128."""
        if self.bits == 1 and self.signed:
            return {"kind": "binary", "bits": 1}, 1.0, 0
        if self.bits == 8:
            return {"kind": "int8", "bits": 8}, self.scale, self.zero_point - (0 if self.signed else 128)
        if not self.signed and self.bits in SUBBYTE_BITS and self.zero_point == 0:
            return {"kind": "uniform", "bits": self.bits}, self.scale, 0
        raise ModelError(f"a {self.bits}-bit {'signed' if self.signed else 'unsigned'} input grid "
                         f"(zero point {self.zero_point}) has no tinygen kernel", hint=HINT)


def weight_spec(bits: int) -> WeightQuant:
    """The tinygen.nn weight quantizer of symmetric `bits`-bit integer weights: binary, 2- / 4-bit
    (packed), or int8 storage for 3 and 5 to 8 bits."""
    if bits == 1:
        return WeightQuant("binary", alpha="channel")
    if bits in SUBBYTE_BITS:
        return WeightQuant("uniform", bits=bits)
    if 2 < bits <= 8:
        return WeightQuant("int8")
    raise ModelError(f"{bits}-bit weights have no tinygen kernel", hint=HINT)
