"""The kernel catalogue: every KernelSpec (tinygen.kernels.spec) in order of preference, and
find_kernels / find_kernel, which pick from it by op, dtypes, variant, the target's features
and the backend asked for.

tinygen's portable kernels are listed here; the DSP ones come from tinygen.kernels.dsp_table and dsp_depthwise_table,
the backends' adapters (CMSIS-NN, ESP-NN), the RV32IM, low-bit and gating kernels from their
modules (appended at the end of this module)."""

from __future__ import annotations

from tinygen.kernels.dsp_depthwise_table import (DEPTHWISE_3X3_DM_DSP, DEPTHWISE_3X3_DSP,
                                                 DEPTHWISE_3X3_NARROW_DSP, DEPTHWISE_DM_DSP, DEPTHWISE_DSP,
                                                 DEPTHWISE_KX1_DSP, DEPTHWISE_KX1_IMM_DSP, DEPTHWISE_KX1_RAW_DSP,
                                                 DEPTHWISE_WIDEN_DSP)
from tinygen.kernels.dsp_table import (ADD_DSP, AVG_POOL_DSP, AVG_POOL_GLOBAL_POW2_DSP, CONV2D_1X1_DSP,
                                       CONV2D_1X1_SHALLOW_DSP, CONV2D_ADD_DSP, CONV2D_ADD_WIDEN_DSP,
                                       CONV2D_DIRECT_DSP, CONV2D_DSP, CONV2D_WIDEN_DSP, FC_BATCH1_DSP,
                                       FC_BATCH1_LEAN_DSP,
                                       FC_BATCH1_ROWPAIR_DSP, FC_BATCH1_ROWPAIR_LEAN_DSP, FC_BATCH1_W16_DSP, FC_DSP,
                                       FC_SHALLOW_DSP, MAX_POOL_DSP, SOFTMAX_DSP)
from tinygen.kernels.dsp_table import CONV2D_1X1_ROWS3_DSP      # pointwise in 3-row blocks
from tinygen.kernels.dsp_table import CONV2D_ROWS3_DSP          # im2col conv in 3-pixel blocks
from tinygen.kernels.dsp_table import CONV2D_ROWS4_W16_DSP      # im2col conv in 4-pixel blocks, int16 weights
from tinygen.kernels.dsp_table import CONV2D_ADD_ROWS4_W16_DSP  # and with a fused add
from tinygen.kernels.dsp_table import CONV2D_ROWS4_PAIR_DSP      # 4-pixel blocks, row-pair halfwords
from tinygen.kernels.dsp_table import CONV2D_ADD_ROWS4_PAIR_DSP  # and with a fused add
from tinygen.kernels.dsp_table import CONV2D_SLIDE_PAIR_DSP      # 3x3 over a ring of widened rows
from tinygen.kernels.dsp_table import CONV2D_ADD_SLIDE_PAIR_DSP  # and with a fused add
from tinygen.kernels.lut import hard_swish_table, softmax_exp_table
from tinygen.kernels.params import kernel_params, struct_fields
from tinygen.kernels.spec import _OPERAND, _REQUANT, KernelSpec, pack_consts
from tinygen.ref.sparse import density, sparse_records


# one output of the portable convolution, shared by tg_conv2d_s8 and tg_conv2d_add_s8
_CONV2D_S8_H = ("kernels/tg_conv2d_s8.h",)


def _portable(name, op, struct, const_roles=(), weight=None, variant=None, headers=()):
    wd, wb = (weight, 8) if weight else (None, None)
    return KernelSpec(name, op, weight_dtype=wd, weight_bits=wb, struct=struct,
                      const_roles=const_roles, source=f"kernels/{name}.c", variant=variant, headers=headers)


_HARD_SWISH_LUT = KernelSpec("tg_hard_swish_lut_s8", "hard_swish", struct="tg_hard_swish_params_t",
                             const_roles=("packed",), source="kernels/tg_hard_swish_lut_s8.c", twin="hard_swish_s8",
                             pack=hard_swish_table, ref_roles=())


# The connection-sparse pointwise conv (tg_conv2d_sparse_s8: per output channel a list of its
# nonzero weights and their input channels) is chosen only below the weight density (nonzero
# fraction) where it executes fewer instructions than the dense kernel the core uses otherwise:
# measured by benchmarks/pruning.py on the stand-ins (M7: mps2-an500, M4: mps2-an386) for
# 1x1 convs 64 -> 64 over 8x8 pixels at densities 10..90% against tg_conv2d_1x1_s8_dsp (DSP
# cores) and tg_conv2d_s8 (portable kernels, measured on the M7 stand-in). M7 / M4: the
# sparse kernel takes 1.20x / 1.22x the dense DSP kernel's instructions already at 10%
# density (5.2x at 90%): never chosen. Portable: 0.21x at 10% .. 0.91x at 90%, but its lists
# take 4 bytes of flash per kept weight against 1: chosen below 25%, where it is both faster
# (0.31x at 20%, 0.39x at 30%) and no larger
SPARSE_BREAK_EVEN = {"cortex-m7": 0.0, "cortex-m4": 0.0, "portable": 0.25}


def _sparse(core: str, requires: frozenset) -> KernelSpec:
    def pays(graph, node) -> bool:
        return density(graph.const(node, "weight")) < SPARSE_BREAK_EVEN[core]

    return KernelSpec("tg_conv2d_sparse_s8", "conv2d", weight_dtype="int8", weight_bits=8, requires=requires,
                      struct="tg_conv2d_params_t", const_roles=("packed", "bias", "multiplier", "shift"),
                      source="kernels/tg_conv2d_sparse_s8.c", variant="1x1", twin="conv2d_s8",
                      headers=("kernels/tg_kernels_sparse.h",), pack=sparse_records, ref_roles=_REQUANT,
                      accepts=pays)


# In order of preference: the first matching kernel whose requirements the
# target meets is chosen. Portable kernels come last and require nothing.
KERNELS: tuple[KernelSpec, ...] = (
    _sparse("cortex-m7", frozenset({"dsp", "fpv5-sp"})),
    _sparse("cortex-m4", frozenset({"dsp", "fpv4-sp"})),
    CONV2D_1X1_SHALLOW_DSP,
    CONV2D_1X1_ROWS3_DSP,   # pointwise in 3-row blocks where they serve: faster by the M7 and M4 models (dsp_table.py)
    CONV2D_1X1_DSP,
    CONV2D_WIDEN_DSP,
    CONV2D_DSP,
    CONV2D_DIRECT_DSP,
    CONV2D_ROWS3_DSP,       # im2col conv in 3-pixel blocks: a candidate of --kernels auto, not the default
    CONV2D_ROWS4_W16_DSP,   # 4-pixel blocks, int16 weights: a candidate of --kernels auto (twice the flash)
    CONV2D_ROWS4_PAIR_DSP,  # 4-pixel blocks, row-pair halfwords: a candidate of --kernels auto (int8 flash)
    CONV2D_SLIDE_PAIR_DSP,  # 3x3 stride 1 over a ring of widened input rows: a candidate of --kernels auto
    FC_SHALLOW_DSP,
    FC_BATCH1_ROWPAIR_DSP,  # row-pair halfwords where their sums are exact, else the int8 kernels below
    FC_BATCH1_ROWPAIR_LEAN_DSP,
    FC_BATCH1_DSP,
    FC_BATCH1_LEAN_DSP,
    FC_DSP,
    FC_BATCH1_W16_DSP,      # int16 weights: a candidate of --kernels auto, not the default (twice the flash)
    _sparse("portable", frozenset()),
    _portable("tg_conv2d_s8", "conv2d", "tg_conv2d_params_t", _REQUANT, "int8", headers=_CONV2D_S8_H),
    CONV2D_ADD_WIDEN_DSP,
    CONV2D_ADD_DSP,
    CONV2D_ADD_ROWS4_W16_DSP,   # 4-pixel blocks, int16 weights: a candidate of --kernels auto
    CONV2D_ADD_ROWS4_PAIR_DSP,  # 4-pixel blocks, row-pair halfwords: a candidate of --kernels auto
    CONV2D_ADD_SLIDE_PAIR_DSP,  # 3x3 stride 1 over a ring of widened input rows: a candidate of --kernels auto
    _portable("tg_conv2d_add_s8", "conv2d_add", "tg_conv2d_add_params_t", _REQUANT, "int8",
              headers=_CONV2D_S8_H),
    DEPTHWISE_3X3_NARROW_DSP,   # narrow maps (rows of 5 pixels): before the 3x3 path, faster where it serves
    DEPTHWISE_3X3_DSP,
    DEPTHWISE_KX1_IMM_DSP,
    DEPTHWISE_KX1_RAW_DSP,
    DEPTHWISE_KX1_DSP,
    DEPTHWISE_DSP,
    DEPTHWISE_WIDEN_DSP,
    DEPTHWISE_3X3_DM_DSP,
    DEPTHWISE_DM_DSP,           # depth multiplier > 1 where the 3x3 one does not serve
    _portable("tg_depthwise_conv2d_s8", "depthwise_conv2d", "tg_conv2d_params_t", _REQUANT, "int8"),
    _portable("tg_fully_connected_s8", "fully_connected", "tg_fully_connected_params_t", _REQUANT, "int8"),
    MAX_POOL_DSP,
    _portable("tg_max_pool2d_s8", "max_pool2d", "tg_pool2d_params_t"),
    AVG_POOL_GLOBAL_POW2_DSP,
    AVG_POOL_DSP,
    _portable("tg_avg_pool2d_s8", "avg_pool2d", "tg_pool2d_params_t"),
    ADD_DSP,
    _portable("tg_add_s8", "add", "tg_add_params_t", _OPERAND),
    _portable("tg_add_broadcast_s8", "add", "tg_add_broadcast_params_t", _OPERAND, variant="broadcast"),
    _portable("tg_mul_s8", "mul", "tg_mul_params_t", _OPERAND),
    SOFTMAX_DSP,
    _portable("tg_softmax_s8", "softmax", "tg_softmax_params_t"),
    _portable("tg_logistic_s8", "logistic", "tg_logistic_params_t"),
    _portable("tg_concat_s8", "concat", "tg_concat_params_t"),
    _portable("tg_transpose_s8", "transpose", "tg_transpose_params_t", headers=("kernels/tg_transpose_elements.h",)),
    _portable("tg_slice_s8", "slice", "tg_slice_params_t"),
    _portable("tg_resize_nearest_s8", "resize_nearest", "tg_resize_nearest_params_t"),
    _portable("tg_resize_bilinear_s8", "resize_bilinear", "tg_resize_bilinear_params_t"),
    _portable("tg_clamp_s8", "clamp", "tg_clamp_params_t"),
    _portable("tg_pad_s8", "pad", "tg_pad_params_t"),
    _portable("tg_mean_s8", "mean", "tg_mean_params_t"),
    # hard swish by a 256-byte table of tg_hard_swish_s8's outputs: the same bytes at one load per
    # element, first in preference (MobileNetV3-Small at 96x96, DSP kernels, on the M7 stand-in:
    # its 147,616 hard swish outputs took 15.50 M of the network's 40.10 M instructions with the
    # portable kernel, 105 per element; 1.48 M with the table, 10 per element: 26.07 M in all)
    _HARD_SWISH_LUT,
    _portable("tg_hard_swish_s8", "hard_swish", "tg_hard_swish_params_t"),
    # one kernel, two ops: they differ only in how Prepare derives the parameters
    _portable("tg_requantize_s8", "requantize", "tg_requantize_params_t"),
    _portable("tg_requantize_s8", "relu", "tg_requantize_params_t"),
    # -- table lookup (ONNX front end): an elementwise op of a quantized ONNX model --
    _portable("tg_lut_s8", "lut", "tg_lut_params_t", ("table",)),
    # -- softmax onto a quantized ONNX model's output grid (ONNX front end), plain C for every target --
    KernelSpec("tg_softmax_scaled_s8", "softmax", struct="tg_softmax_scaled_params_t", const_roles=("packed",),
               source="kernels/tg_softmax_scaled_s8.c", variant="scaled", pack=softmax_exp_table, ref_roles=()),
    # -- average pooling as onnxruntime rounds it (ONNX front end: QLinearAveragePool) --
    _portable("tg_avg_pool2d_requant_s8", "avg_pool2d", "tg_avg_pool2d_requant_params_t", variant="requant"),
)


# kernel backends a user can ask for (--kernels): tinygen's kernels with the target's ISA
# extensions, tinygen's portable C only, CMSIS-NN where it has the layer (tinygen's kernels
# for the rest), ESP-NN where it has the layer (likewise), or per layer the fastest by
# measured instructions
BACKENDS = ("tinygen", "portable", "cmsis-nn", "esp-nn", "auto")

# CMSIS-NN adapters (firmware/cmsis_nn), for targets where a CMSIS-NN tree is configured
# (imported here, after KernelSpec: tinygen.kernels.cmsis_nn does not import this module)
from tinygen.kernels.cmsis_nn import HEADER as _CMSIS_NN_HEADER, cmsis_nn_kernels  # noqa: E402

KERNELS = KERNELS + cmsis_nn_kernels(KernelSpec)

# ESP-NN adapters (firmware/esp_nn), for targets where an ESP-NN tree is configured
from tinygen.kernels.esp_nn import HEADER as _ESP_NN_HEADER, esp_nn_kernels  # noqa: E402

KERNELS = KERNELS + esp_nn_kernels(KernelSpec)

# the RV32IM kernels (ESP32-C3, feature "rv32im"), before the portable kernels they replace
from tinygen.kernels.rv32 import rv32_kernels  # noqa: E402

KERNELS = rv32_kernels(KernelSpec) + KERNELS

# the Helium (MVE) kernels (Cortex-M55, feature "mve"), before the DSP kernels the core also runs
from tinygen.kernels.mve_table import mve_kernels  # noqa: E402

KERNELS = mve_kernels(KernelSpec) + KERNELS

# binary, sub-byte and power-of-two kernels (firmware/kernels/lowbit/LOWBIT.md)
from tinygen.kernels.lowbit_table import lowbit_kernels  # noqa: E402

KERNELS = KERNELS + lowbit_kernels(KernelSpec)

# run-time channel gating and early exits (tinygen/gating)
from tinygen.kernels.gating import gating_kernels  # noqa: E402

KERNELS = KERNELS + gating_kernels(KernelSpec)

# transposed convolution: DSP, RV32IM, portable (tinygen/kernels/transpose_conv.py)
from tinygen.kernels.transpose_conv import transpose_conv_kernels  # noqa: E402

KERNELS = KERNELS + transpose_conv_kernels(KernelSpec)

# normalization and attention: layer / RMS norm, batch matmul, RSQRT, SUB, SQUARED_DIFFERENCE,
# the causal softmax (tinygen/kernels/attention.py)
from tinygen.kernels.attention import attention_kernels  # noqa: E402

KERNELS = KERNELS + attention_kernels(KernelSpec)

# recurrent layers: LSTM, GRU, SVDF (firmware/kernels/recurrent/)
from tinygen.kernels.recurrent import recurrent_kernels  # noqa: E402

KERNELS = KERNELS + recurrent_kernels(KernelSpec)
from tinygen.kernels.cmsis_nn import cmsis_nn_recurrent_kernels  # noqa: E402

KERNELS = KERNELS + cmsis_nn_recurrent_kernels(KernelSpec)

# the simpler operators users' models bring: the table kernel first (before the fixed-point
# logistic and tanh it tabulates), tanh, PReLU, sum, strided slice and mirror padding last
from tinygen.kernels.simple_table import simple_kernels  # noqa: E402

_SIMPLE_FIRST, _SIMPLE_LAST = simple_kernels()
KERNELS = _SIMPLE_FIRST + KERNELS + _SIMPLE_LAST

# int16 activations (TFLite's 16x8 quantization): firmware/kernels/support/tg_kernels_s16.h
from tinygen.kernels.s16_table import s16_kernels  # noqa: E402

KERNELS = KERNELS + s16_kernels()

# float32 models run as they are (a float .tflite): firmware/kernels/support/tg_kernels_f32.h
from tinygen.kernels.float_table import float_kernels  # noqa: E402

KERNELS = KERNELS + float_kernels()

# TFLite Micro's signal library (an audio front end on plain integers: tinygen/kernels/signal_table.py)
from tinygen.kernels.signal_table import signal_kernels  # noqa: E402

KERNELS = KERNELS + signal_kernels()

# the filter-bank half of TFLite Micro's signal library (plain integers: tinygen/kernels/signal_bank_table.py)
from tinygen.kernels.signal_bank_table import signal_bank_kernels  # noqa: E402

KERNELS = KERNELS + signal_bank_kernels()

# builtin ops on plain (unquantized) integers: CAST, int32 arithmetic (tinygen/kernels/plain_table.py)
from tinygen.kernels.plain_table import plain_kernels  # noqa: E402

KERNELS = KERNELS + plain_kernels()

# the signal library's streaming ops, state carried over invocations (tinygen/kernels/signal_stream_table.py)
from tinygen.kernels.signal_stream_table import signal_stream_kernels  # noqa: E402

KERNELS = KERNELS + signal_stream_kernels()

# resource variables, bytes carried over invocations (tinygen/kernels/variable_table.py)
from tinygen.kernels.variable_table import variable_kernels  # noqa: E402

KERNELS = KERNELS + variable_kernels()

# comparisons and selection on bool tensors (tinygen/kernels/select_table.py)
from tinygen.kernels.select_table import select_kernels  # noqa: E402

KERNELS = KERNELS + select_kernels()
# comparing and magnitude ops on quantized integers: MAXIMUM, REDUCE_MAX, ARG_MAX, ABS (tinygen/kernels/math_table.py)
from tinygen.kernels.math_table import math_kernels  # noqa: E402

KERNELS = KERNELS + math_kernels()

# data movement on elements of any size: tg_strided_copy, tg_gather (tinygen/kernels/moves_table.py)
from tinygen.kernels.moves_table import move_kernels  # noqa: E402

KERNELS = KERNELS + move_kernels()

# ... and their float32 forms, with the other float math functions (tinygen/kernels/math_f32_table.py)
from tinygen.kernels.math_f32_table import math_f32_kernels  # noqa: E402

KERNELS = KERNELS + math_f32_kernels()

# DETECTION_POSTPROCESS, an SSD detector's float end (tinygen/kernels/params_detection.py)
from tinygen.kernels.params_detection import detection_kernels  # noqa: E402

KERNELS = KERNELS + detection_kernels()

# CMSIS-NN's int16 kernels, where they compute the portable ones' bytes (tinygen/kernels/cmsis_nn_s16.py)
from tinygen.kernels.cmsis_nn_s16 import cmsis_nn_s16_kernels  # noqa: E402

KERNELS = KERNELS + cmsis_nn_s16_kernels(KernelSpec)

# the shared-weight kernels, reading a codebook's packed indices (tinygen/kernels/lut_table.py)
from tinygen.kernels.lut_table import LUT_KERNELS, LUT_MVE_KERNELS  # noqa: E402

# (those for Helium first, with the other MVE kernels: before the DSP ones, which the Cortex-M55 also runs)
KERNELS = LUT_MVE_KERNELS + KERNELS + LUT_KERNELS

# entropy-coded weights (--weights huffman): only for the nodes passes/entropy_code.py marks
from tinygen.kernels.huffman_table import huffman_kernels  # noqa: E402

KERNELS = KERNELS + huffman_kernels()

# the header declaring a backend's kernels, which model.c includes besides tg_kernels.h
BACKEND_HEADERS = {"cmsis-nn": _CMSIS_NN_HEADER, "esp-nn": _ESP_NN_HEADER}


def find_kernels(op: str, act_dtype: str, weight_dtype: str | None, weight_bits: int | None,
                 features: frozenset | set, variants: tuple[str | None, ...] = (None,),
                 backends: tuple[str, ...] = ("tinygen",), in_dtype: str | None = None) -> list[KernelSpec]:
    """Every kernel in KERNELS able to compute a node, in order of preference: for the op and
    dtypes (act_dtype: the output's; in_dtype: the input's, None: the same), with a variant in
    `variants` (kernel_params.kernel_variants: those able to compute the node, most
    specialised first), requirements the target's features meet (and none it excludes), and
    a backend in `backends`."""
    in_dtype = in_dtype or act_dtype
    found = [spec for spec in KERNELS
             if spec.op == op and spec.act_dtype == act_dtype and (spec.in_dtype or spec.act_dtype) == in_dtype
             and spec.weight_dtype == weight_dtype and spec.weight_bits == weight_bits
             and spec.requires <= set(features) and not spec.excludes & set(features)
             and spec.variant in variants and spec.backend in backends]
    # the most specialised variant first, then table order
    return sorted(found, key=lambda spec: variants.index(spec.variant))


def find_kernel(op: str, act_dtype: str, weight_dtype: str | None, weight_bits: int | None,
                features: frozenset | set, variants: tuple[str | None, ...] = (None,),
                backends: tuple[str, ...] = ("tinygen",), in_dtype: str | None = None) -> KernelSpec | None:
    """The preferred kernel of find_kernels, or None."""
    found = find_kernels(op, act_dtype, weight_dtype, weight_bits, features, variants, backends, in_dtype)
    return found[0] if found else None

# a kernel listed for two ops has the same name, struct, roles and source in both entries
KERNELS_BY_NAME: dict[str, KernelSpec] = {k.name: k for k in KERNELS}


def const_bytes(spec: KernelSpec, graph, node) -> int:
    """Flash bytes of the constants `spec` takes for `node`: its const_roles, a packed constant
    as spec.pack builds it (e.g. tg_conv2d_direct_s8_dsp's int16 weights, twice
    tg_conv2d_widen_s8_dsp's int8 ones). What a fit-aware choice weighs against instructions."""
    import numpy as np

    consts = pack_consts(graph, node)
    total = sum(spec.stored_bytes(role, consts[role]) for role in spec.const_roles if role in consts)
    if spec.pack is not None and "packed" in spec.const_roles:
        kparams = struct_fields(spec.struct, kernel_params(graph, node))
        total += int(np.asarray(spec.pack(kparams, consts)).nbytes)
    return total
