/*
 * tg_fully_connected_batch1_rowpair_s8_dsp: tg_fully_connected_batch1_s8_dsp with the weights of
 * each two output rows packed at build time as int16 halfwords h = 256 b + a (the flash of int8
 * weights), so that a step takes one SXTB16 per two SMLADs where int8 weights take two: 18
 * instructions per 16 multiply-accumulates against 22 (tg_fully_connected_batch1_rowpair_s8_dsp.h).
 * Equals tg_fully_connected_s8 bit for bit where the build chose it (the row pairs' sums bounded:
 * tinygen/kernels/fc_batch1_dsp.py). numpy twin: tinygen.ref.kernels.fully_connected_s8.
 *
 * The generic entry point: the general requantization (see tg_fully_connected_batch1_s8_dsp.c).
 */
#include "tg_fully_connected_batch1_s8_dsp.h"
#include "tg_kernels.h"

void tg_fully_connected_batch1_rowpair_s8_dsp(const tg_fully_connected_params_t *p, const int8_t *input,
                                              const int8_t *packed, const int32_t *multiplier, const int8_t *shift,
                                              int8_t *scratch, int8_t *output)
{
    tg_fully_connected_batch1_rowpair_s8_dsp_inline(p, 0, input, packed, multiplier, shift, scratch, output);
}
