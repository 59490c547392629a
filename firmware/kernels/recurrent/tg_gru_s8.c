/*
 * tg_gru_s8: portable int8 GRU layer in TFLite's integer LSTM conventions (the arithmetic is in
 * tg_kernels_recurrent.h). Per step and batch, each unit's three gates, then its new hidden value
 * into scratch until every unit has read the old ones. numpy twin: tinygen.ref.recurrent.gru_s8.
 */
#include "tg_kernels_recurrent.h"

void tg_gru_s8(const tg_gru_params_t *p, const int8_t *input, const int8_t *h0, const int8_t *w_ih,
               const int8_t *w_hh, const int32_t *bias, int8_t *state, int8_t *scratch, int8_t *output)
{
    const int32_t hid = p->hidden;
    const int32_t in = p->input_size;
    int32_t b, t, j, g;

    if (!p->stateful) {
        tg_gru_reset_s8(p, h0, state);
    }
    for (b = 0; b < p->batches; ++b) {
        int8_t *h = state + b * hid;
        for (t = 0; t < p->steps; ++t) {
            const int8_t *x = input + (b * p->steps + t) * in;
            for (j = 0; j < hid; ++j) {
                int32_t xs[3], hs[3];
                for (g = 0; g < 3; ++g) {
                    const int32_t row = g * hid + j;
                    const int32_t hb = g == 2 ? bias[3 * hid + j] : 0;
                    xs[g] = tg_gate_q12(tg_dot_offset_s8(x, w_ih + row * in, in, p->input_offset) + bias[row],
                                        p->in_mult[g], p->in_shift[g]);
                    hs[g] = tg_gate_q12(tg_dot_offset_s8(h, w_hh + row * hid, hid, p->hidden_offset) + hb,
                                        p->rec_mult[g], p->rec_shift[g]);
                }
                scratch[j] = tg_gru_unit_s8(p, xs, hs, h[j]);
            }
            tg_rnn_store_step(h, scratch, hid, p->sequence, p->steps, b, t, output);
        }
    }
}
