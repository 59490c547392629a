/*
 * tinygen's CMSIS-NN adapters (--kernels cmsis-nn): each takes tinygen's parameter
 * struct (tg_kernels.h) and runs the layer with CMSIS-NN's public API, so the generated
 * model calls them like tinygen's own kernels. Built against the user's CMSIS-NN tree
 * (https://github.com/ARM-software/CMSIS-NN, v7.0.0 or newer) for cores with the DSP
 * extension; see README.md here.
 *
 * Conventions are tg_kernels.h's, which are TFLite's and CMSIS-NN's: input_offset is the
 * negated input zero point, output_offset the output zero point, per-channel multiplier
 * and shift as TFLite computes them (shift > 0 shifts left), act_min/act_max the clamp.
 * Every adapter equals the portable kernel it names, byte for byte.
 *
 * scratch: int8 arena memory of the size the matching CMSIS-NN *_get_buffer_size_dsp
 * function returns (tinygen.kernels.cmsis_nn computes it), 4-byte aligned; NULL where
 * that size is 0. The *_mve adapters at the end are for Helium cores.
 */
#ifndef TG_CMSIS_NN_H
#define TG_CMSIS_NN_H

#include <stdint.h>

#include "tg_kernels.h"

#ifdef __cplusplus
extern "C" {
#endif

/* tg_conv2d_s8 by arm_convolve_wrapper_s8. Same layouts (weights OHWI). */
void tg_conv2d_s8_cmsis_nn(const tg_conv2d_params_t *p, const int8_t *input,
                           const int8_t *weights, const int32_t *bias,
                           const int32_t *multiplier, const int32_t *shift,
                           int8_t *scratch, int8_t *output);

/* tg_depthwise_conv2d_s8 by arm_depthwise_conv_wrapper_s8. Same layouts (weights 1HWC). */
void tg_depthwise_conv2d_s8_cmsis_nn(const tg_conv2d_params_t *p, const int8_t *input,
                                     const int8_t *weights, const int32_t *bias,
                                     const int32_t *multiplier, const int32_t *shift,
                                     int8_t *scratch, int8_t *output);

/*
 * tg_fully_connected_s8 by arm_fully_connected_s8, for per-tensor quantization:
 * multiplier[0] and shift[0] serve every output feature.
 */
void tg_fully_connected_s8_cmsis_nn(const tg_fully_connected_params_t *p, const int8_t *input,
                                    const int8_t *weights, const int32_t *bias,
                                    const int32_t *multiplier, const int32_t *shift,
                                    int8_t *output);

/* tg_fully_connected_s8 by arm_fully_connected_per_channel_s8 (multiplier, shift per output). */
void tg_fully_connected_per_channel_s8_cmsis_nn(const tg_fully_connected_params_t *p,
                                                const int8_t *input, const int8_t *weights,
                                                const int32_t *bias, const int32_t *multiplier,
                                                const int32_t *shift, int8_t *output);

/*
 * tg_avg_pool2d_s8 by arm_avgpool_s8: divides by the in-bounds elements
 * (count_include_pad must be 0 where the window meets padding).
 */
void tg_avg_pool2d_s8_cmsis_nn(const tg_pool2d_params_t *p, const int8_t *input,
                               int8_t *scratch, int8_t *output);

/* tg_max_pool2d_s8 by arm_max_pool_s8. */
void tg_max_pool2d_s8_cmsis_nn(const tg_pool2d_params_t *p, const int8_t *input, int8_t *output);

/* tg_add_s8 by arm_elementwise_add_s8 (same shapes, TFLite ADD parameters). May run in place. */
void tg_add_s8_cmsis_nn(const tg_add_params_t *p, const int8_t *input1, const int8_t *input2,
                        int8_t *output);

/* tg_softmax_s8 by arm_softmax_s8 (TFLite SOFTMAX parameters, output scale 1/256, zp -128). */
void tg_softmax_s8_cmsis_nn(const tg_softmax_params_t *p, const int8_t *input, int8_t *output);

/*
 * tg_transpose_conv2d_s8 by arm_transpose_conv_s8 (dilation 1, and the output rows its
 * rolling buffer writes: tinygen.kernels.cmsis_nn.transpose_conv_exact). Weights OHWI as
 * tg_transpose_conv2d_s8's; scratch: its buffer of max(kernel_h, stride_h) rows of int32 sums.
 */
void tg_transpose_conv2d_s8_cmsis_nn(const tg_transpose_conv2d_params_t *p, const int8_t *input,
                                     const int8_t *weights, const int32_t *bias,
                                     const int32_t *multiplier, const int32_t *shift,
                                     int8_t *scratch, int8_t *output);

/* tg_batch_matmul_s8 by arm_batch_matmul_s8, one output matrix at a time; an operand not held
 * as CMSIS-NN takes it (lhs [rows][depth], rhs [cols][depth]) transposed into scratch first. */
void tg_batch_matmul_s8_cmsis_nn(const tg_batch_matmul_params_t *p, const int8_t *lhs, const int8_t *rhs,
                                 int8_t *scratch, int8_t *output);

/*
 * ---- int16 activations (TFLite's 16x8 quantization; tg_kernels_s16.h) ----
 * int8 weights, int64 bias (NULL: none), per-channel multiplier and shift as int32. Each
 * serves the layers tinygen.kernels.cmsis_nn_s16 accepts, where CMSIS-NN's int32 sums and
 * requantization cannot leave the ranges in which they equal the portable kernel's.
 */

/* tg_conv2d_s16 by arm_convolve_wrapper_s16 (weights OHWI); scratch: 4 * kh * kw * in_c bytes. */
void tg_conv2d_s16_cmsis_nn(const tg_conv2d_params_t *p, const int16_t *input,
                            const int8_t *weights, const int64_t *bias,
                            const int32_t *multiplier, const int32_t *shift,
                            int8_t *scratch, int16_t *output);

/* tg_depthwise_conv2d_s16 by arm_depthwise_conv_wrapper_s16 (weights 1HWC); scratch:
 * 2 * kh * kw * in_c bytes for arm_depthwise_conv_fast_s16 (multiplier 1, no dilation), else none. */
void tg_depthwise_conv2d_s16_cmsis_nn(const tg_conv2d_params_t *p, const int16_t *input,
                                      const int8_t *weights, const int64_t *bias,
                                      const int32_t *multiplier, const int32_t *shift,
                                      int8_t *scratch, int16_t *output);

/* tg_fully_connected_s16 by arm_fully_connected_s16, per-tensor: multiplier[0] and shift[0]. */
void tg_fully_connected_s16_cmsis_nn(const tg_fully_connected_params_t *p, const int16_t *input,
                                     const int8_t *weights, const int64_t *bias,
                                     const int32_t *multiplier, const int32_t *shift,
                                     int16_t *output);

/* tg_add_s16 by arm_elementwise_add_s16 (same shapes). May run in place. */
void tg_add_s16_cmsis_nn(const tg_add_params_t *p, const int16_t *input1, const int16_t *input2,
                         int16_t *output);

/* tg_mul_s16 by arm_elementwise_mul_s16 (operands of the output's shape, a right shift). */
void tg_mul_s16_cmsis_nn(const tg_mul_params_t *p, const int16_t *input1, const int16_t *input2,
                         int16_t *output);

/* ---- recurrent layers: declared where the project has their header (a model with such layers) ---- */
#if defined(__has_include)
#if __has_include("tg_kernels_recurrent.h")
#include "tg_kernels_recurrent.h"
#define TG_CMSIS_NN_RECURRENT 1
#endif
#endif
#ifdef TG_CMSIS_NN_RECURRENT

/* tg_lstm_s8 by arm_lstm_unidirectional_s8. packed: int32 [2][4][H] effective biases
 * (tinygen.kernels.cmsis_nn.lstm_effective_biases); scratch: tinygen.kernels.cmsis_nn.lstm_scratch bytes. */
void tg_lstm_s8_cmsis_nn(const tg_lstm_params_t *p, const int8_t *input, const int8_t *h0, const int16_t *c0,
                         const int8_t *c0_input, const int8_t *w_ih, const int8_t *w_hh, const int32_t *bias,
                         const int32_t *packed, int8_t *state, int8_t *scratch, int8_t *output);

/* tg_lstm_s16 by arm_lstm_unidirectional_s16. packed: int64 [2][4][H] effective biases
 * (tinygen.kernels.cmsis_nn.lstm_effective_biases); scratch: tinygen.kernels.cmsis_nn.lstm_scratch bytes. */
void tg_lstm_s16_cmsis_nn(const tg_lstm_params_t *p, const int16_t *input, const int16_t *h0, const int16_t *c0,
                          const int8_t *c0_input, const int8_t *w_ih, const int8_t *w_hh, const int64_t *bias,
                          const int64_t *packed, int8_t *state, int8_t *scratch, int16_t *output);

/* tg_svdf_s8 (state zero point 0) by arm_svdf_state_s16_s8; scratch: 4 x B x (filters + units) bytes. */
void tg_svdf_s8_cmsis_nn(const tg_svdf_params_t *p, const int8_t *input, const int8_t *weights_feature,
                         const int16_t *weights_time, const int32_t *bias, int8_t *state, int8_t *scratch,
                         int8_t *output);

/* tg_svdf_s8_s8 (state zero point 0) by arm_svdf_s8; scratch: 4 x B x (filters + units) bytes. */
void tg_svdf_s8_s8_cmsis_nn(const tg_svdf_params_t *p, const int8_t *input, const int8_t *weights_feature,
                            const int8_t *weights_time, const int32_t *bias, int8_t *state, int8_t *scratch,
                            int8_t *output);
#endif /* TG_CMSIS_NN_RECURRENT */

/*
 * Cores with Helium (MVE): CMSIS-NN compiled for them runs its MVE paths, whose buffers
 * differ (tinygen/kernels/cmsis_nn_mve.py). Conv, depthwise and average pooling make the
 * calls above with scratch of the *_get_buffer_size_mve sizes (none for pooling); the
 * fully connected layers take kernel_sums in the bias's place: per output feature bias +
 * input_offset * the sum of its weights (arm_vector_sum_s8, computed at build time), which
 * CMSIS-NN's MVE path reads from its context buffer.
 */
void tg_conv2d_s8_cmsis_nn_mve(const tg_conv2d_params_t *p, const int8_t *input,
                               const int8_t *weights, const int32_t *bias,
                               const int32_t *multiplier, const int32_t *shift,
                               int8_t *scratch, int8_t *output);

void tg_depthwise_conv2d_s8_cmsis_nn_mve(const tg_conv2d_params_t *p, const int8_t *input,
                                         const int8_t *weights, const int32_t *bias,
                                         const int32_t *multiplier, const int32_t *shift,
                                         int8_t *scratch, int8_t *output);

void tg_fully_connected_s8_cmsis_nn_mve(const tg_fully_connected_params_t *p, const int8_t *input,
                                        const int8_t *weights, const int32_t *kernel_sums,
                                        const int32_t *multiplier, const int32_t *shift,
                                        int8_t *output);

void tg_fully_connected_per_channel_s8_cmsis_nn_mve(const tg_fully_connected_params_t *p,
                                                    const int8_t *input, const int8_t *weights,
                                                    const int32_t *kernel_sums,
                                                    const int32_t *multiplier,
                                                    const int32_t *shift, int8_t *output);

void tg_avg_pool2d_s8_cmsis_nn_mve(const tg_pool2d_params_t *p, const int8_t *input, int8_t *output);

#ifdef __cplusplus
}
#endif

#endif /* TG_CMSIS_NN_H */
