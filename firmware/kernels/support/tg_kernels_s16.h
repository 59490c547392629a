/*
 * tinygen kernels on int16 activations: TFLite's 16x8 quantization (symmetric int16
 * activations, zero point 0; int8 weights). Each computes its int8 twin's arithmetic with
 * the int16 range (ADD and SUB shift their operands left by 15, not 20), as TFLite Micro's
 * reference kernels do.
 *
 * Part of tg_kernels.h's API, which includes this file: include tg_kernels.h, not this.
 */
#ifndef TG_KERNELS_S16_H
#define TG_KERNELS_S16_H

#ifndef TG_KERNELS_H
#error "include tg_kernels.h, which includes this header"
#endif

/*
 * QUANTIZE between int8 and int16, or int16 to int16: out = requant(in + input_offset) +
 * output_offset in [act_min, act_max] (TFLite's reference_ops::Requantize). Parameters:
 * tinygen.quant.op_params.requantize_params. Not in place (the two sizes differ).
 */
void tg_requantize_s16(const tg_requantize_params_t *p, const int16_t *input, int16_t *output);
void tg_requantize_s8_s16(const tg_requantize_params_t *p, const int8_t *input, int16_t *output);
void tg_requantize_s16_s8(const tg_requantize_params_t *p, const int16_t *input, int8_t *output);
/* ... and to or from a quantized int32 tensor (a model's int32 input or output). */
void tg_requantize_s16_s32(const tg_requantize_params_t *p, const int16_t *input, int32_t *output);
void tg_requantize_s32_s16(const tg_requantize_params_t *p, const int32_t *input, int16_t *output);
void tg_requantize_s8_s32(const tg_requantize_params_t *p, const int8_t *input, int32_t *output);
void tg_requantize_s32_s8(const tg_requantize_params_t *p, const int32_t *input, int8_t *output);

/* ADD of two int16 tensors of one shape (tg_add_s8's arithmetic, left_shift 15). */
void tg_add_s16(const tg_add_params_t *p, const int16_t *input1, const int16_t *input2, int16_t *output);

/* SUB of two int16 tensors with broadcasting (tg_sub_s8's arithmetic, left_shift 15). */
void tg_sub_s16(const tg_add_broadcast_params_t *p, const int16_t *input1, const int16_t *input2,
                int16_t *output);

/* MUL of two int16 tensors with broadcasting (tg_mul_s8's arithmetic; the offsets are 0). */
void tg_mul_s16(const tg_mul_params_t *p, const int16_t *input1, const int16_t *input2, int16_t *output);

/* The clamp on int16 (RELU6 on the input's grid; tg_clamp_s8's parameters). May run in place. */
void tg_clamp_s16(const tg_clamp_params_t *p, const int16_t *input, int16_t *output);

/* Max and average pooling on int16 (tg_max_pool2d_s8's and tg_avg_pool2d_s8's parameters). */
void tg_max_pool2d_s16(const tg_pool2d_params_t *p, const int16_t *input, int16_t *output);
void tg_avg_pool2d_s16(const tg_pool2d_params_t *p, const int16_t *input, int16_t *output);

/* Constant padding of an int16 tensor (tg_pad_s8's parameters, in elements). */
void tg_pad_s16(const tg_pad_params_t *p, const int16_t *input, int16_t *output);

/* Strided slice of an int16 tensor (tg_strided_slice_s8's parameters, in elements). */
void tg_strided_slice_s16(const tg_strided_slice_params_t *p, const int16_t *input, int16_t *output);

typedef struct {
    int32_t size;                   /* elements */
    int32_t input_offset;           /* minus the input zero point */
    int32_t output_offset;          /* the output zero point */
    int32_t identity_multiplier, identity_shift;   /* input_scale / output_scale: x >= 0 */
    int32_t alpha_multiplier, alpha_shift;         /* |input_scale * alpha / output_scale|: x < 0 */
    int32_t alpha_sign;             /* -1 where alpha < 0: the product is negated */
    int32_t act_min, act_max;
} tg_leaky_relu_params_t;

/*
 * LEAKY_RELU on int16 (TFLite's QuantizeLeakyRelu): x = in + input_offset; x >= 0 ?
 * requant(x, identity) : alpha_sign * requant(x, alpha), plus output_offset, clamped.
 * Parameters: tinygen.quant.op_params.leaky_relu_params. May run in place.
 */
void tg_leaky_relu_s16(const tg_leaky_relu_params_t *p, const int16_t *input, int16_t *output);

/* SOFTMAX from int8 to int16 (output scale 1/65536, zero point -32768): tg_softmax_s8's
   arithmetic, the probabilities in units of 1/65536. */
void tg_softmax_s8_s16(const tg_softmax_params_t *p, const int8_t *input, int16_t *output);

/* CONCATENATION of int16 tensors: tg_concat_s8's byte copy, the parameters' copy_sizes in bytes
   (TFLite copies the values whatever the scales; zero points are 0). */
void tg_concat_s16(const tg_concat_params_t *p, const int16_t *const *inputs, int16_t *output);

/* One slice along an axis of an int16 tensor (torch chunk / split): tg_slice_s8's byte copy, the
   parameters in bytes. Not in place. */
void tg_slice_s16(const tg_slice_params_t *p, const int16_t *input, int16_t *output);

/* Permute the dimensions of a rank-4 int16 tensor (tg_transpose_s8's parameters). Not in place. */
void tg_transpose_s16(const tg_transpose_params_t *p, const int16_t *input, int16_t *output);

/* MEAN and SUM of int16 over one (collapsed) axis: tg_mean_s8's arithmetic and parameters,
   clamped to int16. */
void tg_mean_s16(const tg_mean_params_t *p, const int16_t *input, int16_t *output);

typedef struct {
    int32_t size;                   /* elements */
    int32_t input_multiplier;       /* in * input_multiplier >> input_left_shift: 3 * 2^12 is 1.0 */
    int32_t input_left_shift;       /* (rounded), >= 0 */
} tg_sigmoid_s16_params_t;

/*
 * LOGISTIC and TANH on int16 (TFLite Micro's 16x8 kernels: zero points 0, output Q0.15),
 * interpolating TFLite's sigmoid table (tg_sigmoid_table_s16.c, compiled alongside).
 * Parameters: tinygen.quant.s16_params.sigmoid_s16_params. Elementwise; may run in place.
 */
void tg_logistic_lut_s16(const tg_sigmoid_s16_params_t *p, const int16_t *input, int16_t *output);
void tg_tanh_lut_s16(const tg_sigmoid_s16_params_t *p, const int16_t *input, int16_t *output);

typedef struct {
    int32_t rows, depth;            /* softmax over the last axis: rows of depth elements */
    int32_t input_multiplier;       /* an input difference onto the exp LUT's grid ([-65535, 0] is [-10, 0]) */
    int32_t input_shift;            /* (tg_requantize's multiplier and shift) */
} tg_softmax_s16_params_t;

/*
 * SOFTMAX from int16 to int16 (TFLite Micro's SoftmaxInt16: zero points 0, output 1/32768), by
 * TFLite's two 513-entry LUTs in `packed` (exp, then 1 / (1 + x)). Parameters:
 * tinygen.quant.s16_params.softmax_s16_params. Not in place.
 */
void tg_softmax_s16(const tg_softmax_s16_params_t *p, const int16_t *input, const int16_t *packed, int16_t *output);

/* SQUARED_DIFFERENCE of two int16 tensors with broadcasting (tg_squared_difference_s8's arithmetic with
   left_shift 0, as TFLite Micro's 16x8 kernel). */
void tg_squared_difference_s16(const tg_add_broadcast_params_t *p, const int16_t *input1, const int16_t *input2,
                               int16_t *output);

/* RSQRT on int16 (tg_rsqrt_s8's arithmetic and parameters, clamped to int16; an input at or below the
   zero point gives 32767). */
void tg_rsqrt_s16(const tg_rsqrt_params_t *p, const int16_t *input, int16_t *output);

/* PRELU on int16 with an int8 alpha (tg_prelu_s8's arithmetic and parameters, clamped to int16). */
void tg_prelu_s16(const tg_prelu_params_t *p, const int16_t *input, const int8_t *alpha, int16_t *output);

/* BATCH_MATMUL of two int16 tensors (tg_batch_matmul_s8's parameters): int64 sums, tg_requantize_s64. */
void tg_batch_matmul_s16(const tg_batch_matmul_params_t *p, const int16_t *lhs, const int16_t *rhs, int16_t *output);

/*
 * The multiply-accumulate kernels of 16x8 models: int16 input, int8 weights (zero point 0),
 * int64 bias (NULL: none), per-channel multiplier and shift (int8); the int16 x int8 products
 * summed in int64 and requantized by tg_requantize_s64, as TFLite Micro's reference kernels do.
 * The int8 kernels' parameter structs (the input and output offsets are 0).
 */
void tg_conv2d_s16(const tg_conv2d_params_t *p, const int16_t *input, const int8_t *weights, const int64_t *bias,
                   const int32_t *multiplier, const int8_t *shift, int16_t *output);
void tg_depthwise_conv2d_s16(const tg_conv2d_params_t *p, const int16_t *input, const int8_t *weights,
                             const int64_t *bias, const int32_t *multiplier, const int8_t *shift,
                             int16_t *output);
void tg_fully_connected_s16(const tg_fully_connected_params_t *p, const int16_t *input, const int8_t *weights,
                            const int64_t *bias, const int32_t *multiplier, const int8_t *shift,
                            int16_t *output);
void tg_transpose_conv2d_s16(const tg_transpose_conv2d_params_t *p, const int16_t *input,
                             const int8_t *weights, const int64_t *bias, const int32_t *multiplier,
                             const int8_t *shift, int16_t *output);

/*
 * The ARMv7E-M DSP variants (Cortex-M4/M7, __ARM_FEATURE_DSP) of the 16x8 MAC kernels: the same
 * results, one constant `packed` built at build time (tinygen.kernels.s16_dsp): the int8 weights
 * widened to int16, [out_c][depth rounded up to even] for the convolutions and the fully
 * connected layer, [kernel_h * kernel_w][out_c rounded up to even] for the depthwise one, then
 * out_c requantization records of 8 int16 (bias, multiplier and shift folded; see
 * tg_mat_mult_s16_dsp.h), 4-byte aligned.
 * tg_conv2d_1x1_s16_dsp takes 1x1 layers of stride 1 without padding; tg_conv2d_s16_dsp any,
 * with scratch: 4 * ((kernel_h * kernel_w * in_c + 1) & ~1) bytes, 4-byte aligned;
 * tg_depthwise_conv2d_s16_dsp windows of fewer than 512 taps.
 */
void tg_conv2d_s16_dsp(const tg_conv2d_params_t *p, const int16_t *input, const int16_t *packed, int8_t *scratch,
                       int16_t *output);
void tg_conv2d_1x1_s16_dsp(const tg_conv2d_params_t *p, const int16_t *input, const int16_t *packed,
                           int16_t *output);
void tg_depthwise_conv2d_s16_dsp(const tg_conv2d_params_t *p, const int16_t *input, const int16_t *packed,
                                 int16_t *output);
void tg_fully_connected_s16_dsp(const tg_fully_connected_params_t *p, const int16_t *input,
                                const int16_t *packed, int16_t *output);
/* 3x3 windows of stride 1, dilation 1 and depth multiplier 1: packed per channel (5 weight words, then
   the record), scratch 12 * out_c * ((out_w + 1) / 2 + 1) bytes, 4-byte aligned. */
void tg_depthwise_conv2d_3x3_s16_dsp(const tg_conv2d_params_t *p, const int16_t *input, const int16_t *packed,
                                     int8_t *scratch, int16_t *output);
/* any window of fewer than 512 taps, any stride and depth multiplier, dilation 1: packed per output
   channel (kernel_h rows of (kernel_w + 1) / 2 weight words, then the record), scratch 4 * (kernel_h * in_c *
   (((out_w - 1) * stride_w + kernel_w + 2) / 2) + out_w) bytes, 4-byte aligned. */
void tg_depthwise_conv2d_rows_s16_dsp(const tg_conv2d_params_t *p, const int16_t *input, const int16_t *packed,
                                      int8_t *scratch, int16_t *output);

#endif /* TG_KERNELS_S16_H */
