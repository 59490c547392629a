/*
 * tinygen kernels of float32 models (a float .tflite run as it is): TFLite Micro's float
 * reference kernels, the same operations in the same order, so that every result equals
 * TFLM's bit for bit. That needs two roundings for a * b + c: the kernels are compiled as ISO
 * C99 (-std=c99), where GCC does not contract them into a fused multiply-add. The clamp is
 * TFLite's ActivationFunctionWithMinMax (tg_clamp_value_f32), its bounds the fused
 * activation's range with +-FLT_MAX for none (tinygen.kernels.params_float).
 *
 * Part of tg_kernels.h's API, which includes this file: include tg_kernels.h, not this.
 */
#ifndef TG_KERNELS_F32_H
#define TG_KERNELS_F32_H

#ifndef TG_KERNELS_H
#error "include tg_kernels.h, which includes this header"
#endif

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

/* a + b, a - b, a * b with broadcasting, then the clamp (TFLite Add, Sub, Mul on float). */
void tg_add_f32(const tg_binary_f32_params_t *p, const float *input1, const float *input2, float *output);
void tg_sub_f32(const tg_binary_f32_params_t *p, const float *input1, const float *input2, float *output);
void tg_mul_f32(const tg_binary_f32_params_t *p, const float *input1, const float *input2, float *output);

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

#endif /* TG_KERNELS_F32_H */
