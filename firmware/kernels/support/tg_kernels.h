/*
 * tinygen portable int8 kernels: public API.
 *
 * Conventions (the TFLite int8 quantization spec):
 *  - Activations are int8, NHWC with batch 1 (so [H][W][C], C fastest), real
 *    value = scale * (q - zero_point), per-tensor.
 *  - Weights are int8 symmetric (zero point 0), per output channel.
 *  - Bias is int32 with scale input_scale * weight_scale[c], zero point 0;
 *    a NULL bias pointer means no bias.
 *  - input_offset is the NEGATED input zero point; output_offset is the output
 *    zero point (as in TFLite's reference kernels).
 *  - Requantization per output channel c: out = MBQM(acc, multiplier[c],
 *    shift[c]) + output_offset, clamped to [act_min, act_max], where MBQM is
 *    tg_requantize() in tg_requant.h (shift > 0 means a left shift).
 *  - No kernel allocates memory; none needs scratch unless its
 *    _get_buffer_size companion says so.
 *  - Accumulators are int32: a caller guarantees that
 *    kernel_h * kernel_w * in_c * 255 * 128 + |bias| < 2^31 (any real model).
 *
 * Every kernel here has an integer-exact numpy twin in tinygen/ref/kernels.py
 * with the same name minus the tg_ prefix; the two agree byte for byte.
 */
#ifndef TG_KERNELS_H
#define TG_KERNELS_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Convolution and depthwise convolution geometry and quantization. */
typedef struct {
    int32_t in_h, in_w, in_c;       /* input [in_h][in_w][in_c] */
    int32_t out_h, out_w, out_c;    /* output [out_h][out_w][out_c] */
    int32_t kernel_h, kernel_w;
    int32_t stride_h, stride_w;
    int32_t dilation_h, dilation_w;
    int32_t pad_top, pad_left;      /* implicit zero-point padding before row/col 0 */
    int32_t depth_multiplier;       /* depthwise only: out_c == in_c * depth_multiplier */
    int32_t input_offset;           /* -input zero point, in [-127, 128] */
    int32_t output_offset;          /* output zero point, in [-128, 127] */
    int32_t act_min, act_max;       /* output clamp, within [-128, 127] */
} tg_conv2d_params_t;

/*
 * 2-D convolution, groups = 1.
 * weights: int8 [out_c][kernel_h][kernel_w][in_c] (OHWI).
 * bias, multiplier, shift: [out_c].
 * Padded positions contribute nothing (they hold the input zero point).
 */
void tg_conv2d_s8(const tg_conv2d_params_t *p, const int8_t *input,
                  const int8_t *weights, const int32_t *bias,
                  const int32_t *multiplier, const int8_t *shift,
                  int8_t *output);

/*
 * Depthwise 2-D convolution: output channel oc = ic * depth_multiplier + m
 * reads only input channel ic.
 * weights: int8 [kernel_h][kernel_w][out_c] (TFLite's 1HWC layout).
 * bias, multiplier, shift: [out_c].
 */
void tg_depthwise_conv2d_s8(const tg_conv2d_params_t *p, const int8_t *input,
                            const int8_t *weights, const int32_t *bias,
                            const int32_t *multiplier, const int8_t *shift,
                            int8_t *output);

/*
 * A convolution with a fused residual add: the conv's geometry and quantization as in
 * tg_conv2d_params_t (output_offset, act_min, act_max: the conv result's grid and
 * clamp), then the add's as in tg_add_params_t, its input1/input2 fields named by
 * role: conv_* for the conv result, skip_* for the skip tensor.
 */
typedef struct {
    int32_t in_h, in_w, in_c;
    int32_t out_h, out_w, out_c;
    int32_t kernel_h, kernel_w;
    int32_t stride_h, stride_w;
    int32_t dilation_h, dilation_w;
    int32_t pad_top, pad_left;
    int32_t input_offset, output_offset;
    int32_t act_min, act_max;
    int32_t add_left_shift;
    int32_t conv_offset, conv_multiplier, conv_shift;
    int32_t skip_offset, skip_multiplier, skip_shift;
    int32_t add_output_offset, add_output_multiplier, add_output_shift;
    int32_t add_act_min, add_act_max;
} tg_conv2d_add_params_t;

/*
 * output[p] = add(conv2d(input)[p], skip[p]): tg_conv2d_s8's int8 result, then
 * tg_add_s8's arithmetic with the skip tensor. input, weights, bias, multiplier,
 * shift: as tg_conv2d_s8; skip, output: int8 [out_h][out_w][out_c]. Parameters:
 * tinygen.kernels.params (conv2d_add). The output may be the skip buffer (in place).
 */
void tg_conv2d_add_s8(const tg_conv2d_add_params_t *p, const int8_t *input, const int8_t *skip,
                      const int8_t *weights, const int32_t *bias, const int32_t *multiplier,
                      const int8_t *shift, int8_t *output);

typedef struct {
    int32_t rows;             /* independent input rows (batch or leading dims) */
    int32_t in_features, out_features;
    int32_t input_offset, output_offset;
    int32_t act_min, act_max;
} tg_fully_connected_params_t;

/*
 * Fully connected: output[r][o] = requant(sum_i (input[r][i] + input_offset) * weights[o][i] + bias[o]).
 * input: int8 [rows][in_features]; weights: int8 [out_features][in_features];
 * bias, multiplier, shift: [out_features]; output: int8 [rows][out_features].
 */
void tg_fully_connected_s8(const tg_fully_connected_params_t *p, const int8_t *input,
                           const int8_t *weights, const int32_t *bias,
                           const int32_t *multiplier, const int8_t *shift,
                           int8_t *output);

typedef struct {
    int32_t in_h, in_w, channels;
    int32_t out_h, out_w;
    int32_t kernel_h, kernel_w;
    int32_t stride_h, stride_w;
    int32_t pad_top, pad_left;
    int32_t count_include_pad;      /* avg only: 1 divides by kernel_h*kernel_w, out-of-bounds
                                       positions counting as zero_point (PyTorch default);
                                       0 divides by the number of in-bounds elements (TFLite) */
    int32_t zero_point;             /* avg with count_include_pad only: the tensor zero point
                                       (real 0), the value padded positions hold */
    int32_t act_min, act_max;
} tg_pool2d_params_t;

/* Max pooling over in-bounds elements; input and output share quantization. */
void tg_max_pool2d_s8(const tg_pool2d_params_t *p, const int8_t *input, int8_t *output);

/* tg_max_pool2d_s8 for ARMv7E-M (DSP extension), 4 channels per step: same arguments and results. */
void tg_max_pool2d_s8_dsp(const tg_pool2d_params_t *p, const int8_t *input, int8_t *output);

/*
 * Average pooling; input and output share quantization. The sum is divided
 * rounding half away from zero, as TFLite's reference kernel does.
 */
void tg_avg_pool2d_s8(const tg_pool2d_params_t *p, const int8_t *input, int8_t *output);

/* tg_avg_pool2d_s8 for ARMv7E-M (DSP extension): same arguments and results. */
void tg_avg_pool2d_s8_dsp(const tg_pool2d_params_t *p, const int8_t *input, int8_t *output);

/* tg_avg_pool2d_s8 for ARMv7E-M (DSP extension) where the pool is global (kernel = input, no
   padding, one output pixel) over a power of two of pixels (2..256) on a multiple of 16
   channels with the full int8 clamp, input word-aligned: the division a shift. Same results. */
void tg_avg_pool2d_global_pow2_s8_dsp(const tg_pool2d_params_t *p, const int8_t *input, int8_t *output);

typedef struct {
    int32_t size;                   /* elements in each input and the output */
    int32_t left_shift;             /* 20 for int8, as in TFLite */
    int32_t input1_offset, input1_multiplier, input1_shift;
    int32_t input2_offset, input2_multiplier, input2_shift;
    int32_t output_offset, output_multiplier, output_shift;
    int32_t act_min, act_max;
} tg_add_params_t;

/*
 * Elementwise add of two same-shape tensors (TFLite int8 ADD, no broadcasting).
 * Parameters: tinygen.quant.op_params.add_params. May run in place.
 */
void tg_add_s8(const tg_add_params_t *p, const int8_t *input1, const int8_t *input2,
               int8_t *output);

typedef struct {
    int32_t rows, depth;            /* softmax over the last axis (depth) of each row */
    int32_t input_multiplier, input_left_shift;
    int32_t diff_min;
} tg_softmax_params_t;

/*
 * Softmax over the last axis, TFLite int8 reference algorithm (gemmlowp
 * fixed-point exp). input, output: int8 [rows][depth], depth in [1, 4095]
 * (the sum of exps is held in Q12). Parameters: tinygen.quant.op_params.
 * softmax_params. Output quantization is fixed: scale 1/256, zero point -128.
 */
void tg_softmax_s8(const tg_softmax_params_t *p, const int8_t *input, int8_t *output);

/*
 * tg_softmax_s8 for ARMv7E-M (DSP extension): same parameters and results. table: int32,
 * word 0 the entry count n (1..256), then exp(-d) in Q0 for the differences d = 0..n-1
 * from the row maximum (tinygen.kernels.lut.softmax_exp_table); n + 1 words.
 */
void tg_softmax_s8_dsp(const tg_softmax_params_t *p, const int8_t *input, const int32_t *table, int8_t *output);

typedef struct {
    int32_t size;
    int32_t input_zero_point, input_range_radius;
    int32_t input_multiplier, input_left_shift;
} tg_logistic_params_t;

/*
 * Logistic (sigmoid), TFLite int8 reference algorithm (gemmlowp fixed-point
 * logistic). Parameters: tinygen.quant.op_params.logistic_params.
 * Output quantization is fixed: scale 1/256, zero point -128. May run in place.
 */
void tg_logistic_s8(const tg_logistic_params_t *p, const int8_t *input, int8_t *output);

typedef struct {
    int32_t outer;                  /* product of dimensions before the axis */
    int32_t num_inputs;
    const int32_t *copy_sizes;      /* per input: its axis length * product of dims after the axis */
} tg_concat_params_t;

/* Concatenation; all inputs and the output share quantization. */
void tg_concat_s8(const tg_concat_params_t *p, const int8_t *const *inputs, int8_t *output);

typedef struct {
    int32_t in_shape[4];            /* rank-4 input shape (pad lower ranks with leading 1s) */
    int32_t perm[4];                /* output dim d is input dim perm[d] */
} tg_transpose_params_t;

/* Permute the dimensions of a rank-4 int8 tensor. Not in place. */
void tg_transpose_s8(const tg_transpose_params_t *p, const int8_t *input, int8_t *output);

typedef struct {
    int32_t outer;                  /* product of dimensions before the axis */
    int32_t in_stride;              /* input axis length * product of dims after the axis */
    int32_t offset;                 /* first element taken * product of dims after the axis */
    int32_t size;                   /* output axis length * product of dims after the axis */
} tg_slice_params_t;

/* One slice along an axis (chunk, split); input and output share quantization. Not in place. */
void tg_slice_s8(const tg_slice_params_t *p, const int8_t *input, int8_t *output);

typedef struct {
    int32_t in_h, in_w, channels;
    int32_t out_h, out_w;           /* whole multiples of in_h, in_w */
} tg_resize_nearest_params_t;

/* Nearest-neighbour upsampling of an NHWC tensor (TFLite RESIZE_NEAREST_NEIGHBOR, no
 * align_corners, no half-pixel centers); input and output share quantization. Not in place. */
void tg_resize_nearest_s8(const tg_resize_nearest_params_t *p, const int8_t *input, int8_t *output);

typedef struct {
    int32_t in_h, in_w, channels;
    int32_t out_h, out_w;
    int32_t scale_h_10, scale_w_10; /* in / out in 1/1024 steps, rounded: (1024 * in + out / 2) / out;
                                       with align_corners (in - 1) / (out - 1) */
    int32_t offset_h_10, offset_w_10; /* added to each source coordinate: scale / 2 - 512 with half-pixel
                                         centers, else 0 */
} tg_resize_bilinear_params_t;

/* Bilinear resize of an NHWC tensor (TFLite RESIZE_BILINEAR int8; half-pixel centers: PyTorch's
 * align_corners=False); input and output share quantization. Not in place. */
void tg_resize_bilinear_s8(const tg_resize_bilinear_params_t *p, const int8_t *input, int8_t *output);

typedef struct {
    int32_t size;
    int32_t act_min, act_max;
} tg_clamp_params_t;

/* Clamp to [act_min, act_max] (a standalone ReLU/ReLU6/Hardtanh). May run in place. */
void tg_clamp_s8(const tg_clamp_params_t *p, const int8_t *input, int8_t *output);

/*
 * Broadcasting (add with operands of different shapes, mul): the output is
 * walked as a rank-4 array shape[0..3] (row-major, the last index fastest);
 * operand k reads element sum_d index[d] * inputk_strides[d], a stride of 0
 * repeating the operand along that dimension (numpy broadcasting). The code
 * generator collapses adjacent dimensions, so same-shape operands become
 * shape {1, 1, 1, n} with strides {0, 0, 0, 1}.
 */
typedef struct {
    int32_t shape[4];               /* output shape */
    int32_t input1_strides[4];      /* element strides of input1 per output dim, 0: broadcast */
    int32_t input2_strides[4];
    int32_t left_shift;             /* 20 for int8, as in TFLite */
    int32_t input1_offset, input1_multiplier, input1_shift;
    int32_t input2_offset, input2_multiplier, input2_shift;
    int32_t output_offset, output_multiplier, output_shift;
    int32_t act_min, act_max;
} tg_add_broadcast_params_t;

/*
 * Add with broadcasting (TFLite int8 ADD, BroadcastAdd6DSlow): the arithmetic of
 * tg_add_s8 on every output element. Parameters: tinygen.quant.op_params.add_params
 * plus the broadcast geometry above. Not in place.
 */
void tg_add_broadcast_s8(const tg_add_broadcast_params_t *p, const int8_t *input1,
                         const int8_t *input2, int8_t *output);

typedef struct {
    int32_t shape[4];               /* output shape, as for tg_add_broadcast_params_t */
    int32_t input1_strides[4];
    int32_t input2_strides[4];
    int32_t input1_offset, input2_offset;   /* -zero points */
    int32_t output_offset;
    int32_t output_multiplier, output_shift; /* input1_scale * input2_scale / output_scale */
    int32_t act_min, act_max;
} tg_mul_params_t;

/*
 * Elementwise multiply with broadcasting (TFLite int8 MUL):
 * out = requant((in1 + input1_offset) * (in2 + input2_offset)) + output_offset,
 * clamped to [act_min, act_max]. Parameters: tinygen.quant.op_params.mul_params.
 * Not in place.
 */
void tg_mul_s8(const tg_mul_params_t *p, const int8_t *input1, const int8_t *input2,
               int8_t *output);

typedef struct {
    int32_t in_shape[4];            /* input shape, collapsed to rank 4 */
    int32_t out_shape[4];           /* in_shape + padding before + padding after */
    int32_t pad_before[4];          /* elements inserted before index 0, per dim, >= 0 */
    int32_t pad_value;              /* the fill value, in [-128, 127] */
} tg_pad_params_t;

/* Constant padding (TFLite PAD / PADV2): input and output share quantization. Not in place. */
void tg_pad_s8(const tg_pad_params_t *p, const int8_t *input, int8_t *output);

typedef struct {
    int32_t outer, reduce, inner;   /* input viewed as [outer][reduce][inner]; output [outer][inner] */
    int32_t input_zero_point, output_zero_point;
    int32_t multiplier, shift;      /* input_scale / output_scale with 1/reduce folded in */
} tg_mean_params_t;

/*
 * Mean over the middle axis (TFLite int8 MEAN, reference QuantizedMeanOrSum):
 * out = requant(sum - input_zero_point * reduce) + output_zero_point, clamped to
 * int8. reduce * 255 must fit in int32. Parameters: tinygen.quant.op_params.mean_params.
 */
void tg_mean_s8(const tg_mean_params_t *p, const int8_t *input, int8_t *output);

typedef struct {
    int32_t size;
    int32_t input_zero_point, output_zero_point;
    int32_t reluish_multiplier;     /* Q15, in [0, 32767] */
    int32_t reluish_exponent;       /* in [-15, 30]: > 0 shifts left */
    int32_t output_multiplier;      /* Q15, in [0, 32767] */
    int32_t output_exponent;        /* in [-15, 0] */
} tg_hard_swish_params_t;

/*
 * Hard swish x * relu6(x + 3) / 6, TFLite int8 reference algorithm (16-bit fixed
 * point). Parameters: tinygen.quant.op_params.hard_swish_params. May run in place.
 */
void tg_hard_swish_s8(const tg_hard_swish_params_t *p, const int8_t *input, int8_t *output);

/*
 * The same hard swish by a 256-entry table: table[q + 128] is tg_hard_swish_s8's
 * output for input q under `p` (tinygen.kernels.lut.hard_swish_table builds it);
 * only p->size is read. 256 bytes of flash per layer for one load per element.
 * May run in place.
 */
void tg_hard_swish_lut_s8(const tg_hard_swish_params_t *p, const int8_t *input, const int8_t *table, int8_t *output);

typedef struct {
    int32_t size;
    int32_t input_offset;           /* -input zero point */
    int32_t output_offset;          /* output zero point */
    int32_t multiplier, shift;      /* input_scale / output_scale */
    int32_t act_min, act_max;
} tg_requantize_params_t;

/*
 * Change of quantization, clamped: out = requant(in + input_offset) + output_offset
 * in [act_min, act_max] (TFLite int8 QUANTIZE, and RELU with act_min = output zero
 * point). Parameters: tinygen.quant.op_params.requantize_params / relu_params.
 * May run in place.
 */
void tg_requantize_s8(const tg_requantize_params_t *p, const int8_t *input, int8_t *output);

/* The kernels of each core and the operators beyond convolution: */
#include "tg_kernels_dsp.h"
#include "tg_kernels_rv32.h"
#include "tg_kernels_mve.h"
#include "tg_kernels_ops.h"
#include "tg_kernels_s16.h"
#include "tg_kernels_f32.h"
#include "tg_kernels_signal.h"

#ifdef __cplusplus
}
#endif

#endif /* TG_KERNELS_H */
