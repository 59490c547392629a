/*
 * tg_lstm_s16: portable 16x8 LSTM layer, TFLite Micro's integer LSTM on int16 activations
 * (tg_kernels_recurrent.h): tg_lstm_s8's steps with each gate's int16 x int8 product (+ its
 * int64 bias) summed in int64 and requantized onto Q3.12 by tg_requantize_s64, the new hidden
 * value saturated to int16. numpy twin: tinygen.ref.recurrent.lstm_s16.
 */
#include "tg_kernels_recurrent.h"

void tg_lstm_s16(const tg_lstm_params_t *p, const int16_t *input, const int16_t *h0, const int16_t *c0,
                 const int8_t *c0_input, const int8_t *w_ih, const int8_t *w_hh, const int64_t *bias, int8_t *state,
                 int8_t *scratch, int16_t *output)
{
    const int32_t hid = p->hidden;
    const int32_t in = p->input_size;
    int16_t *hnew = (int16_t *)(void *)scratch;
    int32_t b, t, j, g;

    if (!p->stateful) {
        tg_lstm_reset_s16(p, h0, c0, c0_input, state);
    }
    for (b = 0; b < p->batches; ++b) {
        int16_t *h = (int16_t *)(void *)state + b * hid;
        int16_t *c = (int16_t *)(void *)(state + p->c_offset) + b * hid;
        for (t = 0; t < p->steps; ++t) {
            const int16_t *x = input + (b * p->steps + t) * in;
            for (j = 0; j < hid; ++j) {
                int32_t pre[4], v;
                for (g = 0; g < 4; ++g) {
                    const int32_t row = g * hid + j;
                    const int64_t xa = tg_dot_offset_s16_s8(x, w_ih + row * in, in, p->input_offset) + bias[row];
                    const int64_t ha = tg_dot_offset_s16_s8(h, w_hh + row * hid, hid, p->hidden_offset);
                    pre[g] = tg_sat16(tg_sat16(tg_requantize_s64(xa, p->in_mult[g], p->in_shift[g]))
                                      + tg_sat16(tg_requantize_s64(ha, p->rec_mult[g], p->rec_shift[g])));
                }
                v = tg_lstm_unit(p, pre, &c[j]);
                hnew[j] = (int16_t)tg_sat16(v);
            }
            /* int16 values as bytes: 2 x H a step */
            tg_rnn_store_step((int8_t *)h, scratch, 2 * hid, p->sequence, p->steps, b, t, (int8_t *)output);
        }
    }
}
