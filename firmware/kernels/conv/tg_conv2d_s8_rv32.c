/*
 * tg_conv2d_s8_rv32: general 2-D convolution (any kernel size, stride, dilation and
 * padding; groups = 1) for RV32IM (ESP32-C3), int8 in/out, per-channel requantization:
 * 4 output channels x up to 3 output pixels per step, the input offset folded into
 * the biases at build time (tg_conv2d_s8_rv32.h gives the method, the packed layout
 * and the loop order: the output may overlap the input only at the distance
 * tinygen/passes/inplace.py plans).
 * Equals tg_conv2d_s8 bit for bit. numpy twin: tinygen.ref.kernels.conv2d_s8.
 *
 * packed: tinygen.kernels.params.conv2d_rv32_weights (int32 words); bias (NULL: none),
 * multiplier, shift: [out_c].
 */
#include <stdint.h>

#include "tg_conv2d_s8_rv32.h"
#include "tg_kernels.h"

void tg_conv2d_s8_rv32(const tg_conv2d_params_t *p, const int8_t *input, const int32_t *packed, const int32_t *bias,
                       const int32_t *multiplier, const int8_t *shift, int8_t *output)
{
    /* a local copy: an int8 store may alias any field of *p, not of g (no reloads after stores) */
    const tg_rv32_conv_t g = tg_rv32_conv_params(p);
    tg_conv2d_s8_rv32_with(&g, 0, input, packed, bias, multiplier, shift, output);
}
