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
    int32_t scale_h_10, scale_w_10; /* in / out in 1/1024 steps, rounded: (1024 * in + out / 2) / out */
} tg_resize_bilinear_params_t;

/* Bilinear resize of an NHWC tensor with half-pixel centers (PyTorch align_corners=False; TFLite
 * RESIZE_BILINEAR int8 with half_pixel_centers); input and output share quantization. Not in place. */
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

/* ---------------------------------------------------------------------- */
/* ARMv7E-M DSP kernels (Cortex-M4/M7): built only for cores with the DSP   */
/* extension (__ARM_FEATURE_DSP); each equals its portable kernel.          */
/* ---------------------------------------------------------------------- */

/*
 * tg_conv2d_s8 for a 1x1 kernel, stride 1, no padding (out_h == in_h,
 * out_w == in_w), any channel counts. Same arguments and layouts, plus
 * scratch: 4 * ((in_c + 3) & ~3) + 8 * out_c bytes, 8-byte aligned (none,
 * NULL, for a single pixel).
 */
void tg_conv2d_1x1_s8_dsp(const tg_conv2d_params_t *p, const int8_t *input,
                          const int8_t *weights, const int32_t *bias,
                          const int32_t *multiplier, const int8_t *shift,
                          int8_t *scratch, int8_t *output);

/*
 * tg_conv2d_1x1_s8_dsp for in_c 4, 8 or 16 and act_min, act_max = -128, 127, where the folded
 * requantization is exact (tg_conv2d_1x1_shallow_s8_dsp.c, tinygen/kernels/pw_shallow_dsp.py).
 * Same arguments and layouts; scratch: the per-channel records, out_c * (16 + 2 * in_c) bytes,
 * 4-byte aligned. Pixel by pixel, each input pixel read whole before its outputs are written.
 */
void tg_conv2d_1x1_shallow_s8_dsp(const tg_conv2d_params_t *p, const int8_t *input,
                                  const int8_t *weights, const int32_t *bias,
                                  const int32_t *multiplier, const int8_t *shift,
                                  int8_t *scratch, int8_t *output);

/*
 * tg_conv2d_s8, any geometry. Same arguments and layouts, plus scratch:
 * 2 * K rounded up to 8, plus 4 * ((K + 3) & ~3) + 8 * out_c bytes, 8-byte aligned,
 * K = kernel_h * kernel_w * in_c.
 */
void tg_conv2d_s8_dsp(const tg_conv2d_params_t *p, const int8_t *input,
                      const int8_t *weights, const int32_t *bias,
                      const int32_t *multiplier, const int8_t *shift,
                      int8_t *scratch, int8_t *output);

/*
 * tg_fully_connected_s8, any sizes. Same arguments and layouts, plus scratch:
 * 4 * ((in_features + 3) & ~3) + 8 * out_features bytes, 8-byte aligned (none,
 * NULL, for rows == 1).
 */
void tg_fully_connected_s8_dsp(const tg_fully_connected_params_t *p, const int8_t *input,
                               const int8_t *weights, const int32_t *bias,
                               const int32_t *multiplier, const int8_t *shift,
                               int8_t *scratch, int8_t *output);

/*
 * tg_fully_connected_s8 for in_features <= 16 (tg_fully_connected_shallow_s8_dsp.h): packed
 * holds one record per output feature (2 x bias, multiplier, rounding, shift, the weights:
 * tinygen/kernels/fc_shallow_dsp.py), built only where its requantization is exact. No scratch;
 * the output must not overlap the input.
 */
void tg_fully_connected_shallow_s8_dsp(const tg_fully_connected_params_t *p, const int8_t *input,
                                       const int32_t *packed, int8_t *output);

/*
 * tg_depthwise_conv2d_s8 for depth_multiplier == 1 (any kernel, stride, dilation,
 * padding). Same arguments and layouts, plus packed (the 3x3 path's records, built by
 * tinygen/kernels/depthwise_dsp.py) and scratch (depthwise_dsp_scratch bytes there,
 * 4-byte aligned; NULL when that is 0).
 */
void tg_depthwise_conv2d_s8_dsp(const tg_conv2d_params_t *p, const int8_t *input,
                                const int8_t *weights, const int32_t *bias,
                                const int32_t *multiplier, const int8_t *shift,
                                const int32_t *packed, int8_t *scratch, int8_t *output);

/*
 * tg_depthwise_conv2d_s8_dsp's any-window path (tg_dw_any_window) on any depth-multiplier-1
 * layer, 3x3 ones included: the weights int8 in flash, widened with the bias, multipliers
 * and shifts into the scratch at each call (depthwise_dsp.depthwise_widen_scratch bytes,
 * 4-byte aligned; NULL when in_c < 4), no per-channel records in flash (18 bytes a channel
 * against the 3x3 path's 32). What a fit-aware choice takes where flash is short.
 */
void tg_dw_any_window(const tg_conv2d_params_t *p, const int8_t *input, const int8_t *weights,
                      const int32_t *bias, const int32_t *multiplier, const int8_t *shift,
                      int8_t *scratch, int8_t *output);
void tg_depthwise_conv2d_widen_s8_dsp(const tg_conv2d_params_t *p, const int8_t *input,
                                      const int8_t *weights, const int32_t *bias,
                                      const int32_t *multiplier, const int8_t *shift,
                                      int8_t *scratch, int8_t *output);

/*
 * tg_depthwise_conv2d_s8_dsp's 3x3 path alone, for the layers whose records it packs
 * (packed[0] == in_c; tinygen/kernels/depthwise_dsp.py): the records are all its
 * constants. scratch: depthwise_dsp.dw3_scratch bytes, 4-byte aligned.
 */
void tg_depthwise_conv2d_3x3_s8_dsp(const tg_conv2d_params_t *p, const int8_t *input, const int32_t *packed,
                                    int8_t *scratch, int8_t *output);

/*
 * tg_depthwise_conv2d_s8 along one axis (k x 1 over width 1, 1 x k over height 1),
 * depth_multiplier == 1, any stride, dilation, padding and channel count, for the layers
 * whose records tinygen/kernels/depthwise_kx1_dsp.py packs (packed[0] == in_c): the
 * records are all its constants. scratch: depthwise_kx1_dsp.kx1_scratch bytes, 4-byte
 * aligned. The output must not overlap the input.
 */
void tg_depthwise_conv2d_kx1_s8_dsp(const tg_conv2d_params_t *p, const int8_t *input, const int32_t *packed,
                                    int8_t *scratch, int8_t *output);

/*
 * tg_depthwise_conv2d_kx1_s8_dsp's layers that depthwise_kx1_dsp.raw_path names (stride 1
 * with 2 or 3 taps and act_max 127; 4 or 5 taps, no clamp, at stride 1 or at stride 2 with
 * dilation 1), faster, the same records. scratch: depthwise_kx1_dsp.kx1_raw_scratch bytes
 * (a padded copy of the input), 4-byte aligned. The output must not overlap the input.
 */
void tg_depthwise_conv2d_kx1_raw_s8_dsp(const tg_conv2d_params_t *p, const int8_t *input, const int32_t *packed,
                                        int8_t *scratch, int8_t *output);

/*
 * tg_depthwise_conv2d_s8 for depth_multiplier > 1, 3x3 windows, dilation 1, stride_w 1 or
 * 2, for the layers whose 3x3 records (one per output channel) tinygen/kernels/depthwise_dsp.py
 * packs (packed[0] == out_c): the records are all its constants. scratch:
 * depthwise_dsp.dw3_scratch bytes, 4-byte aligned. The output must not overlap the input.
 */
void tg_depthwise_conv2d_3x3_dm_s8_dsp(const tg_conv2d_params_t *p, const int8_t *input, const int32_t *packed,
                                       int8_t *scratch, int8_t *output);

/*
 * tg_conv2d_s8, any geometry, with no scratch: a direct convolution reading the input
 * in place (the output must not overlap it). Same arguments and layouts but the
 * weights, packed at build time (tinygen.kernels.direct_dsp.conv2d_direct_dsp_weights):
 * int16, 4-byte aligned, per block of 4 output channels (zero channels complete the
 * last block) and kernel row of L = kernel_w * in_c values, each group of 4 values as
 * (w0, w2, w1, w3) for channel 0, then channels 1, 2, 3, then the last L % 4 values
 * as the 4 channels' values for each.
 */
void tg_conv2d_direct_s8_dsp(const tg_conv2d_params_t *p, const int8_t *input, const int16_t *packed,
                             const int32_t *bias, const int32_t *multiplier, const int8_t *shift, int8_t *output);

/*
 * tg_conv2d_add_s8, any geometry, with no scratch: tg_conv2d_direct_s8_dsp's convolution
 * (same packed weights), then the add with the skip tensor. The output may be the skip
 * buffer, not the conv's input.
 */
void tg_conv2d_add_s8_dsp(const tg_conv2d_add_params_t *p, const int8_t *input, const int8_t *skip,
                          const int16_t *packed, const int32_t *bias, const int32_t *multiplier,
                          const int8_t *shift, int8_t *output);

/*
 * tg_conv2d_direct_s8_dsp with the weights int8 in flash, widened at run time one block of
 * 4 output channels at a time into scratch (8 * kernel_h * kernel_w * in_c bytes, 8-byte
 * aligned). packed: tg_conv2d_direct_s8_dsp's layout with each group of 4 values
 * (a, b, c, d) stored as the int8 bytes (a, c, b, d)
 * (tinygen.kernels.direct_dsp.conv2d_widen_dsp_weights). The output must not overlap the input.
 */
void tg_conv2d_widen_s8_dsp(const tg_conv2d_params_t *p, const int8_t *input, const int8_t *packed,
                            const int32_t *bias, const int32_t *multiplier, const int8_t *shift, int8_t *scratch,
                            int8_t *output);

/*
 * tg_conv2d_add_s8_dsp with tg_conv2d_widen_s8_dsp's int8 packed weights and scratch. The
 * output may be the skip buffer, not the conv's input.
 */
void tg_conv2d_add_widen_s8_dsp(const tg_conv2d_add_params_t *p, const int8_t *input, const int8_t *skip,
                                const int8_t *packed, const int32_t *bias, const int32_t *multiplier,
                                const int8_t *shift, int8_t *scratch, int8_t *output);

/* tg_add_s8, any parameters (fast for TFLite's left_shift 20). Same arguments; may run in place. */
void tg_add_s8_dsp(const tg_add_params_t *p, const int8_t *input1, const int8_t *input2,
                   int8_t *output);

/* ---- RV32IM kernels (ESP32-C3; the board feature "rv32im"): each equals its portable
 * twin bit for bit. packed: the layer's constants arranged at build time
 * (tinygen.kernels.params.conv2d_rv32_weights, tinygen.kernels.rv32), int32 words. ---- */

/* tg_conv2d_s8, any geometry: 4 channels x up to 3 pixels per step (tg_conv2d_s8_rv32.h).
 * The output overlaps the input only at tinygen/passes/inplace.py's distance. */
void tg_conv2d_s8_rv32(const tg_conv2d_params_t *p, const int8_t *input, const int32_t *packed, const int32_t *bias,
                       const int32_t *multiplier, const int8_t *shift, int8_t *output);

/* tg_conv2d_add_s8 with tg_conv2d_s8_rv32's convolution. The output may be the skip buffer,
 * not the conv's input. */
void tg_conv2d_add_s8_rv32(const tg_conv2d_add_params_t *p, const int8_t *input, const int8_t *skip,
                           const int32_t *packed, const int32_t *bias, const int32_t *multiplier,
                           const int8_t *shift, int8_t *output);

/* tg_fully_connected_s8 as tg_conv2d_s8_rv32's pointwise convolution. The output must not
 * overlap the input. */
void tg_fully_connected_s8_rv32(const tg_fully_connected_params_t *p, const int8_t *input, const int32_t *packed,
                                const int32_t *bias, const int32_t *multiplier, const int8_t *shift, int8_t *output);

/* tg_depthwise_conv2d_s8 with depth multiplier 1: up to 8 pixels per channel step
 * (tg_depthwise_conv2d_s8_rv32.h). The output overlaps the input only at inplace.py's distance. */
void tg_depthwise_conv2d_s8_rv32(const tg_conv2d_params_t *p, const int8_t *input, const int32_t *packed,
                                 const int32_t *bias, const int32_t *multiplier, const int8_t *shift, int8_t *output);

/* tg_avg_pool2d_s8, 4 channels per step. The output must not overlap the input. */
void tg_avg_pool2d_s8_rv32(const tg_pool2d_params_t *p, const int8_t *input, int8_t *output);

/* tg_max_pool2d_s8, 4 channels per step. The output must not overlap the input. */
void tg_max_pool2d_s8_rv32(const tg_pool2d_params_t *p, const int8_t *input, int8_t *output);

/* tg_add_s8 (same shapes) with Prepare's parameters (shifts <= 0). May run in place. */
void tg_add_s8_rv32(const tg_add_params_t *p, const int8_t *input1, const int8_t *input2, int8_t *output);

/* ---- Helium (MVE) kernels (Cortex-M55; the board feature "mve"): each equals its portable
 * twin bit for bit. packed: the layer's constants arranged at build time
 * (tinygen/kernels/mve_pack.py), int32 words. The outputs must not overlap the inputs. ---- */

/* tg_conv2d_s8 for a pointwise convolution (1x1, stride 1, no padding): 2 pixels x 4
 * channels per VMLADAVA step (tg_mat_mult_s8_mve.h). */
void tg_conv2d_1x1_s8_mve(const tg_conv2d_params_t *p, const int8_t *input, const int32_t *packed, int8_t *output);

/* tg_conv2d_s8, any geometry: receptive fields gathered 8 pixels at a time into the scratch
 * (tg_conv2d_s8_mve.h), then the pointwise product. */
void tg_conv2d_s8_mve(const tg_conv2d_params_t *p, const int8_t *input, const int32_t *packed, int8_t *scratch,
                      int8_t *output);

/* tg_fully_connected_s8 as the pointwise product (tg_mat_mult_s8_mve.h). */
void tg_fully_connected_s8_mve(const tg_fully_connected_params_t *p, const int8_t *input, const int32_t *packed,
                               int8_t *output);

/* tg_conv2d_add_s8: tg_conv2d_s8_mve's convolution, then the add with tg_add_s8_mve's
 * tables (packed: the tables, then the product's records). The output may be the skip
 * buffer, not the conv's input. */
void tg_conv2d_add_s8_mve(const tg_conv2d_add_params_t *p, const int8_t *input, const int8_t *skip,
                          const int32_t *packed, int8_t *scratch, int8_t *output);

/* tg_add_s8 (same shapes): the operands' scaled values tabulated at build time (packed), 4
 * outputs per step. May run in place. */
void tg_add_s8_mve(const tg_add_params_t *p, const int8_t *input1, const int8_t *input2, const int32_t *packed,
                   int8_t *output);

/* tg_depthwise_conv2d_s8 with depth multiplier 1, dilation 1 and at most 16 taps: per
 * output row its window columns interleaved in the scratch, one VMLADAVA per output. */
void tg_depthwise_conv2d_s8_mve(const tg_conv2d_params_t *p, const int8_t *input, const int32_t *packed,
                                int8_t *scratch, int8_t *output);

/* tg_max_pool2d_s8, 16 channels per VMAX. */
void tg_max_pool2d_s8_mve(const tg_pool2d_params_t *p, const int8_t *input, int8_t *output);

/* tg_avg_pool2d_s8 for windows of at most 5,780 elements: 16 channels per step in int16
 * lanes, the division a multiply-high by the count's reciprocal. */
void tg_avg_pool2d_s8_mve(const tg_pool2d_params_t *p, const int8_t *input, int8_t *output);

/* tg_softmax_s8 with tg_softmax_s8_dsp's table of exps (table), 4 elements per gather. */
void tg_softmax_s8_mve(const tg_softmax_params_t *p, const int8_t *input, const int32_t *table, int8_t *output);

/* ---------------------------------------------------------------------- */
/* The simpler operators users' models bring: table lookups (logistic,    */
/* tanh, GELU, hard sigmoid), tanh, PReLU, strided slices, mirror padding */
/* (SUM runs tg_mean_s8 with tinygen.quant.op_params.sum_params)          */
/* ---------------------------------------------------------------------- */

typedef struct {
    int32_t size;                   /* elements */
} tg_lut_params_t;

/*
 * An int8 -> int8 elementwise function by a 256-byte table: output[i] =
 * table[(uint8_t)input[i]] (TFLite's table order: the entry for q at index q & 255).
 * The table is built at compile time (tinygen.kernels.lut): LOGISTIC's and TANH's
 * from their fixed-point kernels, GELU's as TFLite builds it, the hard sigmoid's
 * exactly. May run in place.
 */
void tg_lut_s8(const tg_lut_params_t *p, const int8_t *input, const int8_t *table, int8_t *output);

typedef struct {
    int32_t size;
    int32_t input_zero_point;
    int32_t input_range_radius;     /* |x - zero point| at or beyond it saturates */
    int32_t input_multiplier;       /* input scale * 2^27 (into Q4) */
    int32_t input_left_shift;       /* >= 0 */
} tg_tanh_params_t;

/*
 * tanh, TFLite int8 reference algorithm (gemmlowp fixed point): int8 output of
 * scale 1/128, zero point 0. Parameters: tinygen.quant.op_params.tanh_params.
 * May run in place.
 */
void tg_tanh_s8(const tg_tanh_params_t *p, const int8_t *input, int8_t *output);

typedef struct {
    int32_t shape[4];               /* output shape, as for tg_mul_params_t */
    int32_t input1_strides[4];      /* the input's element strides (the output's shape) */
    int32_t input2_strides[4];      /* alpha's, 0 where alpha is broadcast */
    int32_t input_offset, alpha_offset;     /* -zero points */
    int32_t output_offset;
    int32_t positive_multiplier, positive_shift;   /* input_scale / output_scale */
    int32_t negative_multiplier, negative_shift;   /* input_scale * alpha_scale / output_scale */
} tg_prelu_params_t;

/*
 * PReLU (TFLite int8 PRELU, BroadcastPrelu4DSlow): x = in + input_offset;
 * out = requant+(x) for x >= 0, requant-(x * (alpha + alpha_offset)) for x < 0,
 * plus output_offset, clamped to int8. alpha: int8, read through input2_strides.
 * Parameters: tinygen.quant.op_params.prelu_params. May run in place.
 */
void tg_prelu_s8(const tg_prelu_params_t *p, const int8_t *input, const int8_t *alpha, int8_t *output);

typedef struct {
    int32_t out_shape[4];           /* output shape, collapsed to rank 4 */
    int32_t step[4];                /* input elements between neighbours along each output dim, any sign */
    int32_t offset;                 /* the input element output element 0 copies */
} tg_strided_slice_params_t;

/*
 * Strided slice (TFLite STRIDED_SLICE / SLICE, torch slicing with steps, select,
 * flip): output (i0, i1, i2, i3) copies input[offset + sum_k i_k * step[k]].
 * Not in place.
 */
void tg_strided_slice_s8(const tg_strided_slice_params_t *p, const int8_t *input, int8_t *output);

enum {
    TG_PAD_REFLECT = 0,             /* the edge left out (TFLite MIRROR_PAD REFLECT) */
    TG_PAD_SYMMETRIC = 1,           /* the edge repeated (MIRROR_PAD SYMMETRIC) */
    TG_PAD_REPLICATE = 2,           /* the edge value (torch 'replicate') */
    TG_PAD_CIRCULAR = 3             /* the other end (torch 'circular') */
};

typedef struct {
    int32_t in_shape[4];            /* input shape, collapsed to rank 4 */
    int32_t out_shape[4];           /* in_shape + padding before + padding after */
    int32_t pad_before[4];          /* >= 0; REFLECT: at most in - 1, others at most in */
    int32_t mode;                   /* TG_PAD_* */
} tg_mirror_pad_params_t;

/*
 * tg_mean_s8 (MEAN, and SUM with op_params.sum_params) for Cortex-M4/M7: USADA8 over
 * contiguous reductions (inner == 1), SXTAB16 lanes over four channels at a time
 * (inner >= 4). Not in place.
 */
void tg_mean_s8_dsp(const tg_mean_params_t *p, const int8_t *input, int8_t *output);

/*
 * Padding with the input's own values (TFLite MIRROR_PAD, torch reflect /
 * replicate / circular padding): every padded position copies the input element
 * its mode names per dimension. Not in place.
 */
void tg_mirror_pad_s8(const tg_mirror_pad_params_t *p, const int8_t *input, int8_t *output);

/* ---- Transposed convolution (PyTorch ConvTranspose2d, TFLite TRANSPOSE_CONV) ---- */

/*
 * Geometry and quantization of a transposed convolution: input pixel (iy, ix) reaches
 * output pixel (iy * stride_h - pad_top + ky * dilation_h, ix * stride_w - pad_left +
 * kx * dilation_w) through tap (ky, kx), where that lies in the output; the output's
 * size is out_h x out_w (the padding after the last row and column follows from it, and
 * output pixels no tap reaches hold the requantized bias).
 */
typedef struct {
    int32_t in_h, in_w, in_c;       /* input [in_h][in_w][in_c] */
    int32_t out_h, out_w, out_c;    /* output [out_h][out_w][out_c] */
    int32_t kernel_h, kernel_w;
    int32_t stride_h, stride_w;
    int32_t dilation_h, dilation_w;
    int32_t pad_top, pad_left;      /* >= 0: scattered rows / columns before output row / column 0 */
    int32_t input_offset;           /* -input zero point, in [-127, 128] */
    int32_t output_offset;          /* output zero point, in [-128, 127] */
    int32_t act_min, act_max;       /* output clamp, within [-128, 127] */
} tg_transpose_conv2d_params_t;

/*
 * Transposed 2-D convolution, groups = 1: TFLite Micro's reference TransposeConv (int32
 * sums, then per output channel bias, requantization and clamp). weights: int8
 * [out_c][kernel_h][kernel_w][in_c]; bias (NULL: none), multiplier, shift: [out_c].
 * No scratch. The output must not overlap the input.
 */
void tg_transpose_conv2d_s8(const tg_transpose_conv2d_params_t *p, const int8_t *input,
                            const int8_t *weights, const int32_t *bias, const int32_t *multiplier,
                            const int8_t *shift, int8_t *output);

/*
 * tg_transpose_conv2d_s8 for ARMv7E-M (DSP extension), phase by phase (tg_transpose_conv2d.h)
 * with SMLAD. packed: the weights of each phase in turn, [out_c][taps_h][taps_w][in_c]
 * (tinygen.kernels.transpose_conv.phase_weights). scratch:
 * tg_transpose_conv2d_s8_dsp_buffer_size(p) bytes, 8-byte aligned. Same results.
 */
void tg_transpose_conv2d_s8_dsp(const tg_transpose_conv2d_params_t *p, const int8_t *input,
                                const int8_t *packed, const int32_t *bias, const int32_t *multiplier,
                                const int8_t *shift, int8_t *scratch, int8_t *output);

/*
 * tg_transpose_conv2d_s8 for RV32IM, phase by phase, 4 output channels x up to 3 output
 * pixels per step. packed: per phase and block of 4 output channels the folded biases, then
 * the weights interleaved (tinygen.kernels.transpose_conv.phase_rv32_weights), int32 words.
 * Same results; no scratch.
 */
void tg_transpose_conv2d_s8_rv32(const tg_transpose_conv2d_params_t *p, const int8_t *input,
                                 const int32_t *packed, const int32_t *bias, const int32_t *multiplier,
                                 const int8_t *shift, int8_t *output);

/* ---- Normalization and attention (firmware/kernels/norm/, matmul/; tinygen/kernels/attention.py) ---- */

/* The integer layer norms over the last axis (the arithmetic: norm/tg_norm_s8.h). */
typedef struct {
    int32_t rows, depth;            /* input, output: int8 [rows][depth], depth <= 32767 */
    int32_t input_zero_point, output_zero_point;
    int32_t eps_term;               /* round(depth^2 * eps / input_scale^2), >= 0 */
    int32_t norm_shift;             /* fraction bits of the normalized values, in [0, 16] */
    int32_t output_multiplier, output_shift;  /* gamma_scale * 2^-norm_shift / output_scale */
} tg_norm_params_t;

/*
 * Layer norm: (x - mean) / sqrt(var + eps) * gamma + beta per row, the integer arithmetic of
 * tg_norm_s8.h. gamma: int16 [depth] (one scale); beta: int32 [depth] on gamma_scale *
 * 2^-norm_shift. Parameters: tinygen.kernels.params_attention. May not run in place.
 */
void tg_layer_norm_s8(const tg_norm_params_t *p, const int8_t *input, const int16_t *gamma,
                      const int32_t *beta, int8_t *output);

/* RMS norm: x / sqrt(mean(x^2) + eps) * gamma per row, as tg_layer_norm_s8 without the mean and beta. */
void tg_rms_norm_s8(const tg_norm_params_t *p, const int8_t *input, const int16_t *gamma, int8_t *output);

typedef struct {
    int32_t size;
    int32_t input_zero_point, output_zero_point;
    int32_t multiplier, shift;      /* 1 / (sqrt(input_scale) * output_scale); shift - 20 in [-31, 31] */
} tg_rsqrt_params_t;

/* 1 / sqrt(x), TFLite Micro's int8 RSQRT; an input at or below the zero point gives 127. */
void tg_rsqrt_s8(const tg_rsqrt_params_t *p, const int8_t *input, int8_t *output);

typedef struct {
    int32_t batch_shape[3];         /* output batch dims (broadcast, merged), leading 1s */
    int32_t lhs_batch_strides[3];   /* element stride of each operand's matrix per batch dim, */
    int32_t rhs_batch_strides[3];   /* 0 where it is broadcast */
    int32_t rows, cols, depth;      /* output [rows][cols] per batch, depth summed */
    int32_t lhs_row_stride, lhs_depth_stride;   /* lhs[i][k] at i * row + k * depth stride */
    int32_t rhs_col_stride, rhs_depth_stride;   /* rhs[j][k] at j * col + k * depth stride */
    int32_t lhs_offset, rhs_offset, output_offset;   /* -zero points, output zero point */
    int32_t output_multiplier, output_shift;    /* lhs_scale * rhs_scale / output_scale */
    int32_t act_min, act_max;
} tg_batch_matmul_params_t;

/*
 * Batch matrix product (TFLite int8 BATCH_MATMUL): for each batch, out[i][j] =
 * requant(sum_k (lhs[i][k] + lhs_offset) * (rhs[j][k] + rhs_offset)), the output contiguous
 * [batches][rows][cols]; depth * 255 * 255 < 2^31. Not in place.
 */
void tg_batch_matmul_s8(const tg_batch_matmul_params_t *p, const int8_t *lhs, const int8_t *rhs, int8_t *output);

/* Bytes of tg_batch_matmul_s8_dsp's two lhs rows widened to int16 (tg_widen_rows_s8's layout), 8-aligned. */
static inline int32_t tg_batch_matmul_s8_dsp_widened_bytes(int32_t depth)
{
    return (2 * 2 * (depth & ~3) + 2 * 8 + 7) / 8 * 8;
}

/* Scratch bytes of tg_batch_matmul_s8_dsp: the widened rows, two lhs rows gathered where the
 * lhs is adjoint, the rhs transposed to [cols][depth] where its depth is not contiguous
 * (tinygen.kernels.attention.batch_matmul_dsp_scratch computes the same). */
static inline int32_t tg_batch_matmul_s8_dsp_buffer_size(const tg_batch_matmul_params_t *p)
{
    return tg_batch_matmul_s8_dsp_widened_bytes(p->depth) + (p->lhs_depth_stride != 1 ? 2 * p->depth : 0) +
           (p->rhs_depth_stride != 1 || p->rhs_col_stride != p->depth ? p->cols * p->depth : 0);
}

/* tg_batch_matmul_s8 for ARMv7E-M (DSP extension): same parameters and results, the FC kernels'
 * 2 x 2 SMLAD products over lhs rows widened to int16. scratch:
 * tg_batch_matmul_s8_dsp_buffer_size(p) bytes, 8-byte aligned. Not in place. */
void tg_batch_matmul_s8_dsp(const tg_batch_matmul_params_t *p, const int8_t *lhs, const int8_t *rhs,
                            int8_t *scratch, int8_t *output);

/* Scratch bytes of tg_batch_matmul_s8_rv32: the rhs column sums (int32), two lhs rows gathered
 * where the lhs is adjoint, the rhs transposed to [cols][depth] where its depth is not
 * contiguous (tinygen.kernels.attention.batch_matmul_rv32_scratch computes the same). */
static inline int32_t tg_batch_matmul_s8_rv32_buffer_size(const tg_batch_matmul_params_t *p)
{
    return 4 * p->cols + (p->lhs_depth_stride != 1 ? 2 * p->depth : 0) +
           (p->rhs_depth_stride != 1 || p->rhs_col_stride != p->depth ? p->cols * p->depth : 0);
}

/* tg_batch_matmul_s8 for RV32IM (ESP32-C3): same parameters and results; raw int8 products in
 * 2 x 2 output blocks, the offsets through row and column sums. scratch:
 * tg_batch_matmul_s8_rv32_buffer_size(p) bytes, 4-byte aligned. Not in place. */
void tg_batch_matmul_s8_rv32(const tg_batch_matmul_params_t *p, const int8_t *lhs, const int8_t *rhs,
                             int8_t *scratch, int8_t *output);

/* a - b with broadcasting (TFLite int8 SUB): tg_add_broadcast_s8's struct and walk, the
 * parameters of tinygen.quant.attention_params.sub_params. Not in place. */
void tg_sub_s8(const tg_add_broadcast_params_t *p, const int8_t *input1, const int8_t *input2, int8_t *output);

/* (a - b)^2 with broadcasting (TFLite Micro int8 SQUARED_DIFFERENCE, left shift 7). Not in place. */
void tg_squared_difference_s8(const tg_add_broadcast_params_t *p, const int8_t *input1, const int8_t *input2,
                              int8_t *output);

typedef struct {
    int32_t rows, depth;            /* softmax over the last axis (depth) of each row */
    int32_t input_multiplier, input_left_shift;
    int32_t diff_min;
    int32_t block_rows;             /* rows of each [block_rows][depth] matrix */
} tg_softmax_causal_params_t;

/* Softmax with PyTorch's causal mask: row i of each matrix over its first min(i + 1, depth)
 * values (tg_softmax_s8's arithmetic), -128 after them. Not in place. */
void tg_softmax_causal_s8(const tg_softmax_causal_params_t *p, const int8_t *input, int8_t *output);

/* tg_softmax_causal_s8 for ARMv7E-M: each row through tg_softmax_s8_dsp with its exp table
 * (tinygen.kernels.lut.softmax_exp_table). Not in place. */
void tg_softmax_causal_s8_dsp(const tg_softmax_causal_params_t *p, const int8_t *input, const int32_t *table,
                              int8_t *output);

/* Cortex-M4/M7 batch-1 fully connected kernels */

/*
 * tg_fully_connected_s8 for one row (tg_fully_connected_batch1_s8_dsp.h): the row widened once
 * into scratch (tg_fully_connected_batch1_s8_dsp_buffer_size), 4 outputs per pass; packed: the
 * folded biases and weights in blocks of 4 rows (tinygen/kernels/fc_batch1_dsp.py), given only
 * to layers whose sums stay below 2^30. The output may overlap the input.
 */
void tg_fully_connected_batch1_s8_dsp(const tg_fully_connected_params_t *p, const int8_t *input,
                                      const int8_t *packed, const int32_t *multiplier, const int8_t *shift,
                                      int8_t *scratch, int8_t *output);

/* The same without scratch (in_features a multiple of 4). The output must not overlap the input. */
void tg_fully_connected_batch1_lean_s8_dsp(const tg_fully_connected_params_t *p, const int8_t *input,
                                           const int8_t *packed, const int32_t *multiplier, const int8_t *shift,
                                           int8_t *output);

/* The same as the first with int16 weights (fc_batch1_w16_packed: twice the weights' flash, fewer
   instructions); the same scratch. */
void tg_fully_connected_batch1_w16_s8_dsp(const tg_fully_connected_params_t *p, const int8_t *input,
                                          const int8_t *packed, const int32_t *multiplier, const int8_t *shift,
                                          int8_t *scratch, int8_t *output);

/* -- average pooling as onnxruntime rounds it (ONNX front end: QLinearAveragePool) -- */

typedef struct {
    int32_t in_h, in_w, channels;
    int32_t out_h, out_w;
    int32_t kernel_h, kernel_w;
    int32_t stride_h, stride_w;
    int32_t pad_top, pad_left;
    int32_t count_include_pad;      /* 1: every window counts kernel_h*kernel_w elements, padded
                                       positions holding real 0; 0: its in-bounds elements */
    int32_t input_zero_point, output_zero_point;
    int32_t multiplier, shift;      /* input scale / output scale = multiplier * 2^(shift - 31),
                                       multiplier in [2^30, 2^31), shift in [-15, 9] */
    int32_t act_min, act_max;
} tg_avg_pool2d_requant_params_t;

/*
 * Average pooling onto the output's grid (another than the input's, or the same): each
 * window's sum of (x - input_zero_point) times the scale ratio over its element count, one
 * exact division rounded half to even, plus output_zero_point. Window area up to 4096.
 */
void tg_avg_pool2d_requant_s8(const tg_avg_pool2d_requant_params_t *p, const int8_t *input, int8_t *output);

/* -- softmax onto a quantized ONNX model's own output grid (ONNX front end) -- */

typedef struct {
    int32_t rows, depth;            /* softmax over the last axis (depth) of each row */
    int32_t input_multiplier, input_left_shift;
    int32_t diff_min;
    int32_t output_multiplier;      /* the output codes per unit of probability (0 .. 2^24) */
    int32_t output_zero_point;
} tg_softmax_scaled_params_t;

/*
 * tg_softmax_s8's fixed-point probability p of each element, output round(p *
 * output_multiplier) + output_zero_point, rounded once. table: tg_softmax_s8_dsp's exps
 * (tinygen.kernels.lut.softmax_exp_table). depth in [1, 4095]. May run in place.
 */
void tg_softmax_scaled_s8(const tg_softmax_scaled_params_t *p, const int8_t *input, const int32_t *table,
                          int8_t *output);

/* --- pointwise conv in 3-row blocks --- */
/*
 * tg_conv2d_1x1_s8_dsp with the output pixels in blocks of 3 where a specialized layer folds its
 * requantization (tg_mat_mult_rows3_s8_dsp.h); the generic entry point runs tg_conv2d_1x1_s8_dsp's
 * product. Same arguments and layouts; scratch: 6 * ((in_c + 3) & ~3) + 16 * out_c bytes,
 * 8-byte aligned (tg_conv2d_1x1_rows3_s8_dsp_buffer_size).
 */
void tg_conv2d_1x1_rows3_s8_dsp(const tg_conv2d_params_t *p, const int8_t *input, const int8_t *weights,
                                const int32_t *bias, const int32_t *multiplier, const int8_t *shift,
                                int8_t *scratch, int8_t *output);

/* --- im2col conv in 3-pixel blocks --- */
/*
 * tg_conv2d_s8_dsp with the receptive fields of 3 output pixels per block multiplied in the
 * pointwise kernel's 3-row block where a specialized layer folds its requantization
 * (tg_conv2d_rows3_s8_dsp.h); the generic entry point runs tg_conv2d_s8_dsp's body. Same arguments
 * and layouts; scratch, 8-byte aligned: ((3 * K + 7) & ~7) + 6 * ((K + 3) & ~3) + 16 * out_c bytes
 * (K = kernel_h * kernel_w * in_c), at least tg_conv2d_s8_dsp's.
 */
void tg_conv2d_rows3_s8_dsp(const tg_conv2d_params_t *p, const int8_t *input, const int8_t *weights,
                            const int32_t *bias, const int32_t *multiplier, const int8_t *shift, int8_t *scratch,
                            int8_t *output);

/* Cortex-M4/M7 3x3 depthwise on narrow maps */

/*
 * tg_depthwise_conv2d_s8 for 3x3 windows, stride 1, dilation 1, depth multiplier 1, out_w 5,
 * in_c a multiple of 4, for the layers whose records tinygen/kernels/depthwise_narrow_dsp.py
 * packs (packed[0] == in_c): the records are all its constants. A whole output row per channel.
 * scratch: depthwise_narrow_dsp.narrow_scratch bytes, 4-byte aligned. The output may start at
 * the input (tinygen/passes/inplace.py).
 */
void tg_depthwise_conv2d_3x3_narrow_s8_dsp(const tg_conv2d_params_t *p, const int8_t *input, const int32_t *packed,
                                           int8_t *scratch, int8_t *output);

#ifdef __cplusplus
}
#endif

#endif /* TG_KERNELS_H */
