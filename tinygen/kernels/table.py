"""Kernel specifications: what each C kernel implements and requires."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from tinygen.kernels.depthwise_dsp import depthwise_dsp_records, depthwise_dsp_scratch, dw3_scratch, dw3_serves
from tinygen.kernels.depthwise_kx1_dsp import kx1_raw_scratch, kx1_raw_serves, kx1_records, kx1_scratch, kx1_serves
from tinygen.kernels.fc_shallow_dsp import fc_shallow_records, fc_shallow_serves
from tinygen.kernels.lut import hard_swish_table, softmax_exp_table
from tinygen.kernels.params import conv2d_direct_dsp_weights, conv2d_widen_dsp_weights
from tinygen.kernels.pw_shallow_dsp import pw_shallow_scratch, pw_shallow_serves
from tinygen.kernels.scratch import conv2d_dsp_scratch, mat_mult_dsp_scratch


@dataclass(frozen=True)
class KernelSpec:
    name: str                    # C function, e.g. tg_conv2d_s8
    op: str                      # IR op
    act_dtype: str = "int8"      # activation dtype of inputs and output
    in_dtype: str | None = None  # the input's activation dtype where it differs (e.g. "b1")
    weight_dtype: str | None = None
    weight_bits: int | None = None
    requires: frozenset = frozenset()   # target features ("dsp", ...) it needs
    struct: str | None = None    # C parameter struct type
    const_roles: tuple[str, ...] = ()   # constants passed after the inputs, in order
    source: str = ""             # firmware file implementing it (relative to firmware/)
    # for ops with shape-dependent kernels: the variant it implements, one of those
    # kernel_params.kernel_variants names for a node (e.g. "broadcast" for an add of
    # operands of different shapes, "1x1" for a pointwise conv); None: the general case
    variant: str | None = None
    # numpy twin in tinygen.ref.kernels when it is not the one named like the kernel:
    # an ISA-specific kernel computes the same function as its portable kernel
    twin: str | None = None
    headers: tuple[str, ...] = ()       # firmware headers it needs besides tg_kernels.h, tg_requant.h
    # who wrote the implementation: "tinygen" (firmware/kernels) or "cmsis-nn" (calls into
    # the user's CMSIS-NN tree through an adapter); see BACKENDS
    backend: str = "tinygen"
    # scratch bytes the kernel needs in the arena, from its parameter struct (None: none).
    # A kernel with scratch takes a `int8_t *scratch` argument just before its output.
    scratch: Callable[[dict], int] | None = None
    # constant data derived at build time from the node's constants, in the layout the kernel
    # reads (e.g. weights widened and interleaved, biases folded): pack(kparams, consts by role)
    # gives the array; choose_kernels stores it in flash as the node's "packed" constant, and
    # the kernel lists "packed" among its const_roles where it takes it
    pack: Callable[[dict, dict], "np.ndarray"] | None = None
    # the constants the numpy twin takes, where they differ from const_roles (a kernel
    # reading a packed constant instead of the weights); None: const_roles
    ref_roles: tuple[str, ...] | None = None
    # whether the kernel computes a given (graph, node) exactly, for kernels that serve only
    # some nodes of their op and variant (e.g. CMSIS-NN's per-tensor fully connected); None: all
    accepts: Callable | None = None
    # other kernels' sources (relative to firmware/) it calls, compiled alongside it (e.g. a
    # gated kernel running the dense DSP kernel on the kept channels)
    calls: tuple[str, ...] = ()
    # kernels of the same layers that need less scratch and no more than a few times the
    # instructions, which tinygen/passes/lower_peak.py tries besides the scratch-free ones
    # where this kernel's scratch sets the arena's peak
    leaner: tuple[str, ...] = ()

    @property
    def ref_name(self) -> str:
        """Name of the numpy twin in tinygen.ref.kernels."""
        return self.twin or self.name[len("tg_"):]


_REQUANT = ("weight", "bias", "multiplier", "shift")


# the constant operand of an add or mul (when one operand is not an activation)
_OPERAND = ("operand",)


# one output of the portable convolution, shared by tg_conv2d_s8 and tg_conv2d_add_s8
_CONV2D_S8_H = ("kernels/tg_conv2d_s8.h",)


def _portable(name, op, struct, const_roles=(), weight=None, variant=None, headers=()):
    wd, wb = (weight, 8) if weight else (None, None)
    return KernelSpec(name, op, weight_dtype=wd, weight_bits=wb, struct=struct,
                      const_roles=const_roles, source=f"kernels/{name}.c", variant=variant, headers=headers)


def _dsp(name, op, struct, twin, scratch, variant=None, headers=()):
    """An ARMv7E-M (Cortex-M4/M7 DSP extension) int8 kernel with int8 weights and
    requantization, equal to the portable kernel `twin` on the nodes it serves."""
    return KernelSpec(name, op, weight_dtype="int8", weight_bits=8, requires=frozenset({"dsp"}),
                      struct=struct, const_roles=_REQUANT, source=f"kernels/{name}.c", variant=variant,
                      twin=twin, headers=("kernels/tg_dsp_s8.h", "kernels/tg_mat_mult_s8_dsp.h") + headers,
                      scratch=scratch)


def _dw3_serves(graph, node) -> bool:
    from tinygen.kernels.params import kernel_params

    consts = {role: graph.const(node, role) for role in _REQUANT}
    return dw3_serves(kernel_params(graph, node), consts)


# depth multiplier 1 (kernel_variants); the 3x3 path's per-channel records packed at build
# time (tinygen/kernels/depthwise_dsp.py), the other path's widened weights in scratch. Not a
# candidate where the records serve: tg_depthwise_conv2d_3x3_s8_dsp below runs the same 3x3
# path with the records as its only constants (32 bytes per channel, against 53 for the
# records beside the weights, bias, multiplier and shift this kernel also takes)
_DEPTHWISE_DSP = KernelSpec(
    "tg_depthwise_conv2d_s8_dsp", "depthwise_conv2d", weight_dtype="int8", weight_bits=8,
    requires=frozenset({"dsp"}), struct="tg_conv2d_params_t", const_roles=_REQUANT + ("packed",),
    source="kernels/tg_depthwise_conv2d_s8_dsp.c", variant="depth_multiplier_1",
    twin="depthwise_conv2d_s8", headers=("kernels/tg_dsp_s8.h", "kernels/tg_depthwise_conv2d_3x3_s8_dsp.h"),
    scratch=depthwise_dsp_scratch, pack=depthwise_dsp_records, ref_roles=_REQUANT,
    accepts=lambda graph, node: not _dw3_serves(graph, node))


# the 3x3 path alone, where its records serve the layer
_DEPTHWISE_3X3_DSP = KernelSpec(
    "tg_depthwise_conv2d_3x3_s8_dsp", "depthwise_conv2d", weight_dtype="int8", weight_bits=8,
    requires=frozenset({"dsp"}), struct="tg_conv2d_params_t", const_roles=("packed",),
    source="kernels/tg_depthwise_conv2d_3x3_s8_dsp.c", variant="depth_multiplier_1",
    twin="depthwise_conv2d_s8", headers=("kernels/tg_dsp_s8.h", "kernels/tg_depthwise_conv2d_3x3_s8_dsp.h"),
    scratch=dw3_scratch, pack=depthwise_dsp_records, ref_roles=_REQUANT, accepts=_dw3_serves)


def _kx1_consts(graph, node) -> tuple[dict, dict]:
    from tinygen.kernels.params import kernel_params

    return kernel_params(graph, node), {role: graph.const(node, role) for role in _REQUANT}


def _kx1_serves(graph, node) -> bool:
    return kx1_serves(*_kx1_consts(graph, node))


def _kx1_raw_serves(graph, node) -> bool:
    return kx1_raw_serves(*_kx1_consts(graph, node))


_KX1_HEADERS = ("kernels/tg_dsp_s8.h", "kernels/tg_depthwise_conv2d_kx1_s8_dsp.h")

# a depthwise layer along one axis (temporal k x 1 over width 1, 1 x k over height 1) that a
# raw path serves (depthwise_kx1_dsp.raw_path): the raw input against the records, faster than
# the widened kernel below (f746zg stand-in, benchmarks/depthwise_shapes.py: temporal k3 5.32
# -> 3.79 instructions per MAC, 1xk5 3.56 -> 2.71), its scratch a padded copy of the whole input
# (49x128: 6.6 KB against 432 B): tinygen/passes/lower_peak.py takes the widened one where that
# copy sets the arena's peak
_DEPTHWISE_KX1_RAW_DSP = KernelSpec(
    "tg_depthwise_conv2d_kx1_raw_s8_dsp", "depthwise_conv2d", weight_dtype="int8", weight_bits=8,
    requires=frozenset({"dsp"}), struct="tg_conv2d_params_t", const_roles=("packed",),
    source="kernels/tg_depthwise_conv2d_kx1_raw_s8_dsp.c", variant="depth_multiplier_1",
    twin="depthwise_conv2d_s8", headers=(*_KX1_HEADERS, "kernels/tg_depthwise_conv2d_kx1_raw_s8_dsp.h"),
    scratch=kx1_raw_scratch, pack=kx1_records, ref_roles=_REQUANT, accepts=_kx1_raw_serves,
    leaner=("tg_depthwise_conv2d_kx1_s8_dsp",))

# any depthwise layer along one axis: its records (tinygen/kernels/depthwise_kx1_dsp.py), the
# doubled weights twice as int16 pairs, are all its constants; one block of 4 channels widened
# in scratch
_DEPTHWISE_KX1_DSP = KernelSpec(
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
_DEPTHWISE_3X3_DM_DSP = KernelSpec(
    "tg_depthwise_conv2d_3x3_dm_s8_dsp", "depthwise_conv2d", weight_dtype="int8", weight_bits=8,
    requires=frozenset({"dsp"}), struct="tg_conv2d_params_t", const_roles=("packed",),
    source="kernels/tg_depthwise_conv2d_3x3_dm_s8_dsp.c", variant="depth_multiplier_n",
    twin="depthwise_conv2d_s8", headers=("kernels/tg_dsp_s8.h", "kernels/tg_depthwise_conv2d_3x3_s8_dsp.h"),
    scratch=dw3_scratch, pack=depthwise_dsp_records, ref_roles=_REQUANT, accepts=_dw3_serves)


# the direct convolution (tg_conv2d_direct_s8_dsp.h): reads the input in place, no scratch;
# weights widened to int16 at build time (in flash: twice the int8 weights' bytes)
_DIRECT_DSP = dict(weight_dtype="int8", weight_bits=8, requires=frozenset({"dsp"}),
                   const_roles=("packed", "bias", "multiplier", "shift"), pack=conv2d_direct_dsp_weights,
                   ref_roles=_REQUANT)

# a conv2d with a fused residual add (tinygen/passes/fuse_residual.py): the output may replace the skip
_CONV2D_ADD_DSP = KernelSpec(
    "tg_conv2d_add_s8_dsp", "conv2d_add", struct="tg_conv2d_add_params_t", source="kernels/tg_conv2d_add_s8_dsp.c",
    twin="conv2d_add_s8", headers=("kernels/tg_dsp_s8.h", "kernels/tg_mat_mult_s8_dsp.h",
                                   "kernels/tg_conv2d_direct_s8_dsp.h", "kernels/tg_conv2d_add_s8_dsp.h"),
    **_DIRECT_DSP)

# a plain conv2d without tg_conv2d_s8_dsp's im2col scratch, after it in preference: chosen by
# tinygen/passes/lower_peak.py where that scratch sits on the arena's peak, or by --kernels
# auto where it measures faster
_CONV2D_DIRECT_DSP = KernelSpec(
    "tg_conv2d_direct_s8_dsp", "conv2d", struct="tg_conv2d_params_t", source="kernels/tg_conv2d_direct_s8_dsp.c",
    twin="conv2d_s8",
    headers=("kernels/tg_dsp_s8.h", "kernels/tg_mat_mult_s8_dsp.h", "kernels/tg_conv2d_direct_s8_dsp.h"),
    **_DIRECT_DSP)


# the direct convolution with int8 weights in flash (tg_conv2d_widen_s8_dsp.h): each block of 4
# output channels widened at run time into scratch (8 * kernel_h * kernel_w * in_c bytes), then
# the direct core over every pixel; half the direct kernels' weight flash
def conv2d_widen_dsp_scratch(p: dict) -> int:
    """tg_conv2d_widen_s8_dsp_buffer_size: one block of 4 channels' weights as int16."""
    return 8 * p["kernel_h"] * p["kernel_w"] * p["in_c"]


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
# kernel and 724,760 for tg_conv2d_1x1_s8_dsp, which stays first there: it may run in place)
_CONV2D_WIDEN_DSP = KernelSpec(
    "tg_conv2d_widen_s8_dsp", "conv2d", struct="tg_conv2d_params_t", source="kernels/tg_conv2d_widen_s8_dsp.c",
    twin="conv2d_s8", headers=_WIDEN_HEADERS, accepts=_whole_groups, **_WIDEN_DSP)
_CONV2D_ADD_WIDEN_DSP = KernelSpec(
    "tg_conv2d_add_widen_s8_dsp", "conv2d_add", struct="tg_conv2d_add_params_t",
    source="kernels/tg_conv2d_add_widen_s8_dsp.c", twin="conv2d_add_s8", headers=_WIDEN_HEADERS, **_WIDEN_DSP)


def _fc_shallow_serves(graph, node) -> bool:
    from tinygen.kernels.params import kernel_params

    consts = {role: graph.const(node, role) for role in _REQUANT}
    return fc_shallow_serves(kernel_params(graph, node), consts)


# a fully connected layer of depth <= 16 (a low-rank gate predictor's r -> out layer): the
# input row widened into registers once, one build-time record per output (2 x bias,
# multiplier, rounding, shift, the weights) is all its constants; before
# tg_fully_connected_s8_dsp, which it beats there (f746zg stand-in: 4 -> 128 1,320 against 4,400
# instructions, benchmarks/gating_masked.py; MLPerf AD's 8 -> 128 2,480 against 5,200,
# benchmarks/mlperf_standin.py --layers, for 1,940 more bytes of flash)
_FC_SHALLOW_DSP = KernelSpec(
    "tg_fully_connected_shallow_s8_dsp", "fully_connected", weight_dtype="int8", weight_bits=8,
    requires=frozenset({"dsp"}), struct="tg_fully_connected_params_t", const_roles=("packed",),
    source="kernels/tg_fully_connected_shallow_s8_dsp.c", twin="fully_connected_s8",
    headers=("kernels/tg_dsp_s8.h", "kernels/tg_fully_connected_shallow_s8_dsp.h"),
    pack=fc_shallow_records, ref_roles=_REQUANT, accepts=_fc_shallow_serves)


def _pw_shallow_serves(graph, node) -> bool:
    from tinygen.kernels.params import kernel_params

    return pw_shallow_serves(kernel_params(graph, node), {role: graph.const(node, role) for role in _REQUANT})


# a thin pointwise conv (depth 4 or 8, tinygen/kernels/pw_shallow_dsp.py): records built at run
# time in scratch, the input pixel widened once into registers, one LDM per output; before
# tg_conv2d_1x1_s8_dsp, which it beats there (README "Performance": VWW conv2d_2)
_CONV2D_1X1_SHALLOW_DSP = KernelSpec(
    "tg_conv2d_1x1_shallow_s8_dsp", "conv2d", weight_dtype="int8", weight_bits=8, requires=frozenset({"dsp"}),
    struct="tg_conv2d_params_t", const_roles=_REQUANT, source="kernels/tg_conv2d_1x1_shallow_s8_dsp.c",
    variant="1x1", twin="conv2d_s8", headers=("kernels/tg_dsp_s8.h",),
    scratch=pw_shallow_scratch, accepts=_pw_shallow_serves)


# max pooling, 4 channels per step (SSUB8 + SEL per window element)
_MAX_POOL_DSP = KernelSpec("tg_max_pool2d_s8_dsp", "max_pool2d", requires=frozenset({"dsp"}),
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
_AVG_POOL_GLOBAL_POW2_DSP = KernelSpec(
    "tg_avg_pool2d_global_pow2_s8_dsp", "avg_pool2d", requires=frozenset({"dsp"}), struct="tg_pool2d_params_t",
    source="kernels/tg_avg_pool2d_global_pow2_s8_dsp.c", twin="avg_pool2d_s8", accepts=_global_pow2_pool)


# average pooling, 8 channels per step in int16 lanes (SXTAB16)
_AVG_POOL_DSP = KernelSpec("tg_avg_pool2d_s8_dsp", "avg_pool2d", requires=frozenset({"dsp"}),
                           struct="tg_pool2d_params_t", source="kernels/tg_avg_pool2d_s8_dsp.c",
                           twin="avg_pool2d_s8", headers=("kernels/tg_dsp_s8.h",))


# same-shape int8 add (TFLite's arithmetic, SMMULR rescaling, 4 elements per step)
_ADD_DSP = KernelSpec("tg_add_s8_dsp", "add", requires=frozenset({"dsp"}), struct="tg_add_params_t",
                      const_roles=_OPERAND, source="kernels/tg_add_s8_dsp.c", twin="add_s8",
                      headers=("kernels/tg_dsp_s8.h",))


# softmax with the exp of each difference from the row maximum tabulated at build time (at most
# 256 int32, fewer where the exp reaches 0) and the row maximum 4 bytes per step (f746zg stand-in,
# benchmarks/softmax_dsp.py: 10 classes 5,320 -> 680 instructions, 12 classes 5,880 -> 760)
_SOFTMAX_DSP = KernelSpec("tg_softmax_s8_dsp", "softmax", requires=frozenset({"dsp"}), struct="tg_softmax_params_t",
                          const_roles=("packed",), source="kernels/tg_softmax_s8_dsp.c", twin="softmax_s8",
                          headers=("kernels/tg_dsp_s8.h",), pack=softmax_exp_table, ref_roles=())


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
    from tinygen.ref.sparse import density, sparse_records

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
    _CONV2D_1X1_SHALLOW_DSP,
    _dsp("tg_conv2d_1x1_s8_dsp", "conv2d", "tg_conv2d_params_t", "conv2d_s8",
         lambda p: mat_mult_dsp_scratch(p["out_h"] * p["out_w"], p["in_c"], p["out_c"]), variant="1x1"),
    _CONV2D_WIDEN_DSP,
    _dsp("tg_conv2d_s8_dsp", "conv2d", "tg_conv2d_params_t", "conv2d_s8", conv2d_dsp_scratch,
         headers=("kernels/tg_conv2d_s8_dsp.h", "kernels/tg_conv2d_s8_c3_dsp.h")),
    _CONV2D_DIRECT_DSP,
    _FC_SHALLOW_DSP,
    _dsp("tg_fully_connected_s8_dsp", "fully_connected", "tg_fully_connected_params_t", "fully_connected_s8",
         lambda p: mat_mult_dsp_scratch(p["rows"], p["in_features"], p["out_features"])),
    _sparse("portable", frozenset()),
    _portable("tg_conv2d_s8", "conv2d", "tg_conv2d_params_t", _REQUANT, "int8", headers=_CONV2D_S8_H),
    _CONV2D_ADD_WIDEN_DSP,
    _CONV2D_ADD_DSP,
    _portable("tg_conv2d_add_s8", "conv2d_add", "tg_conv2d_add_params_t", _REQUANT, "int8",
              headers=_CONV2D_S8_H),
    _DEPTHWISE_3X3_DSP,
    _DEPTHWISE_KX1_RAW_DSP,
    _DEPTHWISE_KX1_DSP,
    _DEPTHWISE_DSP,
    _DEPTHWISE_3X3_DM_DSP,
    _portable("tg_depthwise_conv2d_s8", "depthwise_conv2d", "tg_conv2d_params_t", _REQUANT, "int8"),
    _portable("tg_fully_connected_s8", "fully_connected", "tg_fully_connected_params_t", _REQUANT, "int8"),
    _MAX_POOL_DSP,
    _portable("tg_max_pool2d_s8", "max_pool2d", "tg_pool2d_params_t"),
    _AVG_POOL_GLOBAL_POW2_DSP,
    _AVG_POOL_DSP,
    _portable("tg_avg_pool2d_s8", "avg_pool2d", "tg_pool2d_params_t"),
    _ADD_DSP,
    _portable("tg_add_s8", "add", "tg_add_params_t", _OPERAND),
    _portable("tg_add_broadcast_s8", "add", "tg_add_broadcast_params_t", _OPERAND, variant="broadcast"),
    _portable("tg_mul_s8", "mul", "tg_mul_params_t", _OPERAND),
    _SOFTMAX_DSP,
    _portable("tg_softmax_s8", "softmax", "tg_softmax_params_t"),
    _portable("tg_logistic_s8", "logistic", "tg_logistic_params_t"),
    _portable("tg_concat_s8", "concat", "tg_concat_params_t"),
    _portable("tg_transpose_s8", "transpose", "tg_transpose_params_t"),
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

# binary, sub-byte and power-of-two kernels (firmware/kernels/LOWBIT.md)
from tinygen.kernels.lowbit_table import lowbit_kernels  # noqa: E402

KERNELS = KERNELS + lowbit_kernels(KernelSpec)

# run-time channel gating and early exits (tinygen/gating)
from tinygen.gating.kernels import gating_kernels  # noqa: E402

KERNELS = KERNELS + gating_kernels(KernelSpec)

# the header declaring a backend's kernels, which model.c includes besides tg_kernels.h
BACKEND_HEADERS = {"cmsis-nn": _CMSIS_NN_HEADER, "esp-nn": _ESP_NN_HEADER}


def find_kernels(op: str, act_dtype: str, weight_dtype: str | None, weight_bits: int | None,
                 features: frozenset | set, variants: tuple[str | None, ...] = (None,),
                 backends: tuple[str, ...] = ("tinygen",), in_dtype: str | None = None) -> list[KernelSpec]:
    """Every kernel in KERNELS able to compute a node, in order of preference: for the op and
    dtypes (act_dtype: the output's; in_dtype: the input's, None: the same), with a variant in
    `variants` (kernel_params.kernel_variants: those able to compute the node, most
    specialised first), requirements the target's features meet, and a backend in `backends`."""
    in_dtype = in_dtype or act_dtype
    found = [spec for spec in KERNELS
             if spec.op == op and spec.act_dtype == act_dtype and (spec.in_dtype or spec.act_dtype) == in_dtype
             and spec.weight_dtype == weight_dtype and spec.weight_bits == weight_bits
             and spec.requires <= set(features) and spec.variant in variants and spec.backend in backends]
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

    from tinygen.kernels.params import kernel_params, struct_fields

    consts = {role: graph.tensor(name).data for role, name in node.params[0].items() if role != "packed"}
    total = sum(int(np.asarray(consts[role]).nbytes) for role in spec.const_roles if role in consts)
    if spec.pack is not None and "packed" in spec.const_roles:
        kparams = struct_fields(spec.struct, kernel_params(graph, node))
        total += int(np.asarray(spec.pack(kparams, consts)).nbytes)
    return total
