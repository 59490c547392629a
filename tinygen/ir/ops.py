"""The operator set of the IR: names, arity, required attributes.

Every op the frontends may produce is listed here; the validator checks nodes
against this table. Shapes are NHWC; `padding` is (top, bottom, left, right);
`stride`, `dilation`, `kernel` are (h, w). A fused activation is stored as
`activation = (lo, hi)` in real units before quantization (None: no clamp) and
as integer `act_min`/`act_max` after it.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class OpSchema:
    name: str
    min_inputs: int = 1
    max_inputs: int | None = 1
    attrs: tuple[str, ...] = ()
    param_roles: tuple[str, ...] = ()   # constant roles a float node carries
    # output must share the input's quantization (TFLite int8 rules)
    same_qparams: bool = False
    # output may alias the input buffer (no data movement)
    alias: bool = False
    # accepts a fused activation clamp
    fusable_activation: bool = False


_CONV_ATTRS = ("stride", "dilation", "padding")
_POOL_ATTRS = ("kernel", "stride", "padding")
_FUSED_ADD_ATTRS = ("act_min", "act_max", "conv_scale", "conv_zero_point", "conv_operand",
                    "add_act_min", "add_act_max")

# SignalFilterBankSpectralSubtraction's options, as the two IR ops that compute it keep them
SPECTRAL_SUBTRACTION_ATTRS = ("smoothing", "one_minus_smoothing", "alternate_smoothing",
                              "alternate_one_minus_smoothing", "min_signal_remaining", "smoothing_bits",
                              "spectral_subtraction_bits", "clamping")

SCHEMAS: dict[str, OpSchema] = {
    s.name: s
    for s in [
        OpSchema("conv2d", attrs=_CONV_ATTRS, param_roles=("weight",), fusable_activation=True),
        # a conv2d whose int8 result (on the grid conv_scale, conv_zero_point, clamped to
        # act_min..act_max) is added, TFLite ADD arithmetic, to the second input (the skip
        # tensor, of the conv output's shape) and clamped to add_act_min..add_act_max;
        # conv_operand: which ADD operand (0: input1, 1: input2) the conv result was
        # (tinygen/passes/fuse_residual.py builds it, after quantization)
        OpSchema("conv2d_add", min_inputs=2, max_inputs=2, attrs=_CONV_ATTRS + _FUSED_ADD_ATTRS,
                 param_roles=("weight",)),
        OpSchema("depthwise_conv2d", attrs=_CONV_ATTRS + ("depth_multiplier",),
                 param_roles=("weight",), fusable_activation=True),
        OpSchema("fully_connected", param_roles=("weight",), fusable_activation=True),
        OpSchema("batch_norm", attrs=("eps",), param_roles=("gamma", "beta", "mean", "var")),
        OpSchema("max_pool2d", attrs=_POOL_ATTRS, same_qparams=True),
        OpSchema("avg_pool2d", attrs=_POOL_ATTRS + ("count_include_pad",), same_qparams=True),
        # the square root of the mean of the squares over the window's positions inside the input
        # (TFLite L2_POOL_2D, float32 only)
        OpSchema("l2_pool2d", attrs=_POOL_ATTRS),
        # add, mul: two activations, or one and a constant "operand" param (numpy broadcasting)
        OpSchema("add", min_inputs=1, max_inputs=2, fusable_activation=True),
        OpSchema("mul", min_inputs=1, max_inputs=2, fusable_activation=True),
        OpSchema("concat", min_inputs=1, max_inputs=None, attrs=("axis",), same_qparams=True),
        OpSchema("reshape", same_qparams=True, alias=True),
        OpSchema("transpose", attrs=("perm",), same_qparams=True),
        # optional attr causal (True): over the last axis of [..., T, S], row i reads only columns
        # j <= i, the others are 0 (PyTorch's is_causal mask, top-left aligned); optional attr codes
        # ("floor"): on an ONNX model's own output grid, floor(1 / scale) codes per unit of probability
        # (QLinearSoftmax's), else the integer nearest 1 / scale (tg_softmax_scaled_s8)
        OpSchema("softmax", attrs=("axis", "beta")),
        OpSchema("logistic"),
        OpSchema("clamp", attrs=("lo", "hi"), same_qparams=True),
        # paddings: ((before, after), ...) per dimension; pad_value: the fill value, real (a
        # float) on a float graph, quantized (an int) once passes/quantize.py has run
        OpSchema("pad", attrs=("paddings", "pad_value"), same_qparams=True),
        # the elements begin .. begin + output size along `axis` (chunk, split, x[:, a:b])
        OpSchema("slice", attrs=("axis", "begin"), same_qparams=True),
        # nearest-neighbour resize of a 4-D NHWC tensor to its output's H, W by whole factors
        # (TFLite RESIZE_NEAREST_NEIGHBOR, no align_corners, no half-pixel centers)
        OpSchema("resize_nearest", same_qparams=True),
        # bilinear resize of a 4-D NHWC tensor to its output's H, W with half-pixel centers
        # (PyTorch align_corners=False; TFLite RESIZE_BILINEAR with half_pixel_centers); a .tflite
        # RESIZE_BILINEAR's options as attrs align_corners, half_pixel_centers where given
        OpSchema("resize_bilinear", same_qparams=True),
        # mean over `axes` (non-negative, sorted); the output is requantized
        OpSchema("mean", attrs=("axes", "keep_dims")),
        OpSchema("hard_swish"),
        # max(x, 0) requantized to the output's grid (TFLite RELU)
        OpSchema("relu"),
        # x >= 0 ? x : alpha * x, each side requantized to the output's grid (TFLite LEAKY_RELU on
        # int16; an int8 one is imported as a lut)
        OpSchema("leaky_relu", attrs=("alpha",)),
        # a change of quantization only (TFLite QUANTIZE int8 -> int8)
        OpSchema("requantize"),
        # packed binary activations -> int8 +1 / -1 (passes/lower_bits.py)
        OpSchema("unpack_bits"),
        # run-time channel gating (tinygen/gating): the saliency vector [1, C] with the channels
        # not chosen set to real 0; mode "topk" keeps the k largest (ties: the lowest channel
        # index wins), mode "threshold" those >= threshold * the largest saliency
        OpSchema("channel_gate", attrs=("mode", "k", "threshold"), same_qparams=True),
        # a conv2d whose result (on the grid conv_scale, conv_zero_point, clamped to
        # act_min..act_max) is multiplied per output channel by the gate (second input, [1, C],
        # TFLite MUL arithmetic) and clamped to gate_act_min..gate_act_max: only the channels the
        # gate kept are computed (tinygen/passes/fuse_gates.py builds it, after quantization). A third
        # input, the gate of the layer that produced the input (whose dropped channels hold the
        # input zero point), lets the kernel skip those input channels
        OpSchema("conv2d_gated", min_inputs=2, max_inputs=3,
                 attrs=_CONV_ATTRS + ("act_min", "act_max", "conv_scale", "conv_zero_point",
                                      "gate_act_min", "gate_act_max"), param_roles=("weight",)),
        # the same for a depthwise conv2d (depth multiplier 1) and a fully_connected layer
        # (tinygen/passes/fuse_gates.py): only the channels / output features the gate kept are computed
        OpSchema("depthwise_conv2d_gated", min_inputs=2, max_inputs=2,
                 attrs=_CONV_ATTRS + ("depth_multiplier", "act_min", "act_max", "conv_scale", "conv_zero_point",
                                      "gate_act_min", "gate_act_max"), param_roles=("weight",)),
        OpSchema("fully_connected_gated", min_inputs=2, max_inputs=2,
                 attrs=("act_min", "act_max", "conv_scale", "conv_zero_point", "gate_act_min", "gate_act_max"),
                 param_roles=("weight",)),
        # early exit: the first input whose largest value reaches its threshold (real, in
        # [0, 1], on softmax probabilities) answers; the last input answers otherwise. The
        # generated code returns right after an exit that answers
        OpSchema("exit_select", min_inputs=1, max_inputs=None, attrs=("thresholds",)),
        # -- table lookup (ONNX front end) --
        # an int8 -> int8 function of one tensor by a 256-entry table (param "table", int8, entry
        # (uint8_t)q for input q, TFLite's order), built at compile time: onnxruntime's elementwise ops on a
        # quantized tensor (tinygen/frontend/onnx/quantized.py); only in quantized graphs
        OpSchema("lut", param_roles=("table",)),
        # -- the simpler operators users' models bring (tanh, PReLU, GELU, hard sigmoid, sum,
        # strided slices, mirror padding) --------------------------------------------------
        # tanh, int8 output of scale 1/128, zero point 0 (TFLite TANH)
        OpSchema("tanh"),
        # x >= 0 ? x : alpha * x, alpha a constant broadcast against x (TFLite PRELU)
        OpSchema("prelu", param_roles=("alpha",)),
        # 0.5 x (1 + erf(x / sqrt 2)), or its tanh approximation (TFLite GELU: a 256-entry table)
        OpSchema("gelu", attrs=("approximate",)),
        # relu6(x + 3) / 6 as one function (torch's hardsigmoid), by an exact 256-entry table
        OpSchema("hard_sigmoid"),
        # the sum over `axes` (non-negative, sorted); the output is requantized (TFLite SUM)
        OpSchema("sum", attrs=("axes", "keep_dims")),
        # output element i of each axis reads input element begin + i * stride (a stride may be
        # negative: TFLite STRIDED_SLICE, torch slicing with steps, flip); the output's shape says
        # how many elements each axis keeps
        OpSchema("strided_slice", attrs=("begin", "strides"), same_qparams=True),
        # padding with values of the input: mode "reflect" / "symmetric" (TFLite MIRROR_PAD, the
        # edge left out or repeated), "replicate" (the edge value) or "circular" (the other end);
        # paddings: ((before, after), ...) per dimension
        OpSchema("mirror_pad", attrs=("paddings", "mode"), same_qparams=True),
        # -- transposed convolution (PyTorch ConvTranspose2d, TFLite TRANSPOSE_CONV) --
        # input pixel (iy, ix) adds weight[:, ky, kx, :] . x[iy, ix] to output pixel
        # (iy * stride - top + ky * dilation, ix * stride - left + kx * dilation) where that lies
        # in the output; weights [out_c, kh, kw, in_c] (TFLite's layout). padding (top, bottom,
        # left, right): bottom = (in - 1) * stride + dilation * (k - 1) + 1 - top - out, negative
        # where the output reaches past the last tap (PyTorch's output_padding), likewise right
        OpSchema("transpose_conv2d", attrs=_CONV_ATTRS, param_roles=("weight",), fusable_activation=True),
        # -- normalization and attention (tinygen/frontend/torch_attention.py) --
        # over the last axis: (x - mean) / sqrt(var + eps) * gamma + beta; after quantization the
        # integer layer norm of firmware/kernels/norm/tg_norm_s8.h (params from passes/quantize_norm.py)
        OpSchema("layer_norm", attrs=("eps",), param_roles=("gamma", "beta")),
        # over the last axis: x / sqrt(mean(x^2) + eps) * gamma
        OpSchema("rms_norm", attrs=("eps",), param_roles=("gamma",)),
        # lhs [..., M, K] (adj_x: [..., K, M]) @ rhs [..., K, N] (adj_y: [..., N, K]), batch dims
        # broadcast (TFLite BATCH_MATMUL); optional attr alpha: a real factor on the product,
        # folded into the requantization (PyTorch's attention scale; TFLite's is 1)
        OpSchema("batch_matmul", min_inputs=2, max_inputs=2, attrs=("adj_x", "adj_y")),
        # 1 / sqrt(x) (TFLite RSQRT)
        OpSchema("rsqrt"),
        # a - b (TFLite SUB) and (a - b)^2 (TFLite SQUARED_DIFFERENCE), numpy broadcasting; the
        # second operand may be a constant "operand" param, as for add and mul
        OpSchema("sub", min_inputs=1, max_inputs=2, fusable_activation=True),
        OpSchema("squared_difference", min_inputs=1, max_inputs=2),
        # a float model's (tinygen/frontend/tflite/ops_float.py): the constant operand second
        OpSchema("div", min_inputs=1, max_inputs=2, fusable_activation=True),
        # -- recurrent layers (tinygen/ref/recurrent.py, firmware/kernels/recurrent/) --
        # one LSTM layer over x [B, T, I] (batch first), gates in PyTorch's order (input, forget,
        # cell, output): params w_ih [4H, I], w_hh [4H, H], bias [4H] (float: b_ih + b_hh; int8
        # graph: w_ih [4, H, I], w_hh [4, H, H] int8 with a scale per gate, bias int32 [4, H]), h0 /
        # c0 [B, H] as constants (params) or as the 2nd and 3rd inputs, absent: zeros. Output every
        # step [B, T, H] (sequence) or the last [B, H]. stateful: h and c carry over from one
        # invocation to the next (reset by tg_model_reset_state); else each starts from h0 / c0.
        # Quantized: attrs cell_scale (the int16 cell state's power-of-two scale), cell_clip (0: none)
        OpSchema("lstm", min_inputs=1, max_inputs=3, attrs=("hidden", "sequence", "stateful"),
                 param_roles=("w_ih", "w_hh", "bias")),
        # one GRU layer (gates reset, update, new: PyTorch's order): params w_ih [3H, I], w_hh [3H, H],
        # b_ih, b_hh [3H] (int8 graph: w_ih [3, H, I], w_hh [3, H, H], bias int32 [4, H], the input
        # side's three and the new gate's recurrent bias), h0 as a constant or the 2nd input
        OpSchema("gru", min_inputs=1, max_inputs=2, attrs=("hidden", "sequence", "stateful"),
                 param_roles=("w_ih", "w_hh")),
        # TFLite SVDF (int8, an activation state of [B, filters * memory] that always carries
        # over, of the time weights' type): x [B, I] -> [B, units]; params weights_feature [F, I]
        # int8, weights_time [F, M] int16 or int8, bias [units] int32 (optional); attrs rank,
        # state_scale, state_zero_point
        OpSchema("svdf", attrs=("rank", "state_scale", "state_zero_point"),
                 param_roles=("weights_feature", "weights_time")),
        # -- TFLite Micro's signal library (an audio front end on plain integers, no quantization:
        # tinygen/ref/signal.py, firmware/kernels/signal/) --
        # int16 x * weights >> shift, saturated to int16, the int16 weights [W] applied to each run of
        # W elements of x (SignalWindow)
        OpSchema("signal_window", attrs=("shift",), param_roles=("weights",)),
        # SignalFftAutoScale's two outputs as two nodes: the left shift that brings the largest |x| of
        # the int16 frame up to bit 14 (int32 scalar), and the frame shifted by it (inputs x, shift)
        OpSchema("signal_fft_auto_scale_shift"),
        OpSchema("signal_fft_auto_scale", min_inputs=2, max_inputs=2),
        # the real FFT of each int16 (int32) frame (last axis) zero-padded to fft_length, as kissfft's
        # 16-bit (32-bit) fixed point computes it: fft_length / 2 + 1 (real, imag) pairs (SignalRfft);
        # params: its tables (tinygen.ref.signal_fft.rfft_tables)
        OpSchema("signal_rfft", attrs=("fft_length",), param_roles=("twiddles", "super_twiddles", "order")),
        # the inverse: fft_length / 2 + 1 int16 (real, imag) pairs -> fft_length int16 samples, as kissfft's
        # kiss_fftri computes it (SignalIrfft); params: the inverse transform's tables
        OpSchema("signal_irfft", attrs=("fft_length",), param_roles=("twiddles", "super_twiddles", "order")),
        # real^2 + imag^2 of int16 (real, imag) pairs start_index .. end_index - 1 as uint32; the other
        # elements 0 (SignalEnergy)
        OpSchema("signal_energy", attrs=("start_index", "end_index")),
        # -- the filter-bank half (tinygen/ref/signal_bank.py, firmware/kernels/signal/) --
        # uint32 spectrum -> uint64 [num_channels]: triangular filters given by int16 tables (params
        # weights, unweights, freq_starts, weight_starts, widths: num_channels + 1 entries; SignalFilterBank)
        OpSchema("signal_filter_bank", attrs=("num_channels",),
                 param_roles=("weights", "unweights", "freq_starts", "weight_starts", "widths")),
        # rounded integer root of uint64 x, shifted right by the int32 scalar second input -> uint32
        # (SignalFilterBankSquareRoot)
        OpSchema("signal_filter_bank_sqrt", min_inputs=2, max_inputs=2),
        # SignalFilterBankSpectralSubtraction's two outputs as two nodes: the noise estimate of uint32 x
        # (state carried over between invocations, zeros after a reset), and x less that estimate
        # (inputs x, estimate); attrs: TFLite Micro's options
        OpSchema("signal_noise_estimate", attrs=SPECTRAL_SUBTRACTION_ATTRS),
        OpSchema("signal_spectral_subtraction", min_inputs=2, max_inputs=2, attrs=SPECTRAL_SUBTRACTION_ATTRS),
        # per-channel amplitude normalization of uint32 x by its noise estimate (second input) and an
        # int16 gain table (param gain_lut) -> uint32 (SignalPCAN)
        OpSchema("signal_pcan", min_inputs=2, max_inputs=2, attrs=("snr_shift",), param_roles=("gain_lut",)),
        # ln(x << correction_bits) * output_scale / 2^16 of uint32 x, saturated to int16, by the log
        # table of param log_lut (SignalFilterBankLog)
        OpSchema("signal_filter_bank_log", attrs=("output_scale", "correction_bits"), param_roles=("log_lut",)),
        # each row (last axis) of int16 x as one stream delayed by delay_length samples: zeros first, the
        # samples not yet given out kept as state between invocations (SignalDelay)
        OpSchema("signal_delay", attrs=("delay_length",)),
        # each row (last axis) of int16 x as a stream cut into frames of frame_size samples every
        # frame_step (SignalFramer): TFLite Micro's ring buffer (prefilled with frame_size - frame_step
        # zeros where prefill) as state; where it holds no whole frame, zeros and the flag false
        OpSchema("signal_framer", attrs=("frame_size", "frame_step", "prefill")),
        # num_channels int16 values stacked with left_context copies before (the first frame repeated)
        # and right_context after, every step frames (SignalStacker); its ring buffer as state
        OpSchema("signal_stacker", attrs=("num_channels", "left_context", "right_context", "step")),
        # a framer's or stacker's second output: whether its frames are whole (bool scalar), the flag
        # in the state of the node state_of names (input: that node's output, so that it runs after)
        OpSchema("signal_stream_valid", attrs=("state_of",)),
        # int16 frames [..., n, frame_size] added into a buffer where they overlap, saturated;
        # frame_step samples given out per frame (SignalOverlapAdd); the buffer as state
        OpSchema("signal_overlap_add", attrs=("frame_step",)),
        # TFLite Micro's CIRCULAR_BUFFER: int8 x [1, 1, W, C] joins a window of slots frames, the newest
        # last, kept as state (at the zero point after a reset); the output is the window [1, slots, W, C]
        OpSchema("circular_buffer"),
        # -- TFLite's resource variables (VAR_HANDLE / READ_VARIABLE / ASSIGN_VARIABLE, CALL_ONCE's
        # initial values): a variable's bytes live in the persistent region, in the state of the one
        # node of the pair that owns it (attr state_of names it), carried over invocations --
        # the variable's bytes as they are before this invocation assigns it (no inputs)
        OpSchema("read_variable", min_inputs=0, max_inputs=0, attrs=("variable", "state_of")),
        # input 0's bytes become the variable's (input 1: the read of it, which must run first); the
        # output is a one-byte marker (1) nothing reads, the node's place in the schedule
        OpSchema("assign_variable", min_inputs=1, max_inputs=2, attrs=("variable", "state_of")),
        # -- TFLite Micro's builtin ops on plain (unquantized) integers (tinygen/ref/plain.py) --
        # each element as the output's type: integers modulo 2^bits, float32 rounded (CAST)
        OpSchema("cast"),
        # fn (tinygen.ref.plain.INT_BINARY: add, sub, mul, div, minimum, maximum) of two int32 operands,
        # the second an activation or the constant param operand (either one a single value; swap: the
        # constant is the first operand), clamped to [act_min, act_max]
        OpSchema("int_binary", max_inputs=2, attrs=("fn", "act_min", "act_max", "swap")),
        # the activation between constant pieces (params head, tail; either may be absent) along axis
        OpSchema("concat_const", attrs=("axis",)),
        # -- comparisons and selection on bool tensors (tinygen/ref/select.py, firmware/kernels/select/) --
        # operands a, b (each an activation or a constant param of that role; attr operands: the roles
        # that are activations, in node.inputs' order), numpy broadcasting: fn (tinygen.ref.select.
        # COMPARE_FNS) of their real values -> bool (TFLite EQUAL .. GREATER_EQUAL; int8 compared as
        # TFLite Micro rescales them)
        OpSchema("compare", min_inputs=1, max_inputs=2, attrs=("fn", "operands")),
        # fn and / or of bool a, b (one operand: not) (TFLite LOGICAL_AND, LOGICAL_OR, LOGICAL_NOT)
        OpSchema("logical", min_inputs=1, max_inputs=2, attrs=("fn", "operands")),
        # cond ? x : y elementwise, the bytes of x or y (no requantization), numpy broadcasting
        # (TFLite SELECT_V2); operands as for compare
        OpSchema("select", min_inputs=1, max_inputs=3, attrs=("operands",)),
        # -- elementwise and reducing ops on quantized integers (tinygen/ref/mathops.py) --
        # the larger (fn "maximum") or smaller ("minimum") stored integer of two operands, broadcast;
        # no requantization whatever the output's quantization (TFLite MAXIMUM / MINIMUM)
        OpSchema("min_max", max_inputs=2, attrs=("fn",)),
        # the largest / smallest stored integer over `axes` (TFLite REDUCE_MAX / REDUCE_MIN: input and
        # output on one grid)
        OpSchema("reduce_min_max", attrs=("fn", "axes", "keep_dims")),
        # the int32 index of the first largest / smallest value along `axis` (TFLite ARG_MAX / ARG_MIN)
        OpSchema("arg_min_max", attrs=("fn", "axis")),
        # |x - input zero point| requantized to the output (TFLite ABS of int16; int8 is a lut)
        OpSchema("abs"),
        # x / ||x|| over the last dimension, int8 output on TFLite's fixed grid 1/128 (L2_NORMALIZATION)
        OpSchema("l2_norm"),
        # -- data movement on elements of any type (tinygen/ref/moves.py, firmware/kernels/layout/) --
        # output element k (in the output's flat order) copies flat input element offset + sum_d i_d
        # * step_d, where (i_0, ..., i_r) is k counted in the mixed radix of walk = ((count, step),
        # ...), outermost first (steps in elements, of any sign, 0 repeats): the unpacks, splits,
        # reversals, broadcasts, depth/space and batch/space rearrangements and whole-factor
        # nearest resizes of a .tflite
        OpSchema("strided_copy", attrs=("offset", "walk"), same_qparams=True),
        # rows of the values (viewed as [outer, prod(index_dims), inner]: outer the product of the
        # dimensions before the indexed ones) picked by the int32 indices
        # (viewed as [count, len(index_dims)]: one coordinate per index dimension): output [outer,
        # count, inner]; a coordinate out of range gives a row of zeros (TFLite Micro fails the
        # inference). Values and indices are activations (inputs in that order) or the constant
        # params "values" / "indices" (TFLite GATHER, GATHER_ND, EMBEDDING_LOOKUP)
        OpSchema("gather", min_inputs=1, max_inputs=2, attrs=("index_dims", "outer")),
        # the first input with the second written from `start` (a constant tuple, or None: the int32 third
        # input), each index clamped to [0, shape - update shape] (TFLite DYNAMIC_UPDATE_SLICE)
        OpSchema("dynamic_update_slice", min_inputs=2, max_inputs=3, attrs=("start",)),
        # the elementwise sum of two or more operands of one shape on one grid (TFLite ADD_N)
        OpSchema("add_n", min_inputs=2, max_inputs=None),
        # running sums along `axis`, from its end if `reverse`, each before its own value if
        # `exclusive` (TFLite CUMSUM)
        OpSchema("cumsum", attrs=("axis", "exclusive", "reverse")),
        # x - max - log(sum(exp(x - max))) over the last dimension (TFLite LOG_SOFTMAX; the int8
        # output on the grid 16/256, zero point 127)
        OpSchema("log_softmax"),
        # a float32 elementwise function named by `fn` (tinygen.kernels.math_f32_table.UNARY_FUNCTIONS:
        # TFLite ABS, NEG, SQUARE, SQRT, FLOOR, CEIL, ROUND, EXP, LOG, COS, SIN, ELU on float)
        OpSchema("unary", attrs=("fn",)),
        # floor(a / b) and a modulo b with b's sign, broadcast (TFLite FLOOR_DIV, FLOOR_MOD on float)
        OpSchema("floor_div", max_inputs=2),
        OpSchema("floor_mod", max_inputs=2),
        # an SSD detector's end on float32 (TFLite's custom DETECTION_POSTPROCESS): box encodings
        # [1, N, >= 4] and class scores [1, N, classes (+ background)] decoded against the constant
        # "anchors" [N, 4], then fast or regular (attr regular) non-max suppression; the output
        # packs [slots, 4] boxes, [slots] classes, [slots] scores and the count
        # (tinygen.ref.detection)
        OpSchema("detection_postprocess", min_inputs=2, max_inputs=2,
                 attrs=("num_classes", "max_detections", "max_classes_per_detection", "detections_per_class",
                        "regular", "score_threshold", "iou_threshold", "y_scale", "x_scale", "h_scale", "w_scale"),
                 param_roles=("anchors",)),
    ]
}

# ops whose kernel takes its activation inputs as one array of pointers (the twin: a list)
LIST_INPUT_OPS = ("concat", "add_n")
# the int8 -> int8 elementwise ops computed by a 256-entry table (passes/tabulate.py gives each
# its table constant "table"; tinygen.kernels.lut computes it)
TABLE_OPS = ("logistic", "tanh", "gelu", "hard_sigmoid")

# -- recurrent layers: ops whose state lives in the arena's persistent region (plan_memory.py)
RECURRENT_OPS = ("lstm", "gru", "svdf")
# every op whose kernel keeps a state in that region: the recurrent layers, the signal library's
# streaming ops (the noise estimate of SignalFilterBankSpectralSubtraction, SignalDelay's delay
# line, the framer's and stacker's ring buffers, the overlap-add buffer), and the resource
# variables, which always carry it over invocations (a node whose attr state_of names another
# reads or writes that node's state)
# the resource variables' reads and assigns share one state per variable (ref/variable.py)
VARIABLE_OPS = ("read_variable", "assign_variable")
STATEFUL_OPS = RECURRENT_OPS + ("signal_noise_estimate", "signal_delay", "signal_framer", "signal_stacker",
                                "signal_stream_valid", "signal_overlap_add", "circular_buffer") + VARIABLE_OPS

# ops whose weights are multiplied with activations (they carry requantization)
MAC_OPS = ("conv2d", "depthwise_conv2d", "fully_connected")
# where a MAC op's weight tensor has its output channels (a Codebook's per-channel tables are along it)
WEIGHT_OUT_AXIS = {"conv2d": 0, "conv2d_add": 0, "fully_connected": 0, "depthwise_conv2d": 3}
# elementwise ops of two operands: node.inputs, then the constant param "operand" if any
BINARY_OPS = ("add", "mul", "sub", "squared_difference", "int_binary", "min_max", "div", "floor_div", "floor_mod")


def schema(op: str) -> OpSchema:
    try:
        return SCHEMAS[op]
    except KeyError:
        raise KeyError(f"unknown IR op {op!r}") from None


def carries_state(node) -> bool:
    """Whether the node's state carries over from one invocation to the next: a stateful op's,
    except a recurrent layer's whose kernel parameters say it starts afresh (a PyTorch LSTM
    built without --stateful)."""
    if node.op in RECURRENT_OPS:
        return bool(node.attrs.get("kparams", {}).get("stateful"))
    return node.op in STATEFUL_OPS


# ops whose operands are activations or constants in a fixed order of roles (attr "operands": the
# roles that are activations, node.inputs in that order; the others are params of their role)
ROLE_OPERAND_OPS = {"compare": ("a", "b"), "logical": ("a", "b"), "select": ("cond", "x", "y"),
                    "gather": ("values", "indices")}


def role_operands(node) -> list[str]:
    """The tensors of a ROLE_OPERAND_OPS node's operands in role order (activation or constant):
    attr "operands" names the roles that are activations; without it (a gather) each role without
    a constant param of its name takes the next input."""
    if "operands" in node.attrs:
        active = dict(zip(node.attrs["operands"], node.inputs))
        return [active[role] if role in active else node.param(role)
                for role in ROLE_OPERAND_OPS[node.op] if role in active or node.param(role) is not None]
    inputs = iter(node.inputs)
    return [node.param(role) or next(inputs) for role in ROLE_OPERAND_OPS[node.op]]


def binary_operands(node) -> list[str]:
    """The two operands of an add or mul: its activation inputs, then its constant operand."""
    operand = node.param("operand")
    return list(node.inputs) + ([operand] if operand is not None else [])
