/*
 * tg_fully_connected_batch1_w16_s8_dsp: tg_fully_connected_batch1_s8_dsp with the weights
 * widened to int16 at build time (twice their flash, no SXTB16 in the loop: 11 instructions
 * per 16 multiply-accumulates against 18; tg_fully_connected_batch1_s8_dsp.h). Equals
 * tg_fully_connected_s8 bit for bit where the build chose it. numpy twin:
 * tinygen.ref.kernels.fully_connected_s8.
 *
 * The generic entry point: the general requantization (see tg_fully_connected_batch1_s8_dsp.c).
 */
#include "tg_fully_connected_batch1_s8_dsp.h"
#include "tg_kernels.h"

void tg_fully_connected_batch1_w16_s8_dsp(const tg_fully_connected_params_t *p, const int8_t *input,
                                          const int8_t *packed, const int32_t *multiplier, const int8_t *shift,
                                          int8_t *scratch, int8_t *output)
{
    tg_fully_connected_batch1_w16_s8_dsp_inline(p, 0, input, packed, multiplier, shift, scratch, output);
}
