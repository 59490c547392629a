/*
 * tg_kernels_math.h: TFLite Micro's elementwise and reducing operators that compare or take
 * magnitudes of quantized integers, as its reference kernels compute them: MAXIMUM / MINIMUM
 * (stored integers compared, no requantization), REDUCE_MAX / REDUCE_MIN (input and output on
 * one grid), ARG_MAX / ARG_MIN (int32 indices), ABS of int16, L2_NORMALIZATION of int8. The
 * int8 ABS and ELU are tg_lut_s8 tables (tinygen.ref.mathops builds them). And the int8
 * operators that add or normalize quantized values: ADD_N, CUMSUM, LOG_SOFTMAX.
 * numpy twins: tinygen/ref/mathops.py, tinygen/ref/mathsums.py (named like the kernel minus tg_).
 */
#ifndef TG_KERNELS_MATH_H
#define TG_KERNELS_MATH_H

#include <stdint.h>

#include "tg_kernels.h"

#ifdef __cplusplus
extern "C" {
#endif

/*
 * MAXIMUM / MINIMUM with broadcasting: the output walked as tg_add_broadcast_params_t's rank-4
 * shape, each operand through its strides; only the geometry and act_min / act_max (the
 * type's whole range) are used. The larger / smaller stored value of each pair (TFLite
 * Micro compares the integers whatever the tensors' quantization). Not in place.
 */
void tg_maximum_s8(const tg_add_broadcast_params_t *p, const int8_t *input1, const int8_t *input2,
                   int8_t *output);
void tg_minimum_s8(const tg_add_broadcast_params_t *p, const int8_t *input1, const int8_t *input2,
                   int8_t *output);
void tg_maximum_s16(const tg_add_broadcast_params_t *p, const int16_t *input1, const int16_t *input2,
                    int16_t *output);
void tg_minimum_s16(const tg_add_broadcast_params_t *p, const int16_t *input1, const int16_t *input2,
                    int16_t *output);

/* A reduction along one axis: the input as [outer][size][inner], row-major. */
typedef struct {
    int32_t outer;                  /* elements before the axis (product of their dimensions) */
    int32_t size;                   /* elements along the axis, >= 1 */
    int32_t inner;                  /* elements after it */
} tg_axis_params_t;

/* REDUCE_MAX / REDUCE_MIN over adjacent axes (collapsed into one): output [outer][inner]
 * holds the largest / smallest of the `size` values. Not in place. */
void tg_reduce_max_s8(const tg_axis_params_t *p, const int8_t *input, int8_t *output);
void tg_reduce_min_s8(const tg_axis_params_t *p, const int8_t *input, int8_t *output);

/* ARG_MAX / ARG_MIN: output [outer][inner] holds the index along the axis of the first
 * largest / smallest value (ties: the lowest index). */
void tg_arg_max_s8_s32(const tg_axis_params_t *p, const int8_t *input, int32_t *output);
void tg_arg_min_s8_s32(const tg_axis_params_t *p, const int8_t *input, int32_t *output);

typedef struct {
    int32_t size;
    int32_t input_offset;           /* -(input zero point) */
    int32_t output_offset;          /* the output zero point */
    int32_t rescale;                /* 0: input and output scales equal (no multiplication) */
    int32_t multiplier, shift;      /* input scale / output scale, TFLite's QuantizeMultiplier */
} tg_abs_params_t;

/* ABS (TFLite's quantized int16 ABS): |x + input_offset|, times the multiplier where rescale,
 * plus the output offset, saturated to int16. May run in place. */
void tg_abs_s16(const tg_abs_params_t *p, const int16_t *input, int16_t *output);

enum { TG_L2_NORM_OUTPUT_BITS = 7 };    /* the output in units of 1/128 (TFLite's kOutputScale) */

typedef struct {
    int32_t outer;                  /* rows */
    int32_t depth;                  /* elements per row (the last dimension) */
    int32_t input_offset;           /* -(input zero point) */
} tg_l2_norm_params_t;

/* L2_NORMALIZATION of int8 rows: x / ||x|| on the grid of scale 1/128, zero point 0. */
void tg_l2_norm_s8(const tg_l2_norm_params_t *p, const int8_t *input, int8_t *output);

/*
 * ADD_N and CUMSUM scale every int8 value as TFLite's ADD scales one operand: (q + input_offset)
 * shifted left TG_SUM_LEFT_SHIFT bits, times input_multiplier (1/2; TFLite's
 * MultiplyByQuantizedMultiplierSmallerThanOneExp), then add in int32 (wrapping) from the scaled
 * input offset (TFLite Micro's start, the scaling of a stored 0), and requantize the sum: times
 * output_multiplier, plus output_offset, saturated to int8.
 */
enum { TG_SUM_LEFT_SHIFT = 20 };

typedef struct {
    int32_t size;                   /* elements of each input and of the output */
    int32_t count;                  /* inputs, >= 2 */
    int32_t input_offset;           /* -(the inputs' zero point; all on one grid) */
    int32_t input_multiplier, input_shift;      /* shift <= 0 */
    int32_t output_multiplier, output_shift;    /* shift <= 0 */
    int32_t output_offset;          /* the output zero point */
} tg_add_n_params_t;

/* ADD_N: output[i] = the sum of inputs[0..count-1][i] (each int8 [size]), requantized. */
void tg_add_n_s8(const tg_add_n_params_t *p, const int8_t *const *inputs, int8_t *output);

typedef struct {
    int32_t outer, depth, inner;    /* the tensor as [outer][depth][inner], summed along depth */
    int32_t exclusive;              /* 1: each output holds the sum of the values before it */
    int32_t reverse;                /* 1: summed from the end of the axis */
    int32_t input_offset;
    int32_t input_multiplier, input_shift;
    int32_t output_multiplier, output_shift;
    int32_t output_offset;
} tg_cumsum_params_t;

/* CUMSUM of int8 along one axis, the running sums requantized. May run in place. */
void tg_cumsum_s8(const tg_cumsum_params_t *p, const int8_t *input, int8_t *output);

typedef struct {
    int32_t rows, depth;            /* rows of `depth` values (the last dimension) */
    int32_t input_multiplier, input_left_shift;     /* the input scale into Q5.26 */
    int32_t reverse_multiplier, reverse_shift;      /* back again (shift <= 0) */
    int32_t diff_min;               /* differences below it add nothing to the sum */
} tg_log_softmax_params_t;

/* LOG_SOFTMAX of int8 rows (TFLite's LogSoftmaxQuantized): x - max - log(sum(exp(x - max))),
 * the output on the grid of scale 16/256, zero point 127 (TFLite Micro requires it). */
void tg_log_softmax_s8(const tg_log_softmax_params_t *p, const int8_t *input, int8_t *output);

/* -- float32 (a float model run as it is; numpy twins: tinygen/ref/mathops_f32.py) -------------- */

/* Elementwise functions (TFLite Micro's ABS, NEG, SQUARE, SQRT, FLOOR, CEIL, ROUND, EXP, LOG,
 * COS, SIN, ELU on float): fabsf, -x, x * x, sqrtf, floorf, ceilf, halves to even, expf, logf,
 * cosf, sinf, x < 0 ? expm1f(x) : x. May run in place. */
void tg_abs_f32(const tg_size_f32_params_t *p, const float *input, float *output);
void tg_neg_f32(const tg_size_f32_params_t *p, const float *input, float *output);
void tg_square_f32(const tg_size_f32_params_t *p, const float *input, float *output);
void tg_sqrt_f32(const tg_size_f32_params_t *p, const float *input, float *output);
void tg_floor_f32(const tg_size_f32_params_t *p, const float *input, float *output);
void tg_ceil_f32(const tg_size_f32_params_t *p, const float *input, float *output);
void tg_round_f32(const tg_size_f32_params_t *p, const float *input, float *output);
void tg_exp_f32(const tg_size_f32_params_t *p, const float *input, float *output);
void tg_log_f32(const tg_size_f32_params_t *p, const float *input, float *output);
void tg_cos_f32(const tg_size_f32_params_t *p, const float *input, float *output);
void tg_sin_f32(const tg_size_f32_params_t *p, const float *input, float *output);
void tg_elu_f32(const tg_size_f32_params_t *p, const float *input, float *output);

/* floor(a / b) (in double) and a modulo b with b's sign, broadcast, no clamp (TFLite FLOOR_DIV,
 * FLOOR_MOD on float). */
void tg_floor_div_f32(const tg_binary_f32_params_t *p, const float *input1, const float *input2, float *output);
void tg_floor_mod_f32(const tg_binary_f32_params_t *p, const float *input1, const float *input2, float *output);

typedef struct {
    int32_t size, count;            /* elements of each input; inputs, >= 2 */
} tg_add_n_f32_params_t;

/* ADD_N on float: 0.0f plus inputs[0..count-1][i] in order. */
void tg_add_n_f32(const tg_add_n_f32_params_t *p, const float *const *inputs, float *output);

typedef struct {
    int32_t outer, depth, inner;    /* [outer][depth][inner], summed along depth */
    int32_t exclusive, reverse;
} tg_cumsum_f32_params_t;

/* CUMSUM on float: running sums from 0.0f along depth. May run in place. */
void tg_cumsum_f32(const tg_cumsum_f32_params_t *p, const float *input, float *output);

/* REDUCE_MAX / REDUCE_MIN on float from -FLT_MAX / FLT_MAX; ARG_MAX / ARG_MIN on float, int32
 * indices (the first on ties). Not in place. */
void tg_reduce_max_f32(const tg_axis_params_t *p, const float *input, float *output);
void tg_reduce_min_f32(const tg_axis_params_t *p, const float *input, float *output);
void tg_arg_max_f32_s32(const tg_axis_params_t *p, const float *input, int32_t *output);
void tg_arg_min_f32_s32(const tg_axis_params_t *p, const float *input, int32_t *output);

typedef struct {
    int32_t rows, depth;            /* [rows][depth], over depth */
} tg_rows_f32_params_t;

/* LOG_SOFTMAX on float: per row (x - max) - logf(0.f + expf(x - max) summed in order). Not in place. */
void tg_log_softmax_f32(const tg_rows_f32_params_t *p, const float *input, float *output);

/* L2_NORMALIZATION on float: per row x / max(sqrtf(0 + x * x summed in order), 1e-6f). May run in place. */
void tg_l2_norm_f32(const tg_rows_f32_params_t *p, const float *input, float *output);

/* L2_POOL_2D (float only): sqrtf of the window's squares inside the input summed in order over
 * their count, then clamped to act_min..act_max. NHWC, batch 1. Not in place. */
void tg_l2_pool2d_f32(const tg_pool2d_f32_params_t *p, const float *input, float *output);

typedef struct {
    int32_t batches, in_h, in_w, channels;
    int32_t out_h, out_w;
    float scale_h, scale_w;         /* in / out, or (in - 1) / (out - 1) with align_corners */
    int32_t half_pixel_centers;     /* 1: source coordinate (i + 0.5) * scale - 0.5 */
} tg_resize_bilinear_f32_params_t;

/* RESIZE_BILINEAR on float (TFLite's reference ResizeBilinear): NHWC, every batch. Not in place. */
void tg_resize_bilinear_f32(const tg_resize_bilinear_f32_params_t *p, const float *input, float *output);

#ifdef __cplusplus
}
#endif

#endif /* TG_KERNELS_MATH_H */
