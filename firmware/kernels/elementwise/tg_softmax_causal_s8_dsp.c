/*
 * tg_softmax_causal_s8_dsp: tg_softmax_causal_s8 for ARMv7E-M (DSP extension), equal bit for
 * bit: each row's unmasked prefix through tg_softmax_s8_dsp (the exps from its table), -128
 * after it. table: tinygen.kernels.lut.softmax_exp_table of the parameters, as for
 * tg_softmax_s8_dsp. numpy twin: tinygen.ref.attention.softmax_causal_s8.
 */
#include "tg_kernels.h"
#include "tg_softmax_causal_s8.h"

void tg_softmax_causal_s8_dsp(const tg_softmax_causal_params_t *p, const int8_t *input, const int32_t *table,
                              int8_t *output)
{
    tg_softmax_causal_rows(p, input, table, output, tg_softmax_s8_dsp);
}
