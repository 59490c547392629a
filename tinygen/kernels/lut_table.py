"""Kernel specifications of the shared-weight (LUT) kernels (firmware/kernels/lut/LUT.md):
the MAC layers whose weight tensor carries a Codebook (--weights lut:BITS, a TFLite Micro
compressed model's DECODE, tinygen.nn's trained centroids) read it as packed indices plus
tables, decoded in the kernel's inner loop. Their numpy twins are the int8 kernels' (the
weight tensor's data is the decoded codebook), so they are bit-exact by construction of the
packing; they take the packed constant in place of the weights.
"""

from __future__ import annotations

from tinygen.kernels.spec import _REQUANT, KernelSpec
from tinygen.quant.pack_lut import pack_lut

# where a MAC op's weight tensor has its output channels (per-channel tables are along it)
OUT_AXIS = {"conv2d": 0, "conv2d_add": 0, "fully_connected": 0, "depthwise_conv2d": 3}
# the axis of LUT.md's rows (one per output channel); None: the tensor is one row (depthwise)
ROW_AXIS = {"conv2d": 0, "conv2d_add": 0, "fully_connected": 0, "depthwise_conv2d": None}
_HEADERS = ("kernels/tg_kernels_lut.h",)


def shares_weights(graph, node) -> bool:
    """Whether the node's weights carry a codebook the LUT kernels read: tables for the
    tensor or per output channel, on a plain int8 layer (not a low-bit format)."""
    name = node.params[0].get("weight") if node.params else None
    cb = graph.tensor(name).codebook if name is not None else None
    return (cb is not None and node.op in OUT_AXIS and "weight_format" not in node.attrs
            and cb.axis in (None, OUT_AXIS[node.op]) and 1 <= cb.bits <= 8)


def _pack(op: str):
    def pack(p: dict, consts: dict):
        return pack_lut(consts["codebook"], ROW_AXIS[op])
    return pack


def _spec(name: str, op: str, struct: str, twin: str) -> KernelSpec:
    return KernelSpec(name, op, weight_dtype="int8", weight_bits=8, struct=struct,
                      const_roles=("packed",) + _REQUANT[1:], source=f"kernels/{name}.c", twin=twin,
                      headers=_HEADERS, pack=_pack(op), ref_roles=_REQUANT, accepts=shares_weights)


LUT_KERNELS: tuple[KernelSpec, ...] = (
    _spec("tg_conv2d_lut_s8", "conv2d", "tg_conv2d_params_t", "conv2d_s8"),
    _spec("tg_conv2d_add_lut_s8", "conv2d_add", "tg_conv2d_add_params_t", "conv2d_add_s8"),
    _spec("tg_depthwise_conv2d_lut_s8", "depthwise_conv2d", "tg_conv2d_params_t", "depthwise_conv2d_s8"),
    _spec("tg_fully_connected_lut_s8", "fully_connected", "tg_fully_connected_params_t", "fully_connected_s8"),
)
LUT_NAMES = frozenset(spec.name for spec in LUT_KERNELS)

__all__ = ["LUT_KERNELS", "LUT_NAMES", "OUT_AXIS", "ROW_AXIS", "shares_weights"]
