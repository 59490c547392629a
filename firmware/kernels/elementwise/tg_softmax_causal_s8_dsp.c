/*
 * tg_softmax_causal_s8_dsp: tg_softmax_causal_s8 for ARMv7E-M (DSP extension), equal bit for
 * bit: each row's unmasked prefix through tg_softmax_s8_dsp (the exps from its table), -128
 * after it. table: tinygen.kernels.lut.softmax_exp_table of the parameters, as for
 * tg_softmax_s8_dsp. numpy twin: tinygen.ref.attention.softmax_causal_s8.
 */
#include <string.h>

#include "tg_kernels.h"

void tg_softmax_causal_s8_dsp(const tg_softmax_causal_params_t *p, const int8_t *input, const int32_t *table,
                              int8_t *output)
{
    tg_softmax_params_t row = {.rows = 1, .depth = 0, .input_multiplier = p->input_multiplier,
                               .input_left_shift = p->input_left_shift, .diff_min = p->diff_min};
    int32_t r;
    for (r = 0; r < p->rows; ++r) {
        const int32_t live = r % p->block_rows + 1;
        row.depth = live < p->depth ? live : p->depth;
        tg_softmax_s8_dsp(&row, input + r * p->depth, table, output + r * p->depth);
        memset(output + r * p->depth + row.depth, -128, (size_t)(p->depth - row.depth));
    }
}
