/*
 * tg_fully_connected_s8_rv32: fully connected layer for RV32IM (ESP32-C3), int8 in/out,
 * per-channel requantization: tg_conv2d_s8_rv32.h's pointwise convolution over `rows`
 * pixels of in_features values (4 output features x up to 3 rows per step, the input
 * offset folded into the biases at build time). The output must not overlap the input.
 * Equals tg_fully_connected_s8 bit for bit. numpy twin: tinygen.ref.kernels.fully_connected_s8.
 *
 * packed: tinygen.kernels.params.conv2d_rv32_weights of the [out][1][1][in] weights;
 * bias (NULL: none), multiplier, shift: [out_features].
 */
#include <stdint.h>

#include "tg_conv2d_s8_rv32.h"
#include "tg_kernels.h"

void tg_fully_connected_s8_rv32(const tg_fully_connected_params_t *p, const int8_t *input, const int32_t *packed,
                                const int32_t *bias, const int32_t *multiplier, const int8_t *shift, int8_t *output)
{
    const tg_fully_connected_params_t q = *p;
    tg_fully_connected_s8_rv32_inline(&q, 0, input, packed, bias, multiplier, shift, output);
}
