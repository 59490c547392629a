"""The per-build define that links only the cases of tg_depthwise_conv2d_kx1_s8_dsp a model runs.

tg_dw_kx1_run inlines the block loop once per tap-pair count (1..5 unrolled, longer kernels
counted at run time), stride (1, or 2 undilated) and clamp: 22 copies, about 12 KB of code on the
Cortex-M7, of which a model's layers run one or two. The kernel is one out-of-line copy for every
layer that calls it, so the build passes -DTG_DW_KX1_CASES=<mask>, the bits
(depthwise_kx1_dsp.kx1_case) of the cases its layers (every switch's) of that kernel run, as
tinygen/codegen/sign_add.py passes its defines. A layer whose case is left out would still equal
the reference (tg_dw_kx1_channel, one output at a time), only slower: the mask names every layer's.
"""

from __future__ import annotations

from tinygen.ir import Graph, Node
from tinygen.kernels.depthwise_kx1_dsp import kx1_case
from tinygen.switches import switch_graphs

KX1 = "tg_depthwise_conv2d_kx1_s8_dsp"


def case_flags(layers: list[Node]) -> tuple[str, ...]:
    """-DTG_DW_KX1_CASES=<the cases `layers` run, taking tg_depthwise_conv2d_kx1_s8_dsp>; none
    where `layers` is empty (the kernel is not linked)."""
    if not layers:
        return ()
    bits = [kx1_case(n.attrs["kparams"]) for n in layers]
    mask = sum(1 << b for b in set(bits) if b is not None)
    return (f"-DTG_DW_KX1_CASES=0x{mask:X}u",)


def kx1_case_flags(graph: Graph) -> tuple[str, ...]:
    """The compile flag of the layers (every switch's) of tg_depthwise_conv2d_kx1_s8_dsp (the
    generated build adds it to CFLAGS), none without such layers."""
    return case_flags([n for _, g in switch_graphs(graph) for n in g.nodes if n.kernel == KX1])


__all__ = ["KX1", "case_flags", "kx1_case_flags"]
