/*
 * tg_conv2d_add_lut_decode_s8_rv32: a convolution with a fused residual add and shared weights
 * (LUT.md), for RV32IM (ESP32-C3): the layer's weights decoded once into the scratch as
 * tg_conv2d_add_s8_rv32's constant (tg_lut_rv32.h), then tg_conv2d_add_s8_rv32 on it. The
 * output may be the skip buffer. numpy twin: conv2d_add_s8 on the decoded weights.
 */
#include "tg_kernels_lut_rv32.h"
#include "tg_lut_rv32.h"

void tg_conv2d_add_lut_decode_s8_rv32(const tg_conv2d_add_params_t *p, const int8_t *input, const int8_t *skip,
                                      const uint32_t *packed, const int32_t *bias, const int32_t *multiplier,
                                      const int8_t *shift, int8_t *scratch, int8_t *output)
{
    tg_conv2d_add_lut_decode_s8_rv32_inline(p, 0, input, skip, packed, bias, multiplier, shift, scratch, output);
}
