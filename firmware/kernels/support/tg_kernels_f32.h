/*
 * tinygen kernels of float32 models (a float .tflite run as it is): TFLite Micro's float
 * reference kernels, the same operations in the same order, so that every result equals
 * TFLM's bit for bit. That needs two roundings for a * b + c: the kernels are compiled as ISO
 * C99 (-std=c99), where GCC does not contract them into a fused multiply-add. The clamp is
 * TFLite's ActivationFunctionWithMinMax (tg_clamp_value_f32), its bounds the fused
 * activation's range with +-FLT_MAX for none (tinygen.kernels.params_float). The kernels that
 * call the C library (expf, tanhf) include <math.h> themselves: a freestanding build without a
 * libm (the esp32-c3 stand-in) compiles the others.
 *
 * Part of tg_kernels.h's API, which includes this file: include tg_kernels.h, not this.
 */
#ifndef TG_KERNELS_F32_H
#define TG_KERNELS_F32_H

#ifndef TG_KERNELS_H
#error "include tg_kernels.h, which includes this header"
#endif

#include <float.h>

/* The largest of x[0..n-1] as TFLite's float softmaxes find it: from -FLT_MAX (the lowest
   float), max = std::max(max, x) in order. */
static inline float tg_row_max_f32(const float *x, int32_t n)
{
    float max = -FLT_MAX;
    int32_t c;

    for (c = 0; c < n; ++c) {
        max = max < x[c] ? x[c] : max;
    }
    return max;
}

/* std::min(std::max(x, lo), hi) as TFLite's ActivationFunctionWithMinMax computes it. */
static inline float tg_clamp_value_f32(float x, float lo, float hi)
{
    x = x < lo ? lo : x;
    return hi < x ? hi : x;
}

typedef struct {
    int32_t in_h, in_w, in_c;
    int32_t out_h, out_w, out_c;
    int32_t kernel_h, kernel_w;
    int32_t stride_h, stride_w;
    int32_t dilation_h, dilation_w;
    int32_t pad_top, pad_left;
    int32_t depth_multiplier;       /* depthwise: output channel ic * depth_multiplier + m reads ic */
    float act_min, act_max;
} tg_conv2d_f32_params_t;

/* Convolution, weights [out_c][kernel_h][kernel_w][in_c], bias [out_c] or NULL (TFLite reference_ops::Conv). */
void tg_conv2d_f32(const tg_conv2d_f32_params_t *p, const float *input, const float *weights, const float *bias,
                   float *output);

/* Depthwise convolution, weights [kernel_h][kernel_w][out_c] (TFLite reference_ops::DepthwiseConv). */
void tg_depthwise_conv2d_f32(const tg_conv2d_f32_params_t *p, const float *input, const float *weights,
                             const float *bias, float *output);

/* Transposed convolution, weights [out_c][kernel_h][kernel_w][in_c], bias [out_c] or NULL, dilation 1
   (TFLite reference_ops::TransposeConv on float: its scatter order). Not in place. */
void tg_transpose_conv2d_f32(const tg_conv2d_f32_params_t *p, const float *input, const float *weights,
                             const float *bias, float *output);

typedef struct {
    int32_t rows, in_features, out_features;
    float act_min, act_max;
} tg_fully_connected_f32_params_t;

/* Fully connected, weights [out_features][in_features] (TFLite reference_ops::FullyConnected). */
void tg_fully_connected_f32(const tg_fully_connected_f32_params_t *p, const float *input, const float *weights,
                            const float *bias, float *output);

typedef struct {
    int32_t shape[4];               /* output shape (tinygen.kernels.params_elementwise.broadcast_geometry) */
    int32_t input1_strides[4];      /* element strides of each operand per output dim, 0: broadcast */
    int32_t input2_strides[4];
    float act_min, act_max;
} tg_binary_f32_params_t;

/* a + b, a - b, a * b, a / b with broadcasting, then the clamp (TFLite Add, Sub, Mul, Div on float). */
void tg_add_f32(const tg_binary_f32_params_t *p, const float *input1, const float *input2, float *output);
void tg_sub_f32(const tg_binary_f32_params_t *p, const float *input1, const float *input2, float *output);
void tg_mul_f32(const tg_binary_f32_params_t *p, const float *input1, const float *input2, float *output);
void tg_div_f32(const tg_binary_f32_params_t *p, const float *input1, const float *input2, float *output);

/* a < b ? a : b and a > b ? a : b with broadcasting, no clamp (TFLite MINIMUM, MAXIMUM on float). */
void tg_minimum_f32(const tg_binary_f32_params_t *p, const float *input1, const float *input2, float *output);
void tg_maximum_f32(const tg_binary_f32_params_t *p, const float *input1, const float *input2, float *output);

typedef struct {
    int32_t size;
    float act_min, act_max;
} tg_clamp_f32_params_t;

/* The clamp alone (TFLite RELU, RELU6 on float). May run in place. */
void tg_clamp_f32(const tg_clamp_f32_params_t *p, const float *input, float *output);

typedef struct {
    int32_t in_h, in_w, channels;
    int32_t out_h, out_w;
    int32_t kernel_h, kernel_w;
    int32_t stride_h, stride_w;
    int32_t pad_top, pad_left;
    float act_min, act_max;
} tg_pool2d_f32_params_t;

/* Max and average pooling over the window's positions inside the input (TFLite MaxPool,
   AveragePool on float: the average divides by the count of those positions). */
void tg_max_pool2d_f32(const tg_pool2d_f32_params_t *p, const float *input, float *output);
void tg_avg_pool2d_f32(const tg_pool2d_f32_params_t *p, const float *input, float *output);

typedef struct {
    int32_t rows, depth;            /* softmax over the last dimension: rows of depth elements */
    float beta;
} tg_softmax_f32_params_t;

/* Softmax over each row (TFLite reference_ops::Softmax on float; expf from libm). */
void tg_softmax_f32(const tg_softmax_f32_params_t *p, const float *input, float *output);

typedef struct {
    int32_t size;
} tg_size_f32_params_t;

/* Logistic and tanh, element by element (TFLite reference Logistic, Tanh on float; libm's
   expf, tanhf). May run in place. */
void tg_logistic_f32(const tg_size_f32_params_t *p, const float *input, float *output);
void tg_tanh_f32(const tg_size_f32_params_t *p, const float *input, float *output);

/* x * min(6, max(0, x + 3)) / 6 and 1 / sqrtf(x) (TFLite HardSwish, RSQRT on float). May run in place. */
void tg_hard_swish_f32(const tg_size_f32_params_t *p, const float *input, float *output);
void tg_rsqrt_f32(const tg_size_f32_params_t *p, const float *input, float *output);

typedef struct {
    int32_t size;
    float alpha;
} tg_leaky_relu_f32_params_t;

/* x > 0 ? x : x * alpha (TFLite LeakyRelu on float). May run in place. */
void tg_leaky_relu_f32(const tg_leaky_relu_f32_params_t *p, const float *input, float *output);

/* (a - b)^2 with broadcasting, no clamp (TFLite SQUARED_DIFFERENCE on float). */
void tg_squared_difference_f32(const tg_binary_f32_params_t *p, const float *input1, const float *input2,
                               float *output);

/* x >= 0 ? x : x * alpha, alpha broadcast (input2's strides) to the input (TFLite PRELU on float). */
void tg_prelu_f32(const tg_binary_f32_params_t *p, const float *input, const float *alpha, float *output);

/* Batch matrix product, no clamp (TFLite BATCH_MATMUL on float; tg_batch_matmul_params_t's geometry,
   its quantization fields unused). Not in place. */
void tg_batch_matmul_f32(const tg_batch_matmul_params_t *p, const float *lhs, const float *rhs, float *output);

typedef struct {
    int32_t outer, reduce, inner;   /* input [outer][reduce][inner], output [outer][inner] */
    int32_t mean;                   /* 1: MEAN (the sum over its count), 0: SUM */
} tg_reduce_f32_params_t;

/* MEAN and SUM over adjacent axes (TFLite reference Mean / ReduceGeneric on float). */
void tg_reduce_f32(const tg_reduce_f32_params_t *p, const float *input, float *output);

/* Concatenation on float32: tg_concat_s8's parameters with copy_sizes in bytes. */
void tg_concat_f32(const tg_concat_params_t *p, const float *const *inputs, float *output);

/* Data movement on float32, with the int8 kernels' parameters in elements (tg_kernels.h,
   tg_kernels_ops.h). Not in place. */
void tg_transpose_f32(const tg_transpose_params_t *p, const float *input, float *output);
void tg_strided_slice_f32(const tg_strided_slice_params_t *p, const float *input, float *output);
void tg_mirror_pad_f32(const tg_mirror_pad_params_t *p, const float *input, float *output);

typedef struct {
    int32_t in_shape[4];            /* input shape, collapsed to rank 4 */
    int32_t out_shape[4];           /* in_shape + padding before + padding after */
    int32_t pad_before[4];          /* elements inserted before index 0, per dim, >= 0 */
    float pad_value;                /* the fill value (PADV2's constant, PAD's 0) */
} tg_pad_f32_params_t;

/* Constant padding (TFLite PAD / PADV2 on float). Not in place. */
void tg_pad_f32(const tg_pad_f32_params_t *p, const float *input, float *output);

typedef struct {
    int32_t batches, steps, input_size, hidden;
    int32_t sequence;               /* 1: every step's output [B][T][H] (TFLite's), 0: the last step's */
    int32_t stateful;               /* 1: the state carries over between invocations (TFLite's variables) */
    float cell_clip;                /* > 0: the cell state clipped to +-cell_clip */
} tg_lstm_f32_params_t;

/*
 * UNIDIRECTIONAL_SEQUENCE_LSTM on float32 (TFLite Micro lstm_eval's float path): input
 * [B][T][I], w_ih [4][H][I], w_hh [4][H][H], bias [4][H], gates in TFLite's order i, f, c, o.
 * h0, c0: the initial state (NULL: zeros); c0_input unused (the int8 kernel's signature).
 * state: 8 * B * H bytes (h then c, float), kept between invocations; scratch: 16 * H bytes.
 * output [B][T][H].
 */
void tg_lstm_f32(const tg_lstm_f32_params_t *p, const float *input, const float *h0, const float *c0,
                 const float *c0_input, const float *w_ih, const float *w_hh, const float *bias, int8_t *state,
                 int8_t *scratch, float *output);

/* The float LSTM's state to its initial values (h0, c0, or zeros where NULL). */
void tg_lstm_reset_f32(const tg_lstm_f32_params_t *p, const float *h0, const float *c0, const float *c0_input,
                       int8_t *state);

typedef struct {
    int32_t size;
    float scale;                    /* the integer side's quantization */
    int32_t zero_point;
} tg_quantize_f32_params_t;

/* A float model's integer ports: DEQUANTIZE from an int8 / int16 input, QUANTIZE into an
   int8 / int16 output (TFLite's Dequantize and AffineQuantize). Not in place. */
void tg_dequantize_s8_f32(const tg_quantize_f32_params_t *p, const int8_t *input, float *output);
void tg_dequantize_s16_f32(const tg_quantize_f32_params_t *p, const int16_t *input, float *output);
void tg_quantize_f32_s8(const tg_quantize_f32_params_t *p, const float *input, int8_t *output);
void tg_quantize_f32_s16(const tg_quantize_f32_params_t *p, const float *input, int16_t *output);

#endif /* TG_KERNELS_F32_H */
