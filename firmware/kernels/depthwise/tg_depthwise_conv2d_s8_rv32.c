/*
 * tg_depthwise_conv2d_s8_rv32: depthwise 2-D convolution (depth multiplier 1, any kernel
 * size, stride, dilation and padding) for RV32IM (ESP32-C3), int8 in/out, per-channel
 * requantization: up to 8 output pixels per channel step with the channel's taps loaded
 * once and the input offset folded into the biases at build time
 * (tg_depthwise_conv2d_s8_rv32.h gives the method and the packed layout). The output
 * may overlap the input only at the distance tinygen/passes/inplace.py plans.
 * Equals tg_depthwise_conv2d_s8 bit for bit. numpy twin: tinygen.ref.kernels.depthwise_conv2d_s8.
 */
#include <stdint.h>

#include "tg_depthwise_conv2d_s8_rv32.h"
#include "tg_kernels.h"

void tg_depthwise_conv2d_s8_rv32(const tg_conv2d_params_t *p, const int8_t *input, const int32_t *packed,
                                 const int32_t *bias, const int32_t *multiplier, const int8_t *shift, int8_t *output)
{
    /* a local copy: an int8 store may alias any field of *p, not of q (no reloads after stores) */
    const tg_conv2d_params_t q = *p;
    tg_depthwise_conv2d_s8_rv32_inline(&q, 0, input, packed, bias, multiplier, shift, output);
}
