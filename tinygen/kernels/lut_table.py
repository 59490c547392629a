"""Kernel specifications of the shared-weight (LUT) kernels (firmware/kernels/lut/LUT.md):
the MAC layers whose weight tensor carries a Codebook (--weights lut:BITS, a TFLite Micro
compressed model's DECODE, tinygen.nn's trained centroids) read it as packed indices plus
tables, decoded in the kernel's inner loop. Their numpy twins are the int8 kernels' (the
weight tensor's data is the decoded codebook), so they are bit-exact by construction of the
packing; they take the packed constant in place of the weights.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from tinygen.kernels.depthwise_narrow_lut import narrow_lut_pack, narrow_lut_scratch
from tinygen.kernels.direct_dsp import conv2d_widen_dsp_scratch
from tinygen.kernels.dsp_depthwise_table import DEPTHWISE_3X3_NARROW_DSP, DEPTHWISE_WIDEN_DSP
from tinygen.kernels.dsp_table import (CONV2D_1X1_DSP, CONV2D_1X1_ROWS3_DSP, CONV2D_DSP, CONV2D_ROWS3_DSP,
                                       CONV2D_WIDEN_DSP, FC_DSP)
from tinygen.ir import WEIGHT_OUT_AXIS
from tinygen.kernels.lut_mve_pack import (conv2d_add_lut_mve, depthwise_lut_mve, depthwise_records_bytes,
                                          mat_mult_lut_mve, mat_mult_records_bytes)
from tinygen.kernels.lut_rv32_pack import blocks_bytes, blocks_lut_rv32, depthwise_bytes, depthwise_lut_rv32
from tinygen.kernels.mve_table import mve_kernels
from tinygen.kernels.rv32 import rv32_kernels
from tinygen.kernels.spec import _REQUANT, KernelSpec
from tinygen.kernels.specialize import (BOUNDED, FOLDED, GENERAL, LUT_DECODES, POS, requant_bounded, requant_folded,
                                        sign_add_needed)
from tinygen.quant.pack_lut import decoded_bytes, layer_rows, pack_lut

OUT_AXIS = WEIGHT_OUT_AXIS         # where a MAC op's weight tensor has its output channels (tinygen.ir)
# the axis of LUT.md's rows (one per output channel); None: the tensor is one row (depthwise)
ROW_AXIS = {"conv2d": 0, "conv2d_add": 0, "fully_connected": 0, "depthwise_conv2d": None}
_HEADERS = ("kernels/tg_kernels_lut.h",)
# the decode a specialized decoding layer calls before its int8 kernel's body (tinygen/codegen/lut_decode.py)
DECODER = "kernels/tg_lut_decode_weights.c"


def shares_weights(graph, node) -> bool:
    """Whether the node's weights carry a codebook the LUT kernels read: tables for the
    tensor or per output channel, on a plain int8 layer (not a low-bit format; a tinygen.nn
    layer's weight_format "int8" is plain int8 weights)."""
    name = node.params[0].get("weight") if node.params else None
    cb = graph.tensor(name).codebook if name is not None else None
    return (cb is not None and node.op in OUT_AXIS and node.attrs.get("weight_format", "int8") == "int8"
            and cb.axis in (None, OUT_AXIS[node.op]) and 1 <= cb.bits <= 8)


def _pack(op: str):
    def pack(p: dict, consts: dict):
        return pack_lut(consts["codebook"], ROW_AXIS[op])
    return pack


def _spec(name: str, op: str, struct: str, twin: str) -> KernelSpec:
    return KernelSpec(name, op, weight_dtype="int8", weight_bits=8, struct=struct,
                      const_roles=("packed",) + _REQUANT[1:], source=f"kernels/{name}.c", twin=twin,
                      headers=_HEADERS, pack=_pack(op), ref_roles=_REQUANT, accepts=shares_weights)


def decode_rows(op: str, p: dict) -> tuple[int, int]:
    """(rows, weights per row) of a layer's decoded weights (its kparams): a depthwise layer's
    out_c channels of kernel_h * kernel_w taps, else pack_lut.layer_rows."""
    if op == "depthwise_conv2d":
        return p["out_c"], p["kernel_h"] * p["kernel_w"]
    return layer_rows(p)


def _weights(op: str, p: dict) -> int:
    rows, count = decode_rows(op, p)
    return rows * count


def _several_rows(graph, node) -> bool:
    """A fully connected layer of several rows: decoding once pays (for one row, decoding costs
    about as many instructions as the portable LUT kernel's whole product)."""
    x = graph.tensor(node.inputs[0])
    return shares_weights(graph, node) and x.size // x.shape[-1] > 1


FC_BLOCK_BYTES = 4096       # TG_LUT_FC_BLOCK_BYTES (tg_lut.h)


def fc_block_rows(p: dict) -> int:
    """tg_lut_fc_block_rows: output features per block of tg_fully_connected_lut_block_s8_dsp."""
    return min(max(FC_BLOCK_BYTES // p["in_features"], 1), p["out_features"])


def _one_row(graph, node) -> bool:
    """A fully connected layer of one row (batch 1): each weight used once, decoded a block at a time."""
    x = graph.tensor(node.inputs[0])
    return shares_weights(graph, node) and x.size // x.shape[-1] == 1


def _one_row_4bit_tensor(graph, node) -> bool:
    """A fully connected layer of one row with 4-bit indices and one table for the tensor."""
    cb = graph.tensor(node.param("weight")).codebook if _one_row(graph, node) else None
    return cb is not None and cb.bits == 4 and cb.axis is None


def _one_row_4bit(graph, node) -> bool:
    """A fully connected layer of one row with 4-bit indices (a table per output channel or one)."""
    cb = graph.tensor(node.param("weight")).codebook if _one_row(graph, node) else None
    return cb is not None and cb.bits == 4


# tg_conv2d_widen_s8_dsp's direct core on shared weights, 4 output channels decoded at a time
# (tg_conv2d_widen_lut_s8_dsp.h): RAM for one block, not the decoded layer
WIDEN = "tg_conv2d_widen_lut_s8_dsp"


def widen_scratch(p: dict) -> int:
    """tg_conv2d_widen_lut_s8_dsp: 4 channels' decoded weights (rounded up to 8 bytes), then
    tg_conv2d_widen_s8_dsp's scratch (them as int16)."""
    return decoded_bytes(4 * p["kernel_h"] * p["kernel_w"] * p["in_c"]) + conv2d_widen_dsp_scratch(p)


def _widen_serves(graph, node) -> bool:
    """in_c and out_c multiples of 4: the direct core's whole groups, whole blocks of 4 channels."""
    return (shares_weights(graph, node) and graph.tensor(node.inputs[0]).shape[-1] % 4 == 0
            and graph.tensor(node.param("weight")).shape[0] % 4 == 0)


WIDEN_DECODE = KernelSpec(WIDEN, "conv2d", weight_dtype="int8", weight_bits=8, requires=frozenset({"dsp"}),
                          struct="tg_conv2d_params_t", const_roles=("packed",) + _REQUANT[1:],
                          source=f"kernels/{WIDEN}.c", twin="conv2d_s8",
                          headers=CONV2D_WIDEN_DSP.headers + _HEADERS + (f"kernels/{WIDEN}.h",),
                          pack=_pack("conv2d"), ref_roles=_REQUANT, scratch=widen_scratch, calls=(DECODER,),
                          accepts=_widen_serves)


def _decoding(int8: KernelSpec, name: str, accepts=shares_weights) -> KernelSpec:
    """The DSP kernel decoding the layer's weights into its scratch, then running `int8` (an
    int8 DSP kernel taking the weights and a scratch) on them: faster than decoding in the
    inner loop, for the decoded weights' RAM while the layer runs (passes/lower_peak.py swaps
    it, where that scratch sits on the arena's peak and the swap pays, for the portable LUT
    kernel, or a convolution for tg_conv2d_widen_lut_s8_dsp, which it names leaner, where that
    serves). It serves the layers `accepts` and the int8 kernel's own test take."""
    def scratch(p: dict) -> int:
        return decoded_bytes(_weights(int8.op, p)) + int8.scratch(p)

    def serves(graph, node) -> bool:
        return accepts(graph, node) and (int8.accepts is None or int8.accepts(graph, node))

    return replace(int8, name=name, const_roles=("packed",) + _REQUANT[1:], source=f"kernels/{name}.c",
                   twin=int8.ref_name, headers=int8.headers + _HEADERS, scratch=scratch, pack=_pack(int8.op),
                   ref_roles=_REQUANT, accepts=serves, leaner=(WIDEN,) if int8.op == "conv2d" else (),
                   calls=(int8.source,) + int8.calls + ((DECODER,) if name in LUT_DECODES else ()))


# the int8 kernels of Helium (the Cortex-M55) and RV32IM (the ESP32-C3), by name
_INT8 = {spec.name: spec for spec in mve_kernels(KernelSpec) + rv32_kernels(KernelSpec)}
_MVE_HEADERS = ("kernels/tg_kernels_lut_mve.h",)
_RV32_HEADERS = ("kernels/tg_kernels_lut_rv32.h", "kernels/tg_lut_rv32.h")


def _decoding_into(int8: str, name: str, pack, records, headers: tuple[str, ...]) -> KernelSpec:
    """The kernel decoding the layer's weights once into its scratch as the constant the int8
    kernel `int8` reads, then running it on that, its own scratch after it (records(p): the
    decoded constant's bytes): Helium (tg_lut_mve.h: vector unpacking and table lookup; the int8
    MVE kernel's records) and RV32IM (tg_lut_rv32.h; the int8 RV32 kernel's blocks). Its packed
    constant: LUT.md's, then the int8 constant less its weights (tinygen/kernels/lut_mve_pack.py,
    lut_rv32_pack.py); its other constants the int8 kernel's. It serves the layers with shared
    weights the int8 kernel serves."""
    spec = _INT8[int8]

    def scratch(p: dict) -> int:
        return records(p) + (spec.scratch(p) if spec.scratch else 0)

    def serves(graph, node) -> bool:
        return shares_weights(graph, node) and (spec.accepts is None or spec.accepts(graph, node))

    return replace(spec, name=name, source=f"kernels/{name}.c", twin=spec.ref_name, headers=spec.headers + headers,
                   scratch=scratch, pack=pack, accepts=serves, calls=(spec.source,) + spec.calls, leaner=())


def _mve(int8: str, name: str, pack, records) -> KernelSpec:
    return _decoding_into(int8, name, pack, records, _MVE_HEADERS)


def _rv32(int8: str, name: str, pack, records) -> KernelSpec:
    return _decoding_into(int8, name, pack, records, _RV32_HEADERS)


PAIRS_MVE_TABLE_BYTES = 512   # TG_LUT_PAIRS_MVE_TABLE_BYTES (tg_kernels_lut_mve.h): 256 halfword pairs


def pairs_mve_scratch(p: dict) -> int:
    """TG_LUT_PAIRS_MVE_BYTES: tg_fully_connected_lut_pairs_s8_mve's table of weight pairs, then the
    int32 sums of its output features rounded up to a block of 4."""
    return PAIRS_MVE_TABLE_BYTES + 16 * -(-p["out_features"] // 4)


def nibbles_mve_scratch(p: dict) -> int:
    """TG_LUT_NIBBLES_MVE_BYTES: tg_fully_connected_lut_nibbles_s8_mve's int32 sums, a block of 4 at a time."""
    return 16 * -(-p["out_features"] // 4)


# Helium: tinygen.kernels.table puts them first, with the other MVE kernels, before the DSP
# kernels the core also runs; a one-row fully connected layer with 4-bit indices and one table
# first takes the kernel looking its weights up from a table of pairs as it multiplies (no
# decoded weights; the packed constant is the decoding kernel's), one with a table per channel the
# kernel gathering each weight from its row's table
LUT_MVE_KERNELS: tuple[KernelSpec, ...] = (
    replace(_mve("tg_fully_connected_s8_mve", "tg_fully_connected_lut_pairs_s8_mve", mat_mult_lut_mve,
                 mat_mult_records_bytes), scratch=pairs_mve_scratch, accepts=_one_row_4bit_tensor, calls=()),
    replace(_mve("tg_fully_connected_s8_mve", "tg_fully_connected_lut_nibbles_s8_mve", mat_mult_lut_mve,
                 mat_mult_records_bytes), scratch=nibbles_mve_scratch, accepts=_one_row_4bit, calls=()),
    _mve("tg_conv2d_1x1_s8_mve", "tg_conv2d_1x1_lut_decode_s8_mve", mat_mult_lut_mve, mat_mult_records_bytes),
    _mve("tg_conv2d_s8_mve", "tg_conv2d_lut_decode_s8_mve", mat_mult_lut_mve, mat_mult_records_bytes),
    _mve("tg_fully_connected_s8_mve", "tg_fully_connected_lut_decode_s8_mve", mat_mult_lut_mve, mat_mult_records_bytes),
    _mve("tg_conv2d_add_s8_mve", "tg_conv2d_add_lut_decode_s8_mve", conv2d_add_lut_mve, mat_mult_records_bytes),
    _mve("tg_depthwise_conv2d_s8_mve", "tg_depthwise_conv2d_lut_decode_s8_mve", depthwise_lut_mve,
         depthwise_records_bytes),
)


def _narrow(graph, node) -> bool:
    return shares_weights(graph, node) and DEPTHWISE_3X3_NARROW_DSP.accepts(graph, node)


# tg_depthwise_conv2d_3x3_narrow_s8_dsp's records completed in the scratch (tinygen.kernels.depthwise_narrow_lut)
DEPTHWISE_NARROW_DECODE = replace(
    DEPTHWISE_3X3_NARROW_DSP, name="tg_depthwise_conv2d_3x3_narrow_lut_decode_s8_dsp",
    source="kernels/tg_depthwise_conv2d_3x3_narrow_lut_decode_s8_dsp.c", twin=DEPTHWISE_3X3_NARROW_DSP.ref_name,
    headers=DEPTHWISE_3X3_NARROW_DSP.headers + _HEADERS, scratch=narrow_lut_scratch, pack=narrow_lut_pack,
    accepts=_narrow, calls=(DEPTHWISE_3X3_NARROW_DSP.source, DECODER), leaner=())
# the decoding kernels and the int8 kernel each runs, preferred first (the 3-row / 3-pixel block
# kernels first, where they serve: --kernels auto measures them all)
_DECODING = (
    (CONV2D_1X1_ROWS3_DSP, "tg_conv2d_1x1_rows3_lut_decode_s8_dsp", shares_weights),
    (CONV2D_ROWS3_DSP, "tg_conv2d_rows3_lut_decode_s8_dsp", shares_weights),
    (CONV2D_1X1_DSP, "tg_conv2d_1x1_lut_decode_s8_dsp", shares_weights),
    (CONV2D_DSP, "tg_conv2d_lut_decode_s8_dsp", shares_weights),
    (DEPTHWISE_WIDEN_DSP, "tg_depthwise_conv2d_lut_decode_s8_dsp", shares_weights),
    (FC_DSP, "tg_fully_connected_lut_decode_s8_dsp", _several_rows),
)
# a fully connected layer of one row: a block of features decoded at a time for tg_fully_connected_s8_dsp
FC_BLOCK_DECODE = replace(
    _decoding(FC_DSP, "tg_fully_connected_lut_block_s8_dsp", _one_row),
    scratch=lambda p: decoded_bytes(fc_block_rows(p) * p["in_features"]),
    calls=(FC_DSP.source, *FC_DSP.calls, DECODER))

PAIRS_TABLE_BYTES = 1024   # TG_LUT_PAIRS_TABLE_BYTES (tg_lut.h): 256 int16 pairs


def pairs_scratch(p: dict) -> int:
    """TG_LUT_PAIRS_BYTES: tg_fully_connected_lut_pairs_s8_dsp's input pairs (16 bytes per row word of 8
    indices), then its table of weight pairs."""
    return PAIRS_TABLE_BYTES + 16 * -(-p["in_features"] // 8)


def pairs_pack(p: dict, consts: dict) -> np.ndarray:
    """tg_fully_connected_lut_pairs_s8_dsp's packed constant: LUT.md's, then one word, the layer's
    requantization as a specialized layer's `bounded` (tinygen.kernels.specialize: FOLDED, BOUNDED or
    GENERAL, with POS where the layer needs no sign's ADD), found at build time."""
    bias, m, s = consts.get("bias"), consts["multiplier"], consts["shift"]
    bounded = requant_bounded(p["in_features"], bias, m, s)
    mode = FOLDED if requant_folded(bounded, s, p["output_offset"]) else BOUNDED if bounded else GENERAL
    if mode != GENERAL and not sign_add_needed(p):
        mode |= POS
    return np.concatenate([pack_lut(consts["codebook"], 0), np.asarray([mode], np.uint32)])


# the same layers (4 bits, one table) multiplied straight from a table of weight pairs: no decoded weights
FC_PAIRS = replace(FC_BLOCK_DECODE, name="tg_fully_connected_lut_pairs_s8_dsp",
                   source="kernels/tg_fully_connected_lut_pairs_s8_dsp.c", scratch=pairs_scratch,
                   pack=pairs_pack, accepts=_one_row_4bit_tensor, calls=())

LUT_KERNELS: tuple[KernelSpec, ...] = (
    # RV32IM (the ESP32-C3): any pointwise layer too (its weights in RAM, not only tg_conv2d_1x1_s8_rv32's)
    _rv32("tg_conv2d_s8_rv32", "tg_conv2d_lut_decode_s8_rv32", blocks_lut_rv32, blocks_bytes),
    _rv32("tg_conv2d_add_s8_rv32", "tg_conv2d_add_lut_decode_s8_rv32", blocks_lut_rv32, blocks_bytes),
    _rv32("tg_fully_connected_s8_rv32", "tg_fully_connected_lut_decode_s8_rv32", blocks_lut_rv32, blocks_bytes),
    _rv32("tg_depthwise_conv2d_s8_rv32", "tg_depthwise_conv2d_lut_decode_s8_rv32", depthwise_lut_rv32,
          depthwise_bytes),
    # the ARMv7E-M DSP extension (Cortex-M4/M7, M33, M55)
    DEPTHWISE_NARROW_DECODE,
    FC_PAIRS,
    FC_BLOCK_DECODE,
    *(_decoding(int8, name, accepts) for int8, name, accepts in _DECODING),
    WIDEN_DECODE,
    _spec("tg_conv2d_lut_s8", "conv2d", "tg_conv2d_params_t", "conv2d_s8"),
    _spec("tg_conv2d_add_lut_s8", "conv2d_add", "tg_conv2d_add_params_t", "conv2d_add_s8"),
    _spec("tg_depthwise_conv2d_lut_s8", "depthwise_conv2d", "tg_conv2d_params_t", "depthwise_conv2d_s8"),
    _spec("tg_fully_connected_lut_s8", "fully_connected", "tg_fully_connected_params_t", "fully_connected_s8"),
)
LUT_NAMES = frozenset(spec.name for spec in LUT_MVE_KERNELS + LUT_KERNELS)

__all__ = ["DECODER", "FC_BLOCK_BYTES", "FC_PAIRS", "WIDEN", "WIDEN_DECODE", "widen_scratch", "LUT_KERNELS", "LUT_MVE_KERNELS", "LUT_NAMES", "OUT_AXIS",
           "ROW_AXIS", "decode_rows", "decoded_bytes", "fc_block_rows", "nibbles_mve_scratch", "pairs_mve_scratch", "pairs_pack", "pairs_scratch", "shares_weights"]
