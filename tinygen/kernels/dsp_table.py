"""KernelSpecs of tinygen's int8 kernels for the ARMv7E-M DSP extension (Cortex-M4 / M7,
target feature "dsp"): convolutions (im2col, direct, widening, pointwise, with a fused add),
fully connected, pools, add and softmax, with the checks of which layers each one
serves (`accepts`); the depthwise ones are in tinygen.kernels.dsp_depthwise_table.
tinygen.kernels.table puts them in its order of preference."""

from __future__ import annotations

from tinygen.kernels.direct_dsp import conv2d_direct_dsp_weights, conv2d_widen_dsp_scratch, conv2d_widen_dsp_weights
from tinygen.kernels.fc_batch1_dsp import (fc_batch1_lean_serves, fc_batch1_packed, fc_batch1_rowpair_lean_serves,
                                          fc_batch1_rowpair_packed, fc_batch1_rowpair_serves, fc_batch1_scratch,
                                          fc_batch1_serves, fc_batch1_w16_packed)
from tinygen.kernels.fc_shallow_dsp import fc_shallow_records, fc_shallow_serves
from tinygen.kernels.lut import softmax_exp_table
from tinygen.kernels.pw_rows3_dsp import rows3_scratch, rows3_serves
from tinygen.kernels.conv_rows3_dsp import conv_rows3_scratch, conv_rows3_serves
from tinygen.kernels.slide_dsp import add_slide_scratch, slide_pair_weights, slide_scratch, slide_serves
from tinygen.kernels.rows4_dsp import (add_rows4_scratch, rows4_pair_serves, rows4_pair_weights, rows4_scratch,
                                       rows4_serves, rows4_w16_weights)
from tinygen.kernels.pw_shallow_dsp import pw_shallow_scratch, pw_shallow_serves
from tinygen.kernels.scratch import conv2d_dsp_scratch, mat_mult_dsp_scratch
from tinygen.kernels.spec import _OPERAND, _REQUANT, KernelSpec


def _dsp(name, op, struct, twin, scratch, variant=None, headers=()):
    """An ARMv7E-M (Cortex-M4/M7 DSP extension) int8 kernel with int8 weights and
    requantization, equal to the portable kernel `twin` on the nodes it serves."""
    return KernelSpec(name, op, weight_dtype="int8", weight_bits=8, requires=frozenset({"dsp"}),
                      struct=struct, const_roles=_REQUANT, source=f"kernels/{name}.c", variant=variant,
                      twin=twin, headers=("kernels/tg_dsp_s8.h", "kernels/tg_mat_mult_s8_dsp.h") + headers,
                      scratch=scratch)


def params_consts(graph, node) -> tuple[dict, dict]:
    """A node's kernel parameters and its requantization constants by role: what the DSP
    kernels' `serves` checks (depthwise_dsp, depthwise_kx1_dsp, fc_shallow_dsp, pw_shallow_dsp)
    take."""
    from tinygen.kernels.params import kernel_params

    return kernel_params(graph, node), {role: graph.const(node, role) for role in _REQUANT}


# the direct convolution (tg_conv2d_direct_s8_dsp.h): reads the input in place, no scratch;
# weights widened to int16 at build time (in flash: twice the int8 weights' bytes)
_DIRECT_DSP = dict(weight_dtype="int8", weight_bits=8, requires=frozenset({"dsp"}),
                   const_roles=("packed", "bias", "multiplier", "shift"), pack=conv2d_direct_dsp_weights,
                   ref_roles=_REQUANT)

# a conv2d with a fused residual add (tinygen/passes/fuse_residual.py): the output may replace the skip
CONV2D_ADD_DSP = KernelSpec(
    "tg_conv2d_add_s8_dsp", "conv2d_add", struct="tg_conv2d_add_params_t", source="kernels/tg_conv2d_add_s8_dsp.c",
    twin="conv2d_add_s8", headers=("kernels/tg_dsp_s8.h", "kernels/tg_mat_mult_s8_dsp.h",
                                   "kernels/tg_conv2d_direct_s8_dsp.h", "kernels/tg_conv2d_add_s8_dsp.h"),
    **_DIRECT_DSP)

# a plain conv2d without tg_conv2d_s8_dsp's im2col scratch, after it in preference: chosen by
# tinygen/passes/lower_peak.py where that scratch sits on the arena's peak, or by --kernels
# auto where it measures faster
CONV2D_DIRECT_DSP = KernelSpec(
    "tg_conv2d_direct_s8_dsp", "conv2d", struct="tg_conv2d_params_t", source="kernels/tg_conv2d_direct_s8_dsp.c",
    twin="conv2d_s8",
    headers=("kernels/tg_dsp_s8.h", "kernels/tg_mat_mult_s8_dsp.h", "kernels/tg_conv2d_direct_s8_dsp.h"),
    **_DIRECT_DSP)


# the direct convolution with int8 weights in flash (tg_conv2d_widen_s8_dsp.h): each block of 4
# output channels widened at run time into scratch (8 * kernel_h * kernel_w * in_c bytes), then
# the direct core over every pixel; half the direct kernels' weight flash
_WIDEN_DSP = dict(weight_dtype="int8", weight_bits=8, requires=frozenset({"dsp"}),
                  const_roles=("packed", "bias", "multiplier", "shift"), pack=conv2d_widen_dsp_weights,
                  ref_roles=_REQUANT, scratch=conv2d_widen_dsp_scratch)
_WIDEN_HEADERS = ("kernels/tg_dsp_s8.h", "kernels/tg_mat_mult_s8_dsp.h", "kernels/tg_conv2d_direct_s8_dsp.h",
                  "kernels/tg_conv2d_add_s8_dsp.h", "kernels/tg_conv2d_widen_s8_dsp.h")


def _whole_groups(graph, node) -> bool:
    """in_c a multiple of 4: the direct core's whole-group paths. With other channel counts it
    takes values one at a time, and tg_conv2d_s8_dsp is faster (MLPerf IC's first conv, in_c 3:
    1,326,160 against 1,076,280 instructions on the f746zg stand-in; KWS's, in_c 1: 1,211,680
    against 561,960)."""
    return graph.tensor(node.inputs[0]).shape[-1] % 4 == 0


# before tg_conv2d_s8_dsp: faster where it serves (f746zg stand-in, MLPerf IC's 3x3 convs
# conv2d_4 / 8 / 10: 1,423,080 / 1,299,680 / 218,880 against 1,541,120 / 1,394,920 / 231,800
# instructions for tg_conv2d_s8_dsp; KWS's pointwise: 680,640 against 700,120 for the direct
# kernel and 724,760 for tg_conv2d_1x1_s8_dsp, which stays first there: it may run in place;
# tg_conv2d_1x1_rows3_s8_dsp, before both where its blocks serve, runs in place too)
CONV2D_WIDEN_DSP = KernelSpec(
    "tg_conv2d_widen_s8_dsp", "conv2d", struct="tg_conv2d_params_t", source="kernels/tg_conv2d_widen_s8_dsp.c",
    twin="conv2d_s8", headers=_WIDEN_HEADERS, accepts=_whole_groups, **_WIDEN_DSP)
CONV2D_ADD_WIDEN_DSP = KernelSpec(
    "tg_conv2d_add_widen_s8_dsp", "conv2d_add", struct="tg_conv2d_add_params_t",
    source="kernels/tg_conv2d_add_widen_s8_dsp.c", twin="conv2d_add_s8", headers=_WIDEN_HEADERS, **_WIDEN_DSP)


def _fc_shallow_serves(graph, node) -> bool:
    return fc_shallow_serves(*params_consts(graph, node))


# a fully connected layer of depth <= 16 (a low-rank gate predictor's r -> out layer): the
# input row widened into registers once, one build-time record per output (2 x bias,
# multiplier, rounding, shift, the weights) is all its constants; before
# tg_fully_connected_s8_dsp, which it beats there (f746zg stand-in: 4 -> 128 1,320 against 4,400
# instructions, benchmarks/gating_masked.py; MLPerf AD's 8 -> 128 2,480 against 5,200,
# benchmarks/mlperf_standin.py --layers, for 1,940 more bytes of flash)
FC_SHALLOW_DSP = KernelSpec(
    "tg_fully_connected_shallow_s8_dsp", "fully_connected", weight_dtype="int8", weight_bits=8,
    requires=frozenset({"dsp"}), struct="tg_fully_connected_params_t", const_roles=("packed",),
    source="kernels/tg_fully_connected_shallow_s8_dsp.c", twin="fully_connected_s8",
    headers=("kernels/tg_dsp_s8.h", "kernels/tg_fully_connected_shallow_s8_dsp.h"),
    pack=fc_shallow_records, ref_roles=_REQUANT, accepts=_fc_shallow_serves)


def _pw_shallow_serves(graph, node) -> bool:
    return pw_shallow_serves(*params_consts(graph, node))


# a thin pointwise conv (depth 4 or 8, tinygen/kernels/pw_shallow_dsp.py): records built at run
# time in scratch, the input pixel widened once into registers, one LDM per output; before
# tg_conv2d_1x1_s8_dsp, which it beats there (README "Performance": VWW conv2d_2)
CONV2D_1X1_SHALLOW_DSP = KernelSpec(
    "tg_conv2d_1x1_shallow_s8_dsp", "conv2d", weight_dtype="int8", weight_bits=8, requires=frozenset({"dsp"}),
    struct="tg_conv2d_params_t", const_roles=_REQUANT, source="kernels/tg_conv2d_1x1_shallow_s8_dsp.c",
    variant="1x1", twin="conv2d_s8", headers=("kernels/tg_dsp_s8.h",),
    scratch=pw_shallow_scratch, accepts=_pw_shallow_serves)


# max pooling, 4 channels per step (SSUB8 + SEL per window element)
MAX_POOL_DSP = KernelSpec("tg_max_pool2d_s8_dsp", "max_pool2d", requires=frozenset({"dsp"}),
                           struct="tg_pool2d_params_t", source="kernels/tg_max_pool2d_s8_dsp.c",
                           twin="max_pool2d_s8", headers=("kernels/tg_dsp_s8.h",))


# the largest power of two of pixels whose int8 sum fits an int16 lane (256 * -128 = -32768)
GLOBAL_POW2_MAX_PIXELS = 256


def _global_pow2_pool(graph, node) -> bool:
    """A global average pool tg_avg_pool2d_global_pow2_s8_dsp computes: the window the whole
    input, no padding, one output pixel, 2..256 pixels a power of two, channels a multiple of
    16, the full int8 clamp."""
    from tinygen.kernels.params import kernel_params

    p = kernel_params(graph, node)
    pixels = p["in_h"] * p["in_w"]
    return (p["out_h"] == p["out_w"] == 1 and (p["kernel_h"], p["kernel_w"]) == (p["in_h"], p["in_w"])
            and p["pad_top"] == p["pad_left"] == 0 and p["channels"] % 16 == 0
            and 2 <= pixels <= GLOBAL_POW2_MAX_PIXELS and pixels & (pixels - 1) == 0
            and (p["act_min"], p["act_max"]) == (-128, 127))


# a global average pool over a power of two of pixels (the gated layers' predictors' mean over
# 8x8 or 16x16): 16 channels per run of int16 lanes, divided by a shift; its own file, so
# that models with other pools (MLPerf VWW's 3x3 global pool) link none of it (f746zg
# stand-in, benchmarks/gating_masked.py: 16x16x64 14,600 -> 12,720 instructions, 8x8x128
# 10,160 -> 6,880)
AVG_POOL_GLOBAL_POW2_DSP = KernelSpec(
    "tg_avg_pool2d_global_pow2_s8_dsp", "avg_pool2d", requires=frozenset({"dsp"}), struct="tg_pool2d_params_t",
    source="kernels/tg_avg_pool2d_global_pow2_s8_dsp.c", twin="avg_pool2d_s8", accepts=_global_pow2_pool)


# average pooling, 8 channels per step in int16 lanes (SXTAB16)
AVG_POOL_DSP = KernelSpec("tg_avg_pool2d_s8_dsp", "avg_pool2d", requires=frozenset({"dsp"}),
                           struct="tg_pool2d_params_t", source="kernels/tg_avg_pool2d_s8_dsp.c",
                           twin="avg_pool2d_s8", headers=("kernels/tg_dsp_s8.h",))


# same-shape int8 add (TFLite's arithmetic, SMMULR rescaling, 4 elements per step)
ADD_DSP = KernelSpec("tg_add_s8_dsp", "add", requires=frozenset({"dsp"}), struct="tg_add_params_t",
                      const_roles=_OPERAND, source="kernels/tg_add_s8_dsp.c", twin="add_s8",
                      headers=("kernels/tg_dsp_s8.h",))


# softmax with the exp of each difference from the row maximum tabulated at build time (at most
# 256 int32, fewer where the exp reaches 0) and the row maximum 4 bytes per step (f746zg stand-in,
# benchmarks/softmax_dsp.py: 10 classes 5,320 -> 680 instructions, 12 classes 5,880 -> 760)
SOFTMAX_DSP = KernelSpec("tg_softmax_s8_dsp", "softmax", requires=frozenset({"dsp"}), struct="tg_softmax_params_t",
                          const_roles=("packed",), source="kernels/tg_softmax_s8_dsp.c", twin="softmax_s8",
                          headers=("kernels/tg_dsp_s8.h",), pack=softmax_exp_table, ref_roles=())


# the DSP kernels with im2col / matrix scratch (tg_mat_mult_s8_dsp.h)
CONV2D_1X1_DSP = _dsp("tg_conv2d_1x1_s8_dsp", "conv2d", "tg_conv2d_params_t", "conv2d_s8",
                      lambda p: mat_mult_dsp_scratch(p["out_h"] * p["out_w"], p["in_c"], p["out_c"]), variant="1x1")
CONV2D_DSP = _dsp("tg_conv2d_s8_dsp", "conv2d", "tg_conv2d_params_t", "conv2d_s8", conv2d_dsp_scratch,
                  headers=("kernels/tg_conv2d_s8_dsp.h", "kernels/tg_conv2d_s8_c3_dsp.h"))
FC_DSP = _dsp("tg_fully_connected_s8_dsp", "fully_connected", "tg_fully_connected_params_t", "fully_connected_s8",
              lambda p: mat_mult_dsp_scratch(p["rows"], p["in_features"], p["out_features"]))



# --- batch-1 fully connected (the M7 / M4 instruction floor) ---
def _fc_batch1_serves(graph, node) -> bool:
    return fc_batch1_serves(*params_consts(graph, node))


def _fc_batch1_lean_serves(graph, node) -> bool:
    return fc_batch1_lean_serves(*params_consts(graph, node))


def _fc_batch1_rowpair_serves(graph, node) -> bool:
    return fc_batch1_rowpair_serves(*params_consts(graph, node))


def _fc_batch1_rowpair_lean_serves(graph, node) -> bool:
    return fc_batch1_rowpair_lean_serves(*params_consts(graph, node))


_FC_BATCH1 = dict(op="fully_connected", weight_dtype="int8", weight_bits=8, requires=frozenset({"dsp"}),
                  struct="tg_fully_connected_params_t", twin="fully_connected_s8", pack=fc_batch1_packed,
                  ref_roles=_REQUANT, headers=("kernels/tg_dsp_s8.h", "kernels/tg_mat_mult_s8_dsp.h",
                                               "kernels/tg_fully_connected_batch1_s8_dsp.h",
                                               "kernels/tg_fully_connected_batch1_steps_s8_dsp.h",
                                               "kernels/tg_fully_connected_batch1_rowpair_s8_dsp.h",
                                               "kernels/tg_fully_connected_batch1_ldm_s8_dsp.h"))

# one row, the weights of each two rows as int16 halfwords h = 256 b + a (as many bytes as int8): one
# SXTB16 per two SMLADs where int8 weights take two, 18 instructions per 16 MACs against 22 on the M4 /
# M33 (tg_fully_connected_batch1_rowpair_s8_dsp.h), where every row pair's sums are exact
# (fc_batch1_rowpair_exact); before tg_fully_connected_batch1_s8_dsp, which takes the other layers
FC_BATCH1_ROWPAIR_DSP = KernelSpec(
    "tg_fully_connected_batch1_rowpair_s8_dsp", const_roles=("packed", "multiplier", "shift"),
    source="kernels/tg_fully_connected_batch1_rowpair_s8_dsp.c", scratch=fc_batch1_scratch,
    accepts=_fc_batch1_rowpair_serves, leaner=("tg_fully_connected_batch1_rowpair_lean_s8_dsp",
                                               "tg_fully_connected_batch1_lean_s8_dsp"),
    **{**_FC_BATCH1, "pack": fc_batch1_rowpair_packed})
# the same without scratch (19 instructions per 16 MACs against 23): where the widened row would set the
# arena's peak (tinygen/passes/lower_peak.py)
FC_BATCH1_ROWPAIR_LEAN_DSP = KernelSpec(
    "tg_fully_connected_batch1_rowpair_lean_s8_dsp", const_roles=("packed", "multiplier", "shift"),
    source="kernels/tg_fully_connected_batch1_rowpair_lean_s8_dsp.c", accepts=_fc_batch1_rowpair_lean_serves,
    **{**_FC_BATCH1, "pack": fc_batch1_rowpair_packed})

# one row: widened once into scratch, 4 outputs per pass over it, int8 weights and folded biases
# in blocks of 4 rows (tinygen/kernels/fc_batch1_dsp.py); before tg_fully_connected_s8_dsp, which
# widens the row again for every 4 outputs (benchmarks/mlperf_standin.py --layers, AD)
FC_BATCH1_DSP = KernelSpec(
    "tg_fully_connected_batch1_s8_dsp", const_roles=("packed", "multiplier", "shift"),
    source="kernels/tg_fully_connected_batch1_s8_dsp.c", scratch=fc_batch1_scratch, accepts=_fc_batch1_serves,
    leaner=("tg_fully_connected_batch1_lean_s8_dsp",), **_FC_BATCH1)
# the same without scratch, each input word widened as it is read (20 instructions per 16 MACs
# against 18): where the widened row would set the arena's peak (tinygen/passes/lower_peak.py)
FC_BATCH1_LEAN_DSP = KernelSpec(
    "tg_fully_connected_batch1_lean_s8_dsp", const_roles=("packed", "multiplier", "shift"),
    source="kernels/tg_fully_connected_batch1_lean_s8_dsp.c", accepts=_fc_batch1_lean_serves, **_FC_BATCH1)
# the same with the weights widened to int16 at build time (11 instructions per 16 MACs against 18, twice the
# weights' flash): a candidate --kernels auto weighs against the flash it adds (never the preferred kernel)
FC_BATCH1_W16_DSP = KernelSpec(
    "tg_fully_connected_batch1_w16_s8_dsp", const_roles=("packed", "multiplier", "shift"),
    source="kernels/tg_fully_connected_batch1_w16_s8_dsp.c", scratch=fc_batch1_scratch, accepts=_fc_batch1_serves,
    leaner=("tg_fully_connected_batch1_lean_s8_dsp",), **{**_FC_BATCH1, "pack": fc_batch1_w16_packed})


# --- pointwise conv in 3-row blocks ---
def _rows3_serves(graph, node) -> bool:
    return rows3_serves(*params_consts(graph, node))


# tg_conv2d_1x1_s8_dsp's product with the pixels in blocks of 3 (21 instructions per 24 MACs in
# its steps against 16 per 16; firmware/kernels/support/tg_mat_mult_rows3_s8_dsp.h) where the
# specialized layer folds its requantization (tinygen/kernels/pw_rows3_dsp.py): the same
# constants, a third widened row more scratch. Before tg_conv2d_1x1_s8_dsp in the preference
# order (tinygen/kernels/table.py): on MLPerf KWS's pointwise layers (--kernels auto's choice
# table, cold cache) 502,036..502,096 against 626,302..626,309 estimated cycles by the M7 model
# (f746zg) and 803,727..806,415 against 1,039,840..1,064,575 by the M4's (f446re); like it, it
# may run in place (passes/inplace.py ROW_BLOCKS3), and KWS's and VWW's --kernels tinygen arenas
# stay 10,880 and 50,880 B with it first
CONV2D_1X1_ROWS3_DSP = KernelSpec(
    "tg_conv2d_1x1_rows3_s8_dsp", "conv2d", weight_dtype="int8", weight_bits=8, requires=frozenset({"dsp"}),
    struct="tg_conv2d_params_t", const_roles=_REQUANT, source="kernels/tg_conv2d_1x1_rows3_s8_dsp.c",
    variant="1x1", twin="conv2d_s8", scratch=rows3_scratch, accepts=_rows3_serves,
    headers=("kernels/tg_dsp_s8.h", "kernels/tg_mat_mult_s8_dsp.h", "kernels/tg_mat_mult_pairs_s8_dsp.h",
             "kernels/tg_mat_mult_rows3_s8_dsp.h"))


# --- im2col conv in 3-pixel blocks ---
def _conv_rows3_serves(graph, node) -> bool:
    return conv_rows3_serves(*params_consts(graph, node))


# tg_conv2d_s8_dsp with 3 output pixels' fields per block multiplied in the pointwise kernel's
# 3-row block (firmware/kernels/conv/tg_conv2d_rows3_s8_dsp.h) where the specialized layer folds
# its requantization (tinygen/kernels/conv_rows3_dsp.py): the same constants, a third field and
# widened row more scratch; a candidate --kernels auto measures per layer
CONV2D_ROWS3_DSP = KernelSpec(
    "tg_conv2d_rows3_s8_dsp", "conv2d", weight_dtype="int8", weight_bits=8, requires=frozenset({"dsp"}),
    struct="tg_conv2d_params_t", const_roles=_REQUANT, source="kernels/tg_conv2d_rows3_s8_dsp.c",
    twin="conv2d_s8", scratch=conv_rows3_scratch, accepts=_conv_rows3_serves,
    headers=("kernels/tg_dsp_s8.h", "kernels/tg_mat_mult_s8_dsp.h", "kernels/tg_mat_mult_pairs_s8_dsp.h",
             "kernels/tg_mat_mult_rows3_s8_dsp.h", "kernels/tg_conv2d_s8_dsp.h", "kernels/tg_conv2d_s8_c3_dsp.h",
             "kernels/tg_conv2d_rows3_s8_dsp.h"))

# --- im2col conv in 4-pixel blocks, int16 weights ---
def _rows4_serves(graph, node) -> bool:
    return rows4_serves(*params_consts(graph, node))


# 4 output pixels x 2 channels per step with the weights widened to int16 at build time
# (firmware/kernels/conv/tg_conv2d_rows4_w16_s8_dsp.h: 11 instructions per 16 MACs in its steps,
# 14 cycles by the Cortex-M33 model against the 3-row block's 16 per 16.. 24 per 24) where the
# specialized layer folds its requantization (tinygen/kernels/rows4_dsp.py); twice the int8
# weights' bytes: a candidate --kernels auto measures per layer, never the preferred kernel
_ROWS4_W16_DSP = dict(weight_dtype="int8", weight_bits=8, requires=frozenset({"dsp"}),
                      const_roles=("packed", "bias", "multiplier", "shift"), pack=rows4_w16_weights,
                      ref_roles=_REQUANT, accepts=_rows4_serves,
                      headers=("kernels/tg_dsp_s8.h", "kernels/tg_mat_mult_s8_dsp.h",
                               "kernels/tg_mat_mult_pairs_s8_dsp.h", "kernels/tg_mat_mult_rows3_s8_dsp.h",
                               "kernels/tg_conv2d_s8_dsp.h", "kernels/tg_conv2d_s8_c3_dsp.h",
                               "kernels/tg_conv2d_direct_s8_dsp.h", "kernels/tg_conv2d_add_s8_dsp.h",
                               "kernels/tg_rows4_loop_dsp.h", "kernels/tg_conv2d_rows4_w16_s8_dsp.h"))
CONV2D_ROWS4_W16_DSP = KernelSpec(
    "tg_conv2d_rows4_w16_s8_dsp", "conv2d", struct="tg_conv2d_params_t", source="kernels/tg_conv2d_rows4_w16_s8_dsp.c",
    twin="conv2d_s8", scratch=rows4_scratch, **_ROWS4_W16_DSP)
# its fused-add form (MLPerf IC's residual convs), after tg_conv2d_add_s8_dsp and the widening one:
# the output may replace the skip (passes/inplace.py FUSED_SKIP)
CONV2D_ADD_ROWS4_W16_DSP = KernelSpec(
    "tg_conv2d_add_rows4_w16_s8_dsp", "conv2d_add", struct="tg_conv2d_add_params_t",
    source="kernels/tg_conv2d_add_rows4_w16_s8_dsp.c", twin="conv2d_add_s8", scratch=add_rows4_scratch,
    **_ROWS4_W16_DSP)


def _rows4_pair_serves(graph, node) -> bool:
    return rows4_pair_serves(*params_consts(graph, node))


# the same blocks with row-pair halfwords (h = 256 b + a, tinygen/kernels/pair_halfwords.py): 12
# instructions per 16 MACs at the int8 weights' bytes (firmware/kernels/conv/tg_rows4_loop_dsp.h), where
# every channel pair is exact (rows4_pair_serves): a candidate --kernels auto measures per layer
_ROWS4_PAIR_DSP = dict(_ROWS4_W16_DSP, pack=rows4_pair_weights, accepts=_rows4_pair_serves)
CONV2D_ROWS4_PAIR_DSP = KernelSpec(
    "tg_conv2d_rows4_pair_s8_dsp", "conv2d", struct="tg_conv2d_params_t",
    source="kernels/tg_conv2d_rows4_pair_s8_dsp.c", twin="conv2d_s8", scratch=rows4_scratch, **_ROWS4_PAIR_DSP)
CONV2D_ADD_ROWS4_PAIR_DSP = KernelSpec(
    "tg_conv2d_add_rows4_pair_s8_dsp", "conv2d_add", struct="tg_conv2d_add_params_t",
    source="kernels/tg_conv2d_add_rows4_pair_s8_dsp.c", twin="conv2d_add_s8", scratch=add_rows4_scratch,
    **_ROWS4_PAIR_DSP)


def _slide_serves(graph, node) -> bool:
    return slide_serves(*params_consts(graph, node))


# 3x3 stride-1 convs over a ring of input rows widened once each (tinygen/kernels/slide_dsp.py), 2 pixels x
# one channel pair a block with the row-pair halfwords in the blocks' order: a candidate --kernels auto
# measures per layer
_SLIDE_PAIR_DSP = dict(_ROWS4_PAIR_DSP, pack=slide_pair_weights, accepts=_slide_serves,
                       headers=_ROWS4_W16_DSP["headers"] + ("kernels/tg_pair3_loop_dsp.h",
                                                            "kernels/tg_slide3_block_dsp.h",
                                                            "kernels/tg_conv2d_slide_pair_s8_dsp.h"))
CONV2D_SLIDE_PAIR_DSP = KernelSpec(
    "tg_conv2d_slide_pair_s8_dsp", "conv2d", struct="tg_conv2d_params_t",
    source="kernels/tg_conv2d_slide_pair_s8_dsp.c", twin="conv2d_s8", scratch=slide_scratch, **_SLIDE_PAIR_DSP)
CONV2D_ADD_SLIDE_PAIR_DSP = KernelSpec(
    "tg_conv2d_add_slide_pair_s8_dsp", "conv2d_add", struct="tg_conv2d_add_params_t",
    source="kernels/tg_conv2d_add_slide_pair_s8_dsp.c", twin="conv2d_add_s8", scratch=add_slide_scratch,
    **_SLIDE_PAIR_DSP)
