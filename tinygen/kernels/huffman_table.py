"""Kernel specifications of the entropy-coded weight kernels (`--weights huffman`, issue 73;
firmware/kernels/huffman/tg_kernels_huffman.h). A node passes/entropy_code.py marked
(attrs["weight_coding"] == "huffman") takes only these; they read the weights as the packed
constant tinygen.quant.huffman builds (a shared-weight layer's symbols are its Codebook's
indices, its tables held in the packed constant) and compute what the int8 kernel computes on
the decoded weights: their numpy twins are the int8 kernels'."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from tinygen.kernels.direct_dsp import conv2d_widen_dsp_scratch
from tinygen.kernels.dsp_table import (CONV2D_1X1_DSP, CONV2D_1X1_ROWS3_DSP, CONV2D_DSP, CONV2D_ROWS3_DSP,
                                       CONV2D_WIDEN_DSP, FC_DSP)
from tinygen.kernels.scratch import mat_mult_dsp_scratch
from tinygen.kernels.spec import _REQUANT, KernelSpec
from tinygen.kernels.specialize import HUFFMAN_DECODES
from tinygen.quant.huffman import block_rows, encode, encode_symbols

CODING = "huffman"
HEADERS = ("kernels/tg_kernels_huffman.h",)
_DECODER = "kernels/tg_huffman_decode_s8.c"
# the block kernel on tg_conv2d_widen_s8_dsp's direct core (before tg_conv2d_huffman_s8_dsp where it serves)
WIDEN = "tg_conv2d_widen_huffman_s8_dsp"
# the whole layer's decode a decoding kernel (and a specialized layer of one) runs first
LAYER_DECODER = "kernels/tg_huffman_decode_layer_s8.c"
_DSP = frozenset({"dsp"})
_PACKED = ("packed", "bias", "multiplier", "shift")


def _round8(n: int) -> int:
    return (n + 7) // 8 * 8


# A layer's block of decoded weights holds at most as many bytes as its output (activations
# the arena holds anyway while it runs), within these bounds: the whole of a small layer is one
# block, decoded once (no input re-read per block, and the output may overlap the input:
# passes/inplace.py); a wide layer with a small output (a fully connected layer) takes a few rows
BLOCK_MIN, BLOCK_MAX = 1024, 4096


def _shape(p: dict) -> tuple[int, int, int]:
    """(output channels, depth, output bytes) of a conv's or fully connected layer's kparams."""
    if "out_features" in p:
        return p["out_features"], p["in_features"], p["rows"] * p["out_features"]
    return p["out_c"], p["kernel_h"] * p["kernel_w"] * p["in_c"], p["out_h"] * p["out_w"] * p["out_c"]


# A block kernel reads every output pixel's (row's) input again for each block (a conv copies
# its receptive fields again) and computes a block's channels two at a time: a layer whose
# outputs are several pixels or rows takes blocks of at least BLOCK_CHANNELS channels (within
# BLOCK_MAX bytes) and an even number of them short of the whole layer. The digits CNN's
# 2x2-pixel conv of depth 576 took one channel a block (1024 bytes): its fields were copied 64
# times and its rows multiplied one column at a time, costing more than decoding its weights
# (benchmarks/deep_compression.py --estimate).
BLOCK_CHANNELS = 8


def _uses(p: dict) -> int:
    """How many output pixels (rows) of a layer read each weight."""
    return p["rows"] if "out_features" in p else p["out_h"] * p["out_w"]


def layer_block(p: dict) -> int:
    """Output channels per block of a layer (its kparams)."""
    out_c, depth, out_bytes = _shape(p)
    rows = block_rows(out_c, depth, min(max(out_bytes, BLOCK_MIN), BLOCK_MAX))
    if _uses(p) > 1:
        rows = max(rows, min(BLOCK_CHANNELS, out_c, BLOCK_MAX // max(depth, 1)))
        if 1 < rows < out_c:
            rows -= rows % 2
    return rows


def one_block(p: dict) -> bool:
    return layer_block(p) >= _shape(p)[0]


def coded_codebook(book) -> bool:
    """Whether a weight's Codebook (tinygen.ir) is coded as indices: tables per tensor or per
    output channel (axis 0 of OHWI and [out][in] weights); else the decoded int8 values are."""
    return book is not None and book.axis in (None, 0)


def pack(p: dict, consts: dict, block: int | None = None, multi: int | None = None,
         halves: bool | None = None) -> np.ndarray:
    """The layer's packed constant (tinygen.quant.huffman) in blocks of `block` output channels
    (None: layer_block): the int8 weights, or a shared-weight layer's codebook indices and
    tables (consts["codebook"], tinygen.kernels.spec.pack_consts); `multi`, `halves` as encode
    takes them."""
    out_c, book = _shape(p)[0], consts.get("codebook")
    block = layer_block(p) if block is None else block
    if coded_codebook(book):
        table = np.asarray(book.values, dtype=np.int8)
        return encode_symbols(book.indices.reshape(out_c, -1), table, block, multi, halves)
    return encode(consts["weight"].reshape(out_c, -1), None, block, multi, halves)


def pack_whole(p: dict, consts: dict) -> np.ndarray:
    """The packed constant of a layer decoded whole (the decoding kernels): one block, so no
    block offsets and halves' starts but one pair."""
    return pack(p, consts, _shape(p)[0])


def decoded_shape(p: dict) -> tuple[int, int]:
    """(output channels, depth) of a conv's or fully connected layer's decoded weights (its kparams)."""
    return _shape(p)[:2]


def decoded_bytes(n: int) -> int:
    """TG_HUFFMAN_DECODED_BYTES (tg_kernels_huffman.h): n decoded weights' share of a decoding
    kernel's scratch, rounded up to 8 bytes."""
    return _round8(n)


def conv_depth(p: dict) -> int:
    return p["kernel_h"] * p["kernel_w"] * p["in_c"]


def conv_scratch(p: dict) -> int:
    """One block of decoded filters (tg_conv2d_huffman_s8)."""
    return layer_block(p) * conv_depth(p)


def _direct(p: dict) -> bool:
    """A 1x1, stride-1, unpadded conv: its receptive fields are the input's pixels."""
    return (p["kernel_h"], p["kernel_w"], p["stride_h"], p["stride_w"], p["pad_top"], p["pad_left"]) == (1, 1, 1, 1, 0, 0)


def conv_dsp_scratch(p: dict) -> int:
    """tg_conv2d_huffman_s8_dsp: one block of decoded filters (rounded up to 8 bytes), two
    receptive fields (each rounded up to 8; none for a direct conv), then the mat-mult
    buffers of two pixels times the block."""
    depth = conv_depth(p)
    fields = 0 if _direct(p) else 2 * _round8(depth)
    rows = p["out_h"] * p["out_w"]
    return _round8(conv_scratch(p)) + fields + mat_mult_dsp_scratch(rows, depth, layer_block(p))


def widen_block(p: dict) -> int:
    """Output channels per block of tg_conv2d_widen_huffman_s8_dsp: layer_block's, down to a
    multiple of 4 (at least 4; out_c is one)."""
    return max(4, layer_block(p) // 4 * 4)


def widen_pack(p: dict, consts: dict) -> np.ndarray:
    return pack(p, consts, widen_block(p))


def widen_scratch(p: dict) -> int:
    """tg_conv2d_widen_huffman_s8_dsp: one block of decoded filters (rounded up to 8 bytes), then
    tg_conv2d_widen_s8_dsp's scratch (4 channels' weights as int16)."""
    return decoded_bytes(widen_block(p) * conv_depth(p)) + conv2d_widen_dsp_scratch(p)


def _widen_serves(graph, node) -> bool:
    """in_c and out_c multiples of 4 (the direct core's whole groups, whole blocks of 4 channels),
    and 4 channels' decoded weights within BLOCK_MAX bytes."""
    x, w = graph.tensor(node.inputs[0]), graph.tensor(node.param("weight"))
    out_c, depth = w.shape[0], int(np.prod(w.shape[1:]))
    return x.shape[-1] % 4 == 0 and out_c % 4 == 0 and 4 * depth <= BLOCK_MAX


def fc_scratch(p: dict) -> int:
    """One block of decoded rows (tg_fully_connected_huffman_s8)."""
    return layer_block(p) * p["in_features"]


def fc_dsp_scratch(p: dict) -> int:
    """tg_fully_connected_huffman_s8_dsp: one block (rounded up to 8 bytes), then the mat-mult
    buffers of two rows times the block (none for a single row)."""
    return _round8(fc_scratch(p)) + mat_mult_dsp_scratch(p["rows"], p["in_features"], layer_block(p))


# A fully connected layer of one row, its codes decoded into the multiply-accumulates
# (tg_fully_connected_batch1_huffman_s8_dsp): each weight is used once, so a block kernel would
# decode and store every weight for one multiply
BATCH1 = "tg_fully_connected_batch1_huffman_s8_dsp"


def batch1_pack(p: dict, consts: dict) -> np.ndarray:
    """The packed constant of BATCH1: blocks of an even number of rows with their second halves'
    starts (the kernel runs row i of a block beside row block/2 + i: two independent chains), as
    many rows as keep each first half under 2**16 bits (the whole layer, or halved until they do:
    a block costs 6 bytes); where no such block exists, one block, rows one after another. No
    multi-symbol table (the kernel reads none, so none is stored)."""
    out_c = _shape(p)[0]
    block = out_c - out_c % 2
    while block >= 2:
        try:
            return pack(p, consts, block, multi=0, halves=True)
        except ValueError:              # a first half of 2**16 bits or more
            block = block // 2 - block // 2 % 2
    return pack(p, consts, out_c, multi=0, halves=False)


def batch1_scratch(p: dict) -> int:
    """TG_HUFFMAN_BATCH1_BYTES (tg_kernels_huffman.h): the input widened to int16, rounded up to 8 bytes."""
    return _round8(2 * p["in_features"])


def _spec(name: str, op: str, struct: str, pack, scratch, calls: tuple[str, ...], requires=frozenset()):
    return KernelSpec(name, op, weight_dtype="int8", weight_bits=8, requires=requires, struct=struct,
                      const_roles=_PACKED, source=f"kernels/{name}.c", twin=op_twin(op), headers=HEADERS,
                      pack=pack, ref_roles=_REQUANT, scratch=scratch, calls=(_DECODER, *calls),
                      weight_coding=CODING)


def op_twin(op: str) -> str:
    return {"conv2d": "conv2d_s8", "fully_connected": "fully_connected_s8"}[op]


def _several_rows(graph, node) -> bool:
    """A fully connected layer of several rows (for one row, each weight is used once: the block
    kernel decodes it as often)."""
    x = graph.tensor(node.inputs[0])
    return x.size // x.shape[-1] > 1


def _decoding(int8: KernelSpec, name: str, block: tuple[str, ...], accepts=None) -> KernelSpec:
    """The DSP kernel decoding the layer's weights whole into its scratch (the int8 layout), then
    running `int8` (an int8 DSP kernel taking the weights and a scratch) on them: the int8
    build's kernel (specialized: its inline body, tinygen/codegen/huffman_decode.py) for the
    decoded layer's RAM while the layer runs (as the shared-weight decoding kernels,
    tinygen.kernels.lut_table), its codes in one block (pack_whole). It names the block kernels
    `block` leaner (KernelSpec.leaner): where the decoded layer sits on the arena's peak,
    passes/lower_peak.py swaps it back by the house's exchange rate (INSTRUCTIONS_PER_RAM_BYTE),
    and the fit's RAM trade (tinygen/fit/ram.py) whatever it costs. It serves the layers its int8
    kernel and `accepts` take."""
    def scratch(p: dict) -> int:
        return decoded_bytes(int(np.prod(decoded_shape(p)))) + (int8.scratch(p) if int8.scratch else 0)

    def serves(graph, node) -> bool:
        return (accepts is None or accepts(graph, node)) and (int8.accepts is None or int8.accepts(graph, node))

    return replace(int8, name=name, const_roles=_PACKED, source=f"kernels/{name}.c", twin=int8.ref_name,
                   headers=int8.headers + HEADERS, scratch=scratch, pack=pack_whole, ref_roles=_REQUANT,
                   accepts=serves, leaner=block,
                   calls=(int8.source, *int8.calls, _DECODER, LAYER_DECODER), weight_coding=CODING)


# the decoding kernels, by the int8 kernel each runs (specialize.HUFFMAN_DECODES), preferred first
# as the int8 build prefers them (the 3-row / 3-pixel block kernels first, where they serve)
_INT8 = {spec.name: spec for spec in (CONV2D_1X1_ROWS3_DSP, CONV2D_ROWS3_DSP, CONV2D_1X1_DSP, CONV2D_DSP, FC_DSP)}


def huffman_kernels() -> tuple[KernelSpec, ...]:
    """The decoding DSP kernels (several rows), the one-row fully connected DSP kernel, then the
    block DSP kernels, then portable (only nodes marked for entropy coding take them)."""
    conv, fc = "tg_conv2d_params_t", "tg_fully_connected_params_t"
    block = {"conv2d": (WIDEN, "tg_conv2d_huffman_s8_dsp"), "fully_connected": ("tg_fully_connected_huffman_s8_dsp",)}
    decoding = tuple(_decoding(_INT8[int8], name, block[_INT8[int8].op],
                               _several_rows if _INT8[int8].op == "fully_connected" else None)
                     for name, int8 in HUFFMAN_DECODES.items())
    widen = replace(_spec(WIDEN, "conv2d", conv, widen_pack, widen_scratch, (), _DSP),
                    headers=HEADERS + CONV2D_WIDEN_DSP.headers + (f"kernels/{WIDEN}.h",), accepts=_widen_serves)
    batch1 = replace(_spec(BATCH1, "fully_connected", fc, batch1_pack, batch1_scratch, (), _DSP), calls=(),
                     accepts=lambda graph, node: not _several_rows(graph, node))
    return decoding + (
        batch1,
        widen,
        _spec("tg_conv2d_huffman_s8_dsp", "conv2d", conv, pack, conv_dsp_scratch, (), _DSP),
        _spec("tg_conv2d_huffman_s8", "conv2d", conv, pack, conv_scratch, ()),
        _spec("tg_fully_connected_huffman_s8_dsp", "fully_connected", fc, pack, fc_dsp_scratch, (), _DSP),
        _spec("tg_fully_connected_huffman_s8", "fully_connected", fc, pack, fc_scratch,
              ("kernels/tg_fully_connected_s8.c",)),
    )


__all__ = ["BATCH1", "BLOCK_CHANNELS", "batch1_pack", "batch1_scratch", "BLOCK_MAX", "BLOCK_MIN", "CODING", "LAYER_DECODER", "decoded_bytes", "decoded_shape", "coded_codebook",
           "layer_block", "one_block", "pack", "pack_whole", "widen_block", "widen_scratch", "WIDEN", "conv_dsp_scratch", "conv_scratch", "fc_dsp_scratch",
           "fc_scratch", "huffman_kernels"]
