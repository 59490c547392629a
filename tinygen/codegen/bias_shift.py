"""The per-build define that leaves the low-bit kernels' finer bias out.

The low-bit convolutions add their bias to acc * 2^bias_shift (LOWBIT.md: k > 0 only for a
toolchain's float bias finer than one accumulator unit, Brevitas and QONNX layers;
passes/quantize_lowbit.py). Every other layer has k = 0, and the shift done at run time costs
instructions and flash. firmware/kernels/lowbit/tg_lowbit_bias_shift.h tests
TG_LOWBIT_BIAS_SHIFT: the build passes -DTG_LOWBIT_BIAS_SHIFT=0 when every layer of the
firmware (every switch's) whose kernel compiles that header has k = 0
(tinygen.codegen.build_switches), and the kernels then add the bias to acc itself. The params
structs keep the field either way.
"""

from __future__ import annotations

from dataclasses import dataclass

from tinygen.codegen.build_switches import off_flags, switches_off
from tinygen.ir import Graph, Node


@dataclass(frozen=True)
class BiasShiftDefine:
    name: str
    header: str

    def off(self, node: Node) -> bool:
        """Whether the layer's kernel reads bias_shift 0 (absent from its params: 0)."""
        return not node.attrs.get("kparams", {}).get("bias_shift")


BIAS_SHIFT = BiasShiftDefine("TG_LOWBIT_BIAS_SHIFT", "kernels/tg_lowbit_bias_shift.h")


def bias_shift_left_out(graph: Graph) -> bool:
    """Whether this build sets TG_LOWBIT_BIAS_SHIFT to 0: some layer compiles its header, and
    every such layer has bias_shift 0."""
    return bool(switches_off(graph, (BIAS_SHIFT,)))


def bias_shift_flags(graph: Graph) -> tuple[str, ...]:
    """-DTG_LOWBIT_BIAS_SHIFT=0 where bias_shift_left_out, else none."""
    return off_flags(switches_off(graph, (BIAS_SHIFT,)))


__all__ = ["BIAS_SHIFT", "BiasShiftDefine", "bias_shift_flags", "bias_shift_left_out"]
