"""KernelSpecs of tinygen's int8 depthwise kernels for the ARMv7E-M DSP extension (Cortex-M4 /
M7, target feature "dsp"): depth multiplier 1 (3x3 records, any window widened, narrow maps, one
axis) and above 1, with the checks of which layers each one serves (`accepts`).
tinygen.kernels.table puts them in its order of preference."""

from __future__ import annotations

from tinygen.kernels.depthwise_dm_dsp import dm_scratch, dm_weights
from tinygen.kernels.depthwise_dsp import (depthwise_dsp_records, depthwise_dsp_scratch, depthwise_widen_scratch,
                                           dw3_scratch, dw3_serves)
from tinygen.kernels.depthwise_kx1_dsp import kx1_raw_scratch, kx1_raw_serves, kx1_records, kx1_scratch, kx1_serves
from tinygen.kernels.depthwise_kx1_imm import imm_records, imm_scratch, imm_serves
from tinygen.kernels.depthwise_narrow_dsp import narrow_records, narrow_scratch, narrow_serves
from tinygen.kernels.dsp_table import params_consts
from tinygen.kernels.spec import _REQUANT, KernelSpec


def _dw3_serves(graph, node) -> bool:
    return dw3_serves(*params_consts(graph, node))


# depth multiplier 1 (kernel_variants); the 3x3 path's per-channel records packed at build
# time (tinygen/kernels/depthwise_dsp.py), the other path's widened weights in scratch. Not a
# candidate where the records serve: tg_depthwise_conv2d_3x3_s8_dsp below runs the same 3x3
# path with the records as its only constants (28 bytes per channel, against 46 for the
# records beside the weights, bias, multiplier and shift this kernel also takes)
DEPTHWISE_DSP = KernelSpec(
    "tg_depthwise_conv2d_s8_dsp", "depthwise_conv2d", weight_dtype="int8", weight_bits=8,
    requires=frozenset({"dsp"}), struct="tg_conv2d_params_t", const_roles=_REQUANT + ("packed",),
    source="kernels/tg_depthwise_conv2d_s8_dsp.c", variant="depth_multiplier_1",
    twin="depthwise_conv2d_s8", headers=("kernels/tg_dsp_s8.h", "kernels/tg_depthwise_conv2d_3x3_s8_dsp.h"),
    scratch=depthwise_dsp_scratch, pack=depthwise_dsp_records, ref_roles=_REQUANT,
    accepts=lambda graph, node: not _dw3_serves(graph, node))


# the 3x3 path alone, where its records serve the layer
DEPTHWISE_3X3_DSP = KernelSpec(
    "tg_depthwise_conv2d_3x3_s8_dsp", "depthwise_conv2d", weight_dtype="int8", weight_bits=8,
    requires=frozenset({"dsp"}), struct="tg_conv2d_params_t", const_roles=("packed",),
    source="kernels/tg_depthwise_conv2d_3x3_s8_dsp.c", variant="depth_multiplier_1",
    twin="depthwise_conv2d_s8", headers=("kernels/tg_dsp_s8.h", "kernels/tg_depthwise_conv2d_3x3_s8_dsp.h"),
    scratch=dw3_scratch, pack=depthwise_dsp_records, ref_roles=_REQUANT, accepts=_dw3_serves)


# the any-window path alone, on any layer tg_depthwise_conv2d_s8_dsp takes or its 3x3 path's
# records serve: int8 weights, bias, multiplier and shift in flash (18 bytes a channel), widened
# into the scratch at each call. After both in the preference order: what a fit-aware choice
# (tinygen/fit/) or --kernels auto takes where flash is short (the portable kernel, the
# other int8-weight option, runs several times the instructions)
DEPTHWISE_WIDEN_DSP = KernelSpec(
    "tg_depthwise_conv2d_widen_s8_dsp", "depthwise_conv2d", weight_dtype="int8", weight_bits=8,
    requires=frozenset({"dsp"}), struct="tg_conv2d_params_t", const_roles=_REQUANT,
    source="kernels/tg_depthwise_conv2d_widen_s8_dsp.c", variant="depth_multiplier_1",
    twin="depthwise_conv2d_s8", headers=("kernels/tg_dsp_s8.h", "kernels/tg_depthwise_conv2d_3x3_s8_dsp.h"),
    scratch=depthwise_widen_scratch, calls=("kernels/tg_depthwise_conv2d_s8_dsp.c",))


def _kx1_serves(graph, node) -> bool:
    return kx1_serves(*params_consts(graph, node))


def _kx1_raw_serves(graph, node) -> bool:
    return kx1_raw_serves(*params_consts(graph, node))


_KX1_HEADERS = ("kernels/tg_dsp_s8.h", "kernels/tg_depthwise_conv2d_kx1_s8_dsp.h")


def _kx1_imm_serves(graph, node) -> bool:
    return imm_serves(*params_consts(graph, node))


# a one-axis depthwise layer of stride 1 with 2 to 5 taps or of stride 2 with 4 or 5 taps, no clamp
# beyond int8, <= 255 channels, output steps up to 585 (tinygen/kernels/depthwise_kx1_imm.py): the
# layer's own loops (step, outputs and the common shift as immediates, expanded by the model
# code: tinygen/codegen/emit.py), before the raw kernel, which it beats where it serves (f746zg
# stand-in, benchmarks/depthwise_shapes.py: temporal k3 with a ReLU 3.45 -> 2.36 instructions per
# MAC, k5 stride 2 3.56 -> 2.46, k3 3.79 -> 3.03, k3 dilation 4 4.33 -> 3.38, 1 x 5 2.71 -> 2.17; README "Depthwise
# along one axis"); a padded copy of the input as scratch, as the raw kernel's
DEPTHWISE_KX1_IMM_DSP = KernelSpec(
    "tg_depthwise_conv2d_kx1_imm_s8_dsp", "depthwise_conv2d", weight_dtype="int8", weight_bits=8,
    requires=frozenset({"dsp"}), struct="tg_conv2d_params_t", const_roles=("packed",),
    source="kernels/tg_depthwise_conv2d_kx1_imm_s8_dsp.c", variant="depth_multiplier_1",
    twin="depthwise_conv2d_s8", headers=(*_KX1_HEADERS, "kernels/tg_depthwise_conv2d_kx1_imm_s8_dsp.h"),
    scratch=imm_scratch, pack=imm_records, ref_roles=_REQUANT, accepts=_kx1_imm_serves,
    leaner=("tg_depthwise_conv2d_kx1_s8_dsp",))

# a depthwise layer along one axis (temporal k x 1 over width 1, 1 x k over height 1) that a
# raw path serves (depthwise_kx1_dsp.raw_path): the raw input against the records, faster than
# the widened kernel below (f746zg stand-in, benchmarks/depthwise_shapes.py: temporal k3 5.32
# -> 3.79 instructions per MAC, 1xk5 3.56 -> 2.71), its scratch a padded copy of the whole input
# (49x128: 6.6 KB against 432 B): tinygen/passes/lower_peak.py takes the widened one where that
# copy sets the arena's peak
DEPTHWISE_KX1_RAW_DSP = KernelSpec(
    "tg_depthwise_conv2d_kx1_raw_s8_dsp", "depthwise_conv2d", weight_dtype="int8", weight_bits=8,
    requires=frozenset({"dsp"}), struct="tg_conv2d_params_t", const_roles=("packed",),
    source="kernels/tg_depthwise_conv2d_kx1_raw_s8_dsp.c", variant="depth_multiplier_1",
    twin="depthwise_conv2d_s8", headers=(*_KX1_HEADERS, "kernels/tg_depthwise_conv2d_kx1_raw_s8_dsp.h"),
    scratch=kx1_raw_scratch, pack=kx1_records, ref_roles=_REQUANT, accepts=_kx1_raw_serves,
    leaner=("tg_depthwise_conv2d_kx1_s8_dsp",))

# any depthwise layer along one axis: its records (tinygen/kernels/depthwise_kx1_dsp.py), the
# doubled weights twice as int16 pairs, are all its constants; one block of 4 channels widened
# in scratch
DEPTHWISE_KX1_DSP = KernelSpec(
    "tg_depthwise_conv2d_kx1_s8_dsp", "depthwise_conv2d", weight_dtype="int8", weight_bits=8,
    requires=frozenset({"dsp"}), struct="tg_conv2d_params_t", const_roles=("packed",),
    source="kernels/tg_depthwise_conv2d_kx1_s8_dsp.c", variant="depth_multiplier_1",
    twin="depthwise_conv2d_s8", headers=(*_KX1_HEADERS, "kernels/tg_depthwise_conv2d_kx1_widen_s8_dsp.h"),
    scratch=kx1_scratch, pack=kx1_records, ref_roles=_REQUANT, accepts=_kx1_serves)


# depth multiplier > 1 (kernel_variants), 3x3 windows: the 3x3 path over the output channels,
# the input's channels repeated as its rows are widened into the ring; the records (one per
# output channel) are all its constants (f746zg stand-in, benchmarks/depthwise_shapes.py,
# 32 channels x 2 on 12x12: 37.27 -> 2.15 instructions per MAC against tg_depthwise_conv2d_s8).
# Not in inplace.DISTANCE: its output never overlaps its input
DEPTHWISE_3X3_DM_DSP = KernelSpec(
    "tg_depthwise_conv2d_3x3_dm_s8_dsp", "depthwise_conv2d", weight_dtype="int8", weight_bits=8,
    requires=frozenset({"dsp"}), struct="tg_conv2d_params_t", const_roles=("packed",),
    source="kernels/tg_depthwise_conv2d_3x3_dm_s8_dsp.c", variant="depth_multiplier_n",
    twin="depthwise_conv2d_s8", headers=("kernels/tg_dsp_s8.h", "kernels/tg_depthwise_conv2d_3x3_s8_dsp.h"),
    scratch=dw3_scratch, pack=depthwise_dsp_records, ref_roles=_REQUANT, accepts=_dw3_serves)


# depth multiplier > 1, any window, stride, dilation, padding and input channel count, where the
# 3x3 kernel above does not serve (those layers took the portable kernel before it): each pixel's
# window gathered once per input channel as int16 tap pairs (scratch: one window) and multiplied
# with the M output channels' weights, packed at build time as int16 pairs in the taps' order
# (tinygen/kernels/depthwise_dm_dsp.py), by SMLAD (f746zg stand-in, benchmarks/micro_speech.py:
# micro-speech's 1 channel x 8, 10x8 stride 2, 22.62 -> 1.69 instructions per MAC against
# tg_depthwise_conv2d_s8). Not in inplace.DISTANCE: its output never overlaps its input
DEPTHWISE_DM_DSP = KernelSpec(
    "tg_depthwise_conv2d_dm_s8_dsp", "depthwise_conv2d", weight_dtype="int8", weight_bits=8,
    requires=frozenset({"dsp"}), struct="tg_conv2d_params_t", const_roles=("packed", "bias", "multiplier", "shift"),
    source="kernels/tg_depthwise_conv2d_dm_s8_dsp.c", variant="depth_multiplier_n",
    twin="depthwise_conv2d_s8", headers=("kernels/tg_dsp_s8.h", "kernels/tg_mat_mult_s8_dsp.h"),
    scratch=dm_scratch, pack=dm_weights, ref_roles=_REQUANT, accepts=lambda graph, node: not _dw3_serves(graph, node))


# 3x3 depthwise on narrow maps

def _narrow_serves(graph, node) -> bool:
    return narrow_serves(*params_consts(graph, node))


# 3x3 stride 1 on output rows of 5 pixels, channels a multiple of 4 (MLPerf KWS's depthwise layers):
# a whole output row per channel, 11.6 instructions per output (12.4 without padding on the left)
# against the 3x3 path's 15.5 per pixel of its groups of 4 and 24 for the odd fifth; records of 40
# bytes a channel against 32. Before the 3x3 path in the preference order: --kernels auto's
# measuring variants run a layer's second candidate beside the others' second ones, where the
# arena's lowering (passes/lower_peak.py) put the 3x3 path back and left it unmeasured
DEPTHWISE_3X3_NARROW_DSP = KernelSpec(
    "tg_depthwise_conv2d_3x3_narrow_s8_dsp", "depthwise_conv2d", weight_dtype="int8", weight_bits=8,
    requires=frozenset({"dsp"}), struct="tg_conv2d_params_t", const_roles=("packed",),
    source="kernels/tg_depthwise_conv2d_3x3_narrow_s8_dsp.c", variant="depth_multiplier_1",
    twin="depthwise_conv2d_s8", headers=("kernels/tg_depthwise_conv2d_3x3_narrow_s8_dsp.h",),
    scratch=narrow_scratch, pack=narrow_records, ref_roles=_REQUANT, accepts=_narrow_serves)
