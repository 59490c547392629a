"""Per-build defines that leave the sign's ADD out of out-of-line DSP kernels.

The DSP kernels requantize with TFLite's exact rounding, y = SSAT8((SMMLAR(2 acc, M, R) +
(acc >> 31)) >> n): the `+ (acc >> 31)` (the sign's ADD) only lowers an output at an exact tie
below zero, to at most the output zero point minus 1, which a clamp at act_min >= the zero
point raises to act_min anyway (tinygen.kernels.specialize.sign_add_needed). A specialized
layer drops it per layer (specialize.POS); an out-of-line kernel is one copy for every layer
that calls it, so there the build passes -D<NAME>=0 when every layer of the firmware (every
switch's) whose kernel compiles the header testing NAME needs no sign's ADD, and leaves the
kernel as it is otherwise. One copy either way: no flash for a second one.
"""

from __future__ import annotations

from dataclasses import dataclass

from tinygen.codegen.emit import kernel_files
from tinygen.ir import Graph
from tinygen.kernels.specialize import sign_add_needed
from tinygen.kernels.table import KERNELS_BY_NAME
from tinygen.switches import switch_graphs


@dataclass(frozen=True)
class SignDefine:
    name: str                 # the C macro, 1 (the ADD) unless the build defines it 0
    header: str               # the firmware header (relative to firmware/) that tests it
    kernels: frozenset        # the kernels whose layers' act_min / output_offset are the clamp after it


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


def _layers(graph: Graph):
    return [n for _, g in switch_graphs(graph) for n in g.nodes if n.kernel]


def sign_add_left_out(graph: Graph) -> list[str]:
    """The SIGN_DEFINES this build sets to 0: some layer compiles the define's header, and every
    such layer is of one of its kernels and needs no sign's ADD."""
    layers = _layers(graph)
    files = {k: kernel_files(KERNELS_BY_NAME[k]) for k in {n.kernel for n in layers}}
    out = []
    for d in SIGN_DEFINES:
        reaching = [n for n in layers if d.header in files[n.kernel]]
        if reaching and all(n.kernel in d.kernels and not sign_add_needed(n.attrs["kparams"]) for n in reaching):
            out.append(d.name)
    return out


def sign_add_flags(graph: Graph) -> tuple[str, ...]:
    """The compile flags of sign_add_left_out (the generated build adds them to CFLAGS)."""
    return tuple(f"-D{name}=0" for name in sign_add_left_out(graph))


__all__ = ["SIGN_DEFINES", "SignDefine", "sign_add_flags", "sign_add_left_out"]
