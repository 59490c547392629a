/*
 * tg_conv2d_s8_s4_s8_dsp: tg_conv2d_s8_s4_s8 for ARMv7E-M (Cortex-M4/M7 DSP extension),
 * 4-bit two's complement codes or odd levels: nibbles masked into byte lanes, SXTB16, SMLAD
 * (method, loop order and scratch in tg_conv2d_subbyte_dsp.h). Equals the portable
 * kernel bit for bit. numpy twin: tinygen.ref.subbyte.conv2d_s8_s4_s8.
 */
#include "tg_conv2d_subbyte_dsp.h"
#include "tg_kernels_subbyte.h"

void tg_conv2d_s8_s4_s8_dsp(const tg_conv2d_subbyte_params_t *p, const int8_t *input,
                            const uint8_t *weights, const int32_t *bias,
                            const int32_t *multiplier, const int8_t *shift,
                            int8_t *scratch, int8_t *output)
{
    tg_conv2d_subbyte_dsp(p, input, weights, bias, multiplier, shift, scratch, output, TG_SUBBYTE_DSP_S4);
}
