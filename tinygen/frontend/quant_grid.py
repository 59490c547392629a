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


def code_range(bits: int, signed: bool, narrow: bool) -> tuple[int, int]:
    """The integer codes of a `bits`-bit grid (narrow: the most negative code left out)."""
    if signed:
        return -(2 ** (bits - 1)) + int(narrow), 2 ** (bits - 1) - 1
    return 0, 2 ** bits - 1 - int(narrow)


def code_bits(lo: int, hi: int) -> int | None:
    """The fewest bits of a signed grid holding codes lo..hi (lo < 0 < hi), narrow or not: 4 for
    -7..7 and -8..7 (Brevitas' 4-bit QCDQ Clip); None for other bounds."""
    for bits in range(2, 9):
        if lo < 0 < hi and code_range(bits, True, True)[0] >= lo >= code_range(bits, True, False)[0] \
                and hi == code_range(bits, True, False)[1]:
            return bits
    return None


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


# the storage of sub-byte uniform weights (passes/lower_bits.py packs them, choose_kernels picks their kernels)
SUBBYTE_FORMATS = {4: "s4", 2: "s2"}


def lowbit_config(grid: Grid, weight_bits: int, op: str) -> dict:
    """A MAC layer's attrs["lowbit"] (tinygen.nn's layer config: passes/quantize_lowbit.py and
    lower_bits.py read it) for `weight_bits`-bit symmetric integer weights and an input on `grid`;
    a depthwise convolution's weights are int8 whatever their width (the low-bit kernels are full
    convolutions). Shared by QONNX and QDQ ONNX (Brevitas' QCDQ export)."""
    act, s_in, zp = grid.act()
    spec = weight_spec(weight_bits)
    if op == "depthwise_conv2d" and spec.kind != "int8":
        spec = weight_spec(8)
    return {"weight": spec.as_dict(), "act": act, "pad_value": 0, "act_scale": s_in, "act_zero_point": zp}
