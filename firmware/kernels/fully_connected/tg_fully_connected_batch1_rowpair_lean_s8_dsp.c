/*
 * tg_fully_connected_batch1_rowpair_lean_s8_dsp: tg_fully_connected_batch1_rowpair_s8_dsp without
 * scratch, each input word widened as it is read (19 instructions per 16 multiply-accumulates
 * against 23 with int8 weights; tg_fully_connected_batch1_rowpair_s8_dsp.h): where the widened row
 * would set the arena's peak. Equals tg_fully_connected_s8 bit for bit where the build chose it.
 * numpy twin: tinygen.ref.kernels.fully_connected_s8.
 *
 * The generic entry point: the general requantization (see tg_fully_connected_batch1_s8_dsp.c).
 */
#include "tg_fully_connected_batch1_s8_dsp.h"
#include "tg_kernels.h"

void tg_fully_connected_batch1_rowpair_lean_s8_dsp(const tg_fully_connected_params_t *p, const int8_t *input,
                                                   const int8_t *packed, const int32_t *multiplier,
                                                   const int8_t *shift, int8_t *output)
{
    tg_fully_connected_batch1_rowpair_lean_s8_dsp_inline(p, 0, input, packed, multiplier, shift, output);
}
