/*
 * tinygen kernels: the RV32IM kernels (ESP32-C3).
 *
 * Part of tg_kernels.h's API, which includes this file: include tg_kernels.h, not this.
 */
#ifndef TG_KERNELS_RV32_H
#define TG_KERNELS_RV32_H

#ifndef TG_KERNELS_H
#error "include tg_kernels.h, which includes this header"
#endif

/* ---- RV32IM kernels (ESP32-C3; the board feature "rv32im"): each equals its portable
 * twin bit for bit. packed: the layer's constants arranged at build time
 * (tinygen.kernels.params.conv2d_rv32_weights, tinygen.kernels.rv32), int32 words. ---- */

/* tg_conv2d_s8, any geometry: 4 channels x up to 3 pixels per step (tg_conv2d_s8_rv32.h).
 * The output overlaps the input only at tinygen/passes/inplace.py's distance. */
void tg_conv2d_s8_rv32(const tg_conv2d_params_t *p, const int8_t *input, const int32_t *packed, const int32_t *bias,
                       const int32_t *multiplier, const int8_t *shift, int8_t *output);

/* tg_conv2d_s8 of a pointwise (1x1, stride 1, unpadded) layer: tg_conv2d_s8_rv32's steps with the
 * channel blocks outermost, each block's weights read once (tg_conv2d_s8_rv32.h). The output must
 * not overlap the input. */
void tg_conv2d_1x1_s8_rv32(const tg_conv2d_params_t *p, const int8_t *input, const int32_t *packed,
                           const int32_t *bias, const int32_t *multiplier, const int8_t *shift, int8_t *output);

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

#endif /* TG_KERNELS_RV32_H */
