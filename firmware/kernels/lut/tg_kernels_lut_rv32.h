/*
 * tinygen's shared-weight (LUT) kernels for RV32IM (the ESP32-C3; the board feature "rv32im"):
 * each decodes the layer's packed indices (LUT.md) once into its scratch as the constant the
 * int8 RV32 kernel reads (tg_lut_rv32.h, tinygen/kernels/rv32.py), then runs that kernel on
 * it. packed: LUT.md's constant, then the folded biases (tinygen/kernels/lut_rv32_pack.py),
 * uint32 words; bias, multiplier, shift: as the int8 kernel takes them. Each equals its int8
 * kernel on the decoded weights bit for bit.
 */
#ifndef TG_KERNELS_LUT_RV32_H
#define TG_KERNELS_LUT_RV32_H

#include <stdint.h>

#include "tg_kernels.h"

#ifdef __cplusplus
extern "C" {
#endif

/* tg_conv2d_s8_rv32, any geometry. */
void tg_conv2d_lut_decode_s8_rv32(const tg_conv2d_params_t *p, const int8_t *input, const uint32_t *packed,
                                  const int32_t *bias, const int32_t *multiplier, const int8_t *shift,
                                  int8_t *scratch, int8_t *output);

/* tg_conv2d_add_s8_rv32. The output may be the skip buffer. */
void tg_conv2d_add_lut_decode_s8_rv32(const tg_conv2d_add_params_t *p, const int8_t *input, const int8_t *skip,
                                      const uint32_t *packed, const int32_t *bias, const int32_t *multiplier,
                                      const int8_t *shift, int8_t *scratch, int8_t *output);

/* tg_fully_connected_s8_rv32. */
void tg_fully_connected_lut_decode_s8_rv32(const tg_fully_connected_params_t *p, const int8_t *input,
                                           const uint32_t *packed, const int32_t *bias, const int32_t *multiplier,
                                           const int8_t *shift, int8_t *scratch, int8_t *output);

/* tg_depthwise_conv2d_s8_rv32 (depth multiplier 1). */
void tg_depthwise_conv2d_lut_decode_s8_rv32(const tg_conv2d_params_t *p, const int8_t *input,
                                            const uint32_t *packed, const int32_t *bias,
                                            const int32_t *multiplier, const int8_t *shift, int8_t *scratch,
                                            int8_t *output);

#ifdef __cplusplus
}
#endif

#endif /* TG_KERNELS_LUT_RV32_H */
