"""`--weights SPEC`: how the constants of the MAC layers are stored (issue 73).

SPEC is a comma-separated list of parts:

    lut:BITS            weight sharing: each layer's int8 weights clustered into 2**BITS values
    lut:BITS:tensor     (BITS 2..6), stored as packed indices plus the table; one table per
    lut:BITS:channel    tensor or one per output channel (plain lut:BITS: see DEFAULT_LUT_AXIS)
    huffman             entropy-coded weights, decoded while the layer runs

e.g. `--weights lut:4`, `--weights lut:4:channel,huffman`. None (no option): int8 as before.
"""

from __future__ import annotations

from dataclasses import dataclass

from tinygen.errors import UsageError

LUT_BITS = range(2, 7)
LUT_AXES = ("tensor", "channel")
# one table per tensor: on the MLPerf KWS and IC models (docs/models.md) it took the least flash at
# about the same accuracy as per-channel tables at 4 bits (KWS 0.51x vs 0.75x of int8)
DEFAULT_LUT_AXIS = "tensor"
EXAMPLE = "e.g. --weights lut:4, --weights lut:3:tensor or --weights lut:4,huffman"


@dataclass(frozen=True)
class WeightSpec:
    lut_bits: int | None = None          # None: no weight sharing
    lut_axis: str = DEFAULT_LUT_AXIS     # "tensor" or "channel"
    huffman: bool = False

    def describe(self) -> str:
        parts = [f"lut:{self.lut_bits}:{self.lut_axis}"] if self.lut_bits else []
        return ",".join(parts + (["huffman"] if self.huffman else [])) or "int8"


def parse_weights(text: str | None) -> WeightSpec | None:
    """The spec `--weights TEXT` names; a UsageError in one line for anything else."""
    if text is None:
        return None
    lut_bits, lut_axis, huffman = None, DEFAULT_LUT_AXIS, False
    parts = [p.strip() for p in text.split(",")]
    for part in parts:
        fields = part.split(":")
        if fields[0] == "lut" and len(fields) in (2, 3):
            if lut_bits is not None:
                raise UsageError(f"--weights {text}: lut is given twice", EXAMPLE)
            if not fields[1].isdigit() or int(fields[1]) not in LUT_BITS:
                raise UsageError(f"--weights {text}: lut takes 2 to 6 bits, not {fields[1]!r}", EXAMPLE)
            if len(fields) == 3 and fields[2] not in LUT_AXES:
                raise UsageError(f"--weights {text}: a table per {fields[2]!r}?", "say lut:BITS:tensor or lut:BITS:channel")
            lut_bits, lut_axis = int(fields[1]), fields[2] if len(fields) == 3 else DEFAULT_LUT_AXIS
        elif part == "huffman":
            huffman = True
        else:
            raise UsageError(f"--weights {text}: unknown part {part!r}", EXAMPLE)
    return WeightSpec(lut_bits, lut_axis, huffman)


__all__ = ["DEFAULT_LUT_AXIS", "LUT_AXES", "LUT_BITS", "WeightSpec", "parse_weights"]
