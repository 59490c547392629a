"""Per-build defines that leave the sign's ADD out of out-of-line DSP kernels.

The DSP kernels requantize with TFLite's exact rounding, y = SSAT8((SMMLAR(2 acc, M, R) +
(acc >> 31)) >> n): the `+ (acc >> 31)` (the sign's ADD) only lowers an output at an exact tie
below zero, to at most the output zero point minus 1, which a clamp at act_min >= the zero
point raises to act_min anyway (tinygen.kernels.specialize.sign_add_needed). A specialized
layer drops it per layer (specialize.POS); an out-of-line kernel is one copy for every layer
that calls it, so there the build passes -D<NAME>=0 when every layer of the firmware (every
switch's) whose kernel compiles the header testing NAME needs no sign's ADD, and leaves the
kernel as it is otherwise (tinygen.codegen.build_switches).
"""

from __future__ import annotations

from dataclasses import dataclass

from tinygen.codegen.build_switches import off_flags, switches_off
from tinygen.ir import Graph, Node
from tinygen.kernels.specialize import sign_add_needed


@dataclass(frozen=True)
class SignDefine:
    name: str                 # the C macro, 1 (the ADD) unless the build defines it 0
    header: str               # the firmware header (relative to firmware/) that tests it
    kernels: frozenset        # the kernels whose layers' act_min / output_offset are the clamp after it

    def off(self, node: Node) -> bool:
        """Whether the layer is of one of the define's kernels and needs no sign's ADD."""
        return node.kernel in self.kernels and not sign_add_needed(node.attrs["kparams"])


SIGN_DEFINES = (
    # TG_DW3_REQUANT: the 3x3 depthwise path, run by the generic, 3x3 and depth-multiplier
    # kernels (the gated kernels fold the gate into another clamp: their layers never qualify)
    SignDefine("TG_DW3_SIGN_ADD", "kernels/tg_depthwise_conv2d_3x3_rows_s8_dsp.h",
               frozenset({"tg_depthwise_conv2d_s8_dsp", "tg_depthwise_conv2d_3x3_s8_dsp",
                          "tg_depthwise_conv2d_3x3_dm_s8_dsp"})),
    SignDefine("TG_PW_SHALLOW_SIGN_ADD", "kernels/tg_conv2d_1x1_shallow_s8_dsp.c",
               frozenset({"tg_conv2d_1x1_shallow_s8_dsp"})),
    # 3x3 depthwise on narrow maps
    SignDefine("TG_DW3N_SIGN_ADD", "kernels/tg_depthwise_conv2d_3x3_narrow_s8_dsp.h",
               frozenset({"tg_depthwise_conv2d_3x3_narrow_s8_dsp"})),
)


def sign_add_left_out(graph: Graph) -> list[str]:
    """The SIGN_DEFINES this build sets to 0: some layer compiles the define's header, and every
    such layer is of one of its kernels and needs no sign's ADD."""
    return switches_off(graph, SIGN_DEFINES)


def sign_add_flags(graph: Graph) -> tuple[str, ...]:
    """The compile flags of sign_add_left_out (the generated build adds them to CFLAGS)."""
    return off_flags(sign_add_left_out(graph))


__all__ = ["SIGN_DEFINES", "SignDefine", "sign_add_flags", "sign_add_left_out"]
