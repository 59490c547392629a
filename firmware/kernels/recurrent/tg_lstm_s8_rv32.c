/*
 * tg_lstm_s8_rv32: tg_lstm_s8 for RV32IM (tg_recurrent_s8_rv32.h): per unit its four gates'
 * input and recurrent products over the raw int8 values (each value loaded once for the four
 * gates, the zero points folded into the build-time biases), then the cell and hidden update as
 * tg_lstm_s8 computes it (tg_lstm_unit_s8). numpy twin: tinygen.ref.recurrent.lstm_s8.
 */
#include "tg_kernels_recurrent.h"
#include "tg_recurrent_s8_rv32.h"

void tg_lstm_s8_rv32(const tg_lstm_params_t *p, const int8_t *input, const int8_t *h0, const int16_t *c0,
                     const int8_t *c0_input, const int32_t *packed, int8_t *state, int8_t *scratch, int8_t *output)
{
    const int32_t hid = p->hidden, in = p->input_size;
    const int32_t unit_words = 8 + (4 * (in + hid) + 3) / 4;
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
                const int32_t *unit = packed + j * unit_words;
                int32_t xs[4] = {unit[0], unit[1], unit[2], unit[3]};
                int32_t hs[4] = {unit[4], unit[5], unit[6], unit[7]};
                int32_t pre[4];
                const int8_t *w = tg_rnn_dot4_rv32((const int8_t *)(const void *)(unit + 8), x, in, xs);
                (void)tg_rnn_dot4_rv32(w, h, hid, hs);
                for (g = 0; g < 4; ++g) {
                    pre[g] = tg_sat16(tg_sat16(tg_requantize_fast(xs[g], p->in_mult[g], p->in_shift[g]))
                                      + tg_sat16(tg_requantize_fast(hs[g], p->rec_mult[g], p->rec_shift[g])));
                }
                scratch[j] = tg_lstm_unit_s8(p, pre, &c[j]);
            }
            tg_rnn_store_step(h, scratch, hid, p->sequence, p->steps, b, t, output);
        }
    }
}
