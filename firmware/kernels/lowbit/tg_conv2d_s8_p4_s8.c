/*
 * tg_conv2d_s8_p4_s8: portable 2-D convolution, int8 activations, 4-bit power-of-two
 * weight codes (shifts and additions, no multiply in the sums), int8 output with
 * per-channel requantization (LOWBIT.md, tg_kernels_subbyte.h).
 * numpy twin: tinygen.ref.subbyte.conv2d_s8_p4_s8.
 */
#include "tg_conv2d_subbyte.h"
#include "tg_kernels_subbyte.h"

void tg_conv2d_s8_p4_s8(const tg_conv2d_subbyte_params_t *p, const int8_t *input,
                        const uint8_t *weights, const int32_t *bias,
                        const int32_t *multiplier, const int8_t *shift, int8_t *output)
{
    tg_conv2d_subbyte(p, input, weights, bias, multiplier, shift, output, 4, TG_SUBBYTE_POW2);
}
