/*
 * tg_conv2d_1x1_s8_rv32: pointwise convolution (1x1, stride 1, no padding) for RV32IM
 * (ESP32-C3), int8 in/out, per-channel requantization: tg_conv2d_s8_rv32's steps (4 output
 * channels x up to 3 output pixels) with the channel blocks outermost, so that each block's
 * weights are read once per layer (tg_conv2d_s8_rv32.h, tg_rv32_pointwise_all). The output
 * must not overlap the input.
 * Equals tg_conv2d_s8 bit for bit. numpy twin: tinygen.ref.kernels.conv2d_s8.
 *
 * packed: tinygen.kernels.rv32.conv2d_rv32_weights (int32 words); bias (NULL: none),
 * multiplier, shift: [out_c].
 */
#include <stdint.h>

#include "tg_conv2d_s8_rv32.h"
#include "tg_kernels.h"

void tg_conv2d_1x1_s8_rv32(const tg_conv2d_params_t *p, const int8_t *input, const int32_t *packed,
                           const int32_t *bias, const int32_t *multiplier, const int8_t *shift, int8_t *output)
{
    /* a local copy: an int8 store may alias any field of *p, not of g (no reloads after stores) */
    const tg_rv32_conv_t g = tg_rv32_conv_params(p);
    tg_rv32_pointwise_all(&g, input, packed, bias, multiplier, shift, 0, output);
}
