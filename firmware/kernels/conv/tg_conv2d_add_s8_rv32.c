/*
 * tg_conv2d_add_s8_rv32: 2-D convolution with a fused residual add for RV32IM
 * (ESP32-C3), int8: tg_conv2d_s8_rv32's convolution (tg_conv2d_s8_rv32.h), then per
 * output byte the conv's requantization and clamp and TFLite's ADD arithmetic with
 * the skip byte (tg_conv_add_one, as tg_conv2d_add_s8).
 * Equals tg_conv2d_add_s8 bit for bit. numpy twin: tinygen.ref.kernels.conv2d_add_s8.
 *
 * Output byte p is written once, after its window and skip byte p are read, and no
 * other output reads skip byte p: the output may take the skip tensor's place (in
 * place, distance 0). It must not overlap the conv's input.
 */
#include <stdint.h>

#include "tg_conv2d_s8_rv32.h"
#include "tg_kernels.h"

void tg_conv2d_add_s8_rv32(const tg_conv2d_add_params_t *p, const int8_t *input, const int8_t *skip,
                           const int32_t *packed, const int32_t *bias, const int32_t *multiplier,
                           const int8_t *shift, int8_t *output)
{
    /* a local copy: an int8 store may alias any field of *p, not of q (no reloads after stores) */
    const tg_conv2d_add_params_t q = *p;
    tg_conv2d_add_s8_rv32_inline(&q, 0, input, skip, packed, bias, multiplier, shift, output);
}
