/*
 * tg_lstm_s8: portable int8 LSTM layer, TFLite Micro's integer LSTM arithmetic
 * (tg_kernels_recurrent.h). Per step and batch, each unit's four gates are computed from
 * their input and recurrent dot products, then its cell and new hidden value; the new hidden
 * values go to scratch until every unit has read the old ones.
 * numpy twin: tinygen.ref.recurrent.lstm_s8.
 */
#include "tg_kernels_recurrent.h"

void tg_lstm_s8(const tg_lstm_params_t *p, const int8_t *input, const int8_t *h0, const int16_t *c0,
                const int8_t *c0_input, const int8_t *w_ih, const int8_t *w_hh, const int32_t *bias, int8_t *state,
                int8_t *scratch, int8_t *output)
{
    const int32_t hid = p->hidden;
    const int32_t in = p->input_size;
    int32_t b, t, j, g;

    if (!p->stateful) {
        tg_lstm_reset_s8(p, h0, c0, c0_input, state);
    }
    for (b = 0; b < p->batches; ++b) {
        int8_t *h = state + b * hid;
        int16_t *c = (int16_t *)(void *)(state + p->c_offset) + b * hid;
        for (t = 0; t < p->steps; ++t) {
            const int8_t *x = input + (b * p->steps + t) * in;
            for (j = 0; j < hid; ++j) {
                int32_t pre[4];
                for (g = 0; g < 4; ++g) {
                    const int32_t row = g * hid + j;
                    const int32_t xs = tg_gate_q12(tg_dot_offset_s8(x, w_ih + row * in, in, p->input_offset) + bias[row],
                                                   p->in_mult[g], p->in_shift[g]);
                    const int32_t hs = tg_gate_q12(tg_dot_offset_s8(h, w_hh + row * hid, hid, p->hidden_offset),
                                                   p->rec_mult[g], p->rec_shift[g]);
                    pre[g] = tg_sat16(xs + hs);
                }
                scratch[j] = tg_lstm_unit_s8(p, pre, &c[j]);
            }
            tg_rnn_store_step(h, scratch, hid, p->sequence, p->steps, b, t, output);
        }
    }
}
