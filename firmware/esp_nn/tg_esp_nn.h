/*
 * tinygen's ESP-NN adapters (--kernels esp-nn): each takes tinygen's parameter struct
 * (tg_kernels.h) and runs the layer with ESP-NN's public API (esp_nn.h), so the
 * generated model calls them like tinygen's own kernels. Built against ESP-NN
 * (https://github.com/espressif/esp-nn): its portable C on the stand-ins, the versions
 * ESP-IDF selects for the chip on real ESP32 boards; see README.md here.
 *
 * Conventions are tg_kernels.h's, which are TFLite's and ESP-NN's: input_offset is the
 * negated input zero point, output_offset the output zero point, per-channel multiplier
 * and shift as TFLite computes them (shift > 0 shifts left), act_min/act_max the clamp.
 * Every adapter equals the portable kernel it names, byte for byte, on the parameters
 * the code generator gives it (tinygen/kernels/esp_nn.py: no dilation, no broadcasting,
 * sizes below 32768, add shifts <= 0).
 *
 * scratch: 4-byte aligned arena memory handed to ESP-NN's esp_nn_set_*_scratch_buf,
 * of the size tinygen.kernels.esp_nn plans; NULL where that size is 0.
 */
#ifndef TG_ESP_NN_H
#define TG_ESP_NN_H

#include <stdint.h>

#include "tg_kernels.h"

#ifdef __cplusplus
extern "C" {
#endif

/* tg_conv2d_s8 by esp_nn_conv_s8. Same layouts (weights OHWI). dilation 1. */
void tg_conv2d_s8_esp_nn(const tg_conv2d_params_t *p, const int8_t *input,
                         const int8_t *weights, const int32_t *bias,
                         const int32_t *multiplier, const int32_t *shift,
                         int8_t *scratch, int8_t *output);

/* tg_depthwise_conv2d_s8 by esp_nn_depthwise_conv_s8. Same layouts (weights 1HWC). dilation 1. */
void tg_depthwise_conv2d_s8_esp_nn(const tg_conv2d_params_t *p, const int8_t *input,
                                   const int8_t *weights, const int32_t *bias,
                                   const int32_t *multiplier, const int32_t *shift,
                                   int8_t *scratch, int8_t *output);

/*
 * The same two on the ESP32-S3 (boards with the "simd-pie" feature): scratch holds what
 * ESP-NN's esp32s3 versions ask for (esp_nn_get_*_scratch_size_esp32s3).
 */
void tg_conv2d_s8_esp_nn_esp32s3(const tg_conv2d_params_t *p, const int8_t *input,
                                 const int8_t *weights, const int32_t *bias,
                                 const int32_t *multiplier, const int32_t *shift,
                                 int8_t *scratch, int8_t *output);
void tg_depthwise_conv2d_s8_esp_nn_esp32s3(const tg_conv2d_params_t *p, const int8_t *input,
                                           const int8_t *weights, const int32_t *bias,
                                           const int32_t *multiplier, const int32_t *shift,
                                           int8_t *scratch, int8_t *output);

/*
 * tg_fully_connected_s8 by esp_nn_fully_connected_s8, one call per row, for per-tensor
 * quantization: multiplier[0] and shift[0] serve every output feature.
 */
void tg_fully_connected_s8_esp_nn(const tg_fully_connected_params_t *p, const int8_t *input,
                                  const int8_t *weights, const int32_t *bias,
                                  const int32_t *multiplier, const int32_t *shift,
                                  int8_t *output);

/* tg_fully_connected_s8 by esp_nn_fully_connected_per_ch_s8 (multiplier, shift per output). */
void tg_fully_connected_per_channel_s8_esp_nn(const tg_fully_connected_params_t *p,
                                              const int8_t *input, const int8_t *weights,
                                              const int32_t *bias, const int32_t *multiplier,
                                              const int32_t *shift, int8_t *output);

/*
 * tg_avg_pool2d_s8 by esp_nn_avg_pool_s8: divides by the in-bounds elements
 * (count_include_pad must be 0 where the window meets padding).
 */
void tg_avg_pool2d_s8_esp_nn(const tg_pool2d_params_t *p, const int8_t *input, int8_t *output);

/* tg_max_pool2d_s8 by esp_nn_max_pool_s8. */
void tg_max_pool2d_s8_esp_nn(const tg_pool2d_params_t *p, const int8_t *input, int8_t *output);

/* tg_add_s8 by esp_nn_add_elementwise_s8 (same shapes, TFLite ADD parameters, shifts <= 0). */
void tg_add_s8_esp_nn(const tg_add_params_t *p, const int8_t *input1, const int8_t *input2,
                      int8_t *output);

/* tg_mul_s8 by esp_nn_mul_elementwise_s8 (same shapes: shape[0..3] multiply to the size). */
void tg_mul_s8_esp_nn(const tg_mul_params_t *p, const int8_t *input1, const int8_t *input2,
                      int8_t *output);

/*
 * tg_softmax_s8 by esp_nn_softmax_s8 (TFLite SOFTMAX parameters, output scale 1/256,
 * zp -128). scratch: 4 * depth bytes for ESP-NN's optimized versions.
 */
void tg_softmax_s8_esp_nn(const tg_softmax_params_t *p, const int8_t *input, int8_t *scratch,
                          int8_t *output);

#ifdef __cplusplus
}
#endif

#endif /* TG_ESP_NN_H */
