/*
 * tg_fully_connected_batch1_s8_dsp: a fully connected layer of one row for ARMv7E-M, the row
 * widened once into scratch and 4 outputs per pass over it, the weights and folded biases
 * in blocks of 4 rows laid out at build time (tg_fully_connected_batch1_s8_dsp.h). Equals
 * tg_fully_connected_s8 bit for bit where the build chose it. numpy twin:
 * tinygen.ref.kernels.fully_connected_s8.
 *
 * The generic entry point: the general requantization (tg_requantize_fast); a specialized
 * layer passes the build's verdict (bounded or folded where exact).
 */
#include "tg_fully_connected_batch1_s8_dsp.h"
#include "tg_kernels.h"

void tg_fully_connected_batch1_s8_dsp(const tg_fully_connected_params_t *p, const int8_t *input,
                                      const int8_t *packed, const int32_t *multiplier, const int8_t *shift,
                                      int8_t *scratch, int8_t *output)
{
    tg_fully_connected_batch1_s8_dsp_inline(p, 0, input, packed, multiplier, shift, scratch, output);
}
