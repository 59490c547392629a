"""The dynamic-inference kernels (firmware/kernels/gated/tg_kernels_gating.h): their KernelSpecs,
parameter builders and scratch formula. tinygen.kernels.table appends `gating_kernels`."""

from __future__ import annotations

import math

import numpy as np

from tinygen.errors import ModelError
from tinygen.ref.gating import threshold_q
from tinygen.ir import Graph, Node
from tinygen.kernels.depthwise_dsp import RECORD_WORDS, depthwise_dsp_records, depthwise_dsp_scratch
from tinygen.kernels.params import _conv, _fc, builder
from tinygen.kernels.scratch import _round_up
from tinygen.kernels.spec import _REQUANT
from tinygen.quant import op_params
from tinygen.quant.spec import FIXED_OUTPUT_QPARAMS

HEADER = "kernels/tg_kernels_gating.h"
# words per channel in tg_depthwise_conv2d_gated_s8_dsp's packed constant (TG_DW_GATED_PACKED_WORDS)
# and in its run-time records of the kept channels (TG_DW3G_RECORD_WORDS: the skip, n, the folded
# multiplier and R in place of the last three)
GATED_PACKED_WORDS = 10
GATED_RECORD_WORDS = 11


def conv2d_gated_dsp_scratch(p: dict) -> int:
    """tg_conv2d_gated_s8_dsp_buffer_size: two int8 receptive fields (rounded up to 8 bytes),
    the two rows widened to int16 (rounded up to 4 values), the kept output and input
    channels' int16 indices, the kept weights gathered over the kept inputs (all at most), and
    with skip_inputs the input's kept channels (all at most)."""
    depth = _round_up(p["kernel_h"] * p["kernel_w"] * p["in_c"], 4)     # rows padded to whole words
    kept_inputs = p["in_h"] * p["in_w"] * p["in_c"] if p["skip_inputs"] else 0
    return (_round_up(2 * depth, 8) + 4 * depth + 2 * _round_up(p["out_c"] + p["in_c"], 4) + p["out_c"] * depth
            + kept_inputs)


@builder("channel_gate")
def _channel_gate(graph: Graph, node: Node) -> dict:
    s = graph.tensor(node.inputs[0])
    channels = s.shape[-1]
    if math.prod(s.shape) != channels:
        raise ModelError(f"gate {node.name} ({node.source}): its saliency must be one vector [1, C], "
                         f"got {list(s.shape)}", hint="feed the gate a predictor's [1, C] output")
    topk = node.attrs["mode"] == "topk"
    return {"channels": channels, "k": int(node.attrs["k"]) if topk else 0,
            "threshold_q": 0 if topk else threshold_q(node.attrs["threshold"]),
            "zero_point": int(s.qparams.zero_point[0])}


def depthwise_gated_dsp_scratch(p: dict) -> int:
    """tg_depthwise_conv2d_gated_s8_dsp_buffer_size(p, inner), inner the dense DSP kernel's
    scratch for all the channels (C = channels rounded up to 4): the kept channels' int16
    indices, the compact input, weights, bias / multiplier / shift, the kept channels' 3x3
    records (GATED_RECORD_WORDS each) and result, then
    tg_depthwise_conv2d_s8_dsp's scratch."""
    c = _round_up(p["in_c"], 4)
    return (2 * c + _round_up(p["in_h"] * p["in_w"] * c, 4) + p["kernel_h"] * p["kernel_w"] * c + 12 * c
            + 4 * (1 + GATED_RECORD_WORDS * c) + _round_up(p["out_h"] * p["out_w"] * c, 4) + depthwise_dsp_scratch(p))


def depthwise_gated_dsp_records(p: dict, consts: dict) -> np.ndarray:
    """The packed constant of tg_depthwise_conv2d_gated_s8_dsp: a header word (the channel
    count where depthwise_dsp_records serves the layer, else 0 and nothing more), then
    GATED_PACKED_WORDS words per channel, weights doubled, lo | hi << 16: 0 the doubled bias;
    per kernel row k (words 1 + 2k, 2 + 2k) A_k = w[k][0] | w[k][1] and B_k = w[k][1] |
    w[k][2] (the 4-pixel loop's two weight pairs, both loaded by one LDRD; the dense
    records' shared words would need a PKH per row); then the parts of the folded record
    that do not depend on the gate value (tg_dw_gated_records): word 7 base = 33 +
    gate_shift + shift (the folded n = leading zeros of m1 * g' as 64 bits - base), word 8
    m1 = (multiplier * gate_multiplier + 2^30) >> 31, word 9 the doubled accumulator bound
    2 (|bias| + 9 * 255 * 128) (< 2^31: the records are packed only where it is below 2^30)."""
    dense = depthwise_dsp_records(p, consts).astype(np.int64)
    channels = p["out_c"]
    if int(dense[0]) != channels:
        return dense.astype(np.int32)
    d = dense[1:].reshape(channels, RECORD_WORDS)
    lo = (d << 48) >> 48          # the int16 halves of the dense records' words
    hi = (d << 32) >> 48
    multiplier = np.broadcast_to(np.asarray(consts["multiplier"], dtype=np.int64), (channels,))
    shift = np.broadcast_to(np.asarray(consts["shift"], dtype=np.int64), (channels,))
    bias = consts.get("bias")
    bias = np.broadcast_to(np.asarray(0 if bias is None else bias, dtype=np.int64), (channels,))

    def halves(a, b):
        return (a & 0xFFFF) | (b << 16)

    rec = np.zeros((channels, GATED_PACKED_WORDS), dtype=np.int64)
    rec[:, 0] = d[:, 0]
    rec[:, 1], rec[:, 2] = d[:, 1], halves(hi[:, 1], lo[:, 2])          # w00 | w01, w01 | w02
    rec[:, 3], rec[:, 4] = d[:, 3], halves(hi[:, 3], hi[:, 2])          # w10 | w11, w11 | w12
    rec[:, 5], rec[:, 6] = d[:, 4], halves(hi[:, 4], hi[:, 5])          # w20 | w21, w21 | w22
    rec[:, 7] = 33 + int(p["gate_shift"]) + shift
    rec[:, 8] = (multiplier * int(p["gate_multiplier"]) + (1 << 30)) >> 31
    rec[:, 9] = 2 * (np.abs(bias) + 9 * 255 * 128)
    words = np.concatenate([[channels], rec.ravel()])
    return (words & 0xFFFFFFFF).astype(np.uint32).view(np.int32)


def fully_connected_gated_dsp_scratch(p: dict) -> int:
    """tg_fully_connected_gated_s8_dsp_buffer_size: the input row widened to int16 (depth
    rounded up to 4 values)."""
    return 2 * _round_up(p["in_features"], 4)


def _gate_fields(graph: Graph, node: Node) -> dict:
    """The gate's multiply (TFLite MUL) of a gated layer's result (on conv_scale, conv_zero_point)."""
    conv_zp = int(node.attrs["conv_zero_point"])
    gate, out = graph.tensor(node.inputs[1]), graph.tensor(node.outputs[0])
    mul = op_params.mul_params(float(node.attrs["conv_scale"]), conv_zp, gate.qparams.scale[0],
                               int(gate.qparams.zero_point[0]), out.qparams.scale[0], int(out.qparams.zero_point[0]),
                               int(node.attrs["gate_act_min"]), int(node.attrs["gate_act_max"]))
    return {"output_offset": conv_zp, "gate_input_offset": mul["input2_offset"],
            "gate_output_offset": mul["output_offset"], "gate_multiplier": mul["output_multiplier"],
            "gate_shift": mul["output_shift"], "gate_act_min": mul["act_min"], "gate_act_max": mul["act_max"]}


@builder("conv2d_gated")
@builder("depthwise_conv2d_gated")
def _conv2d_gated(graph: Graph, node: Node) -> dict:
    p = _conv(graph, node) | _gate_fields(graph, node)
    p.update({"in_gate_input_offset": -int(graph.tensor(node.inputs[2]).qparams.zero_point[0])
              if len(node.inputs) > 2 else 0, "skip_inputs": int(len(node.inputs) > 2)})
    return p


@builder("fully_connected_gated")
def _fully_connected_gated(graph: Graph, node: Node) -> dict:
    p = _fc(graph, node) | _gate_fields(graph, node)
    if graph.tensor(node.inputs[1]).shape[-1] != p["out_features"] or p["rows"] != 1:
        raise ModelError(f"{node.name} ({node.source}): a gated fully connected layer takes one row and one gate "
                         f"value per output feature", hint="gate a Linear on a [1, features] input")
    return p


def exit_code(threshold: float) -> int:
    """A probability threshold in [0, 1] as the int8 code a softmax output must reach:
    real p = (q + 128) / 256 >= threshold  <=>  q >= ceil(256 * threshold) - 128 (128: never)."""
    return math.ceil(float(threshold) * 256) - 128


@builder("exit_select")
def _exit_select(graph: Graph, node: Node) -> dict:
    fixed = FIXED_OUTPUT_QPARAMS["softmax"]
    for t in node.inputs:
        q = graph.tensor(t).qparams
        if (float(q.scale[0]), int(q.zero_point[0])) != (float(fixed[0]), fixed[1]):
            raise ModelError(f"exit head output {t!r} is not a softmax: exits compare probabilities",
                             hint="end every exit head with softmax (tinygen.nn.ExitHead does)")
    return {"size": graph.tensor(node.inputs[0]).nbytes,
            "thresholds": [exit_code(t) for t in node.attrs["thresholds"]]}


def gating_kernels(spec_type) -> tuple:
    """The KernelSpecs, built with tinygen.kernels.table.KernelSpec (passed in: no import cycle)."""
    return (
        spec_type("tg_channel_gate_s8_dsp", "channel_gate", requires=frozenset({"dsp"}),
                  struct="tg_channel_gate_params_t", source="kernels/tg_channel_gate_s8_dsp.c", twin="channel_gate_s8",
                  headers=(HEADER, "kernels/tg_channel_gate.h", "kernels/tg_dsp_s8.h"),
                  calls=("kernels/tg_channel_gate_s8.c",)),
        spec_type("tg_channel_gate_s8", "channel_gate", struct="tg_channel_gate_params_t",
                  source="kernels/tg_channel_gate_s8.c", twin="channel_gate_s8",
                  headers=(HEADER, "kernels/tg_channel_gate.h")),
        spec_type("tg_conv2d_gated_s8_dsp", "conv2d_gated", weight_dtype="int8", weight_bits=8,
                  requires=frozenset({"dsp"}), struct="tg_conv2d_gated_params_t", const_roles=_REQUANT,
                  source="kernels/tg_conv2d_gated_s8_dsp.c", twin="conv2d_gated_s8",
                  headers=(HEADER, "kernels/tg_dsp_s8.h", "kernels/tg_mat_mult_s8_dsp.h",
                           "kernels/tg_conv2d_s8_dsp.h"),
                  scratch=conv2d_gated_dsp_scratch),
        spec_type("tg_conv2d_gated_s8", "conv2d_gated", weight_dtype="int8", weight_bits=8,
                  struct="tg_conv2d_gated_params_t", const_roles=_REQUANT, source="kernels/tg_conv2d_gated_s8.c",
                  twin="conv2d_gated_s8", headers=(HEADER, "kernels/tg_conv2d_s8.h")),
        spec_type("tg_depthwise_conv2d_gated_s8_dsp", "depthwise_conv2d_gated", weight_dtype="int8", weight_bits=8,
                  requires=frozenset({"dsp"}), struct="tg_conv2d_gated_params_t", const_roles=_REQUANT + ("packed",),
                  source="kernels/tg_depthwise_conv2d_gated_s8_dsp.c", twin="depthwise_conv2d_gated_s8",
                  headers=(HEADER, "kernels/tg_dsp_s8.h", "kernels/tg_mat_mult_s8_dsp.h",
                           "kernels/tg_depthwise_conv2d_3x3_s8_dsp.h",
                           "kernels/tg_depthwise_conv2d_3x3_gated_s8_dsp.h",
                           "kernels/tg_depthwise_conv2d_3x3_gated_ring_s8_dsp.h"),
                  scratch=depthwise_gated_dsp_scratch, pack=depthwise_gated_dsp_records, ref_roles=_REQUANT,
                  calls=("kernels/tg_depthwise_conv2d_s8_dsp.c",)),
        spec_type("tg_depthwise_conv2d_gated_s8", "depthwise_conv2d_gated", weight_dtype="int8", weight_bits=8,
                  struct="tg_conv2d_gated_params_t", const_roles=_REQUANT,
                  source="kernels/tg_depthwise_conv2d_gated_s8.c", twin="depthwise_conv2d_gated_s8",
                  headers=(HEADER,)),
        spec_type("tg_fully_connected_gated_s8_dsp", "fully_connected_gated", weight_dtype="int8", weight_bits=8,
                  requires=frozenset({"dsp"}), struct="tg_fully_connected_gated_params_t", const_roles=_REQUANT,
                  source="kernels/tg_fully_connected_gated_s8_dsp.c", twin="fully_connected_gated_s8",
                  headers=(HEADER, "kernels/tg_dsp_s8.h", "kernels/tg_mat_mult_s8_dsp.h",
                           "kernels/tg_fully_connected_gated_s8_dsp.h"),
                  scratch=fully_connected_gated_dsp_scratch),
        spec_type("tg_fully_connected_gated_s8", "fully_connected_gated", weight_dtype="int8", weight_bits=8,
                  struct="tg_fully_connected_gated_params_t", const_roles=_REQUANT,
                  source="kernels/tg_fully_connected_gated_s8.c", twin="fully_connected_gated_s8", headers=(HEADER,)),
        spec_type("tg_exit_taken_s8", "exit_select", source="kernels/tg_exit_taken_s8.c", twin="exit_select_s8",
                  headers=(HEADER,)),
    )
