/*
 * tg_gru_s8_dsp: tg_gru_s8 for ARMv7E-M (tg_recurrent_s8_dsp.h): per step the input and the old
 * hidden state widened once, then per unit its three gates' input and recurrent products at once
 * (SMLAD over build-time int16 weight pairs, the zero points and b_hn folded into the biases) and
 * the hidden update as tg_gru_s8 computes it. numpy twin: tinygen.ref.recurrent.gru_s8.
 */
#include "tg_kernels_recurrent.h"
#include "tg_recurrent_s8_dsp.h"

void tg_gru_s8_dsp(const tg_gru_params_t *p, const int8_t *input, const int8_t *h0, const int32_t *packed,
                   int8_t *state, int8_t *scratch, int8_t *output)
{
    const int32_t hid = p->hidden;
    const int32_t in4 = (p->input_size + 3) / 4, hid4 = (hid + 3) / 4;
    const int32_t unit_words = 6 + 6 * (in4 + hid4);
    int16_t *xw = (int16_t *)(void *)scratch;
    int16_t *hw = xw + 4 * in4;
    int8_t *hnew = (int8_t *)(hw + 4 * hid4);
    int32_t b, t, j, g;

    if (!p->stateful) {
        tg_gru_reset_s8(p, h0, state);
    }
    for (b = 0; b < p->batches; ++b) {
        int8_t *h = state + b * hid;
        for (t = 0; t < p->steps; ++t) {
            tg_rnn_widen_s8(input + (b * p->steps + t) * p->input_size, p->input_size, xw, (p->input_size + 3) & ~3);
            tg_rnn_widen_s8(h, hid, hw, (hid + 3) & ~3);
            for (j = 0; j < hid; ++j) {
                const int32_t *w = packed + j * unit_words;
                int32_t xs[3] = {w[0], w[1], w[2]};
                int32_t hs[3] = {w[3], w[4], w[5]};
                w = tg_rnn_dot3_dsp(w + 6, xw, in4, xs);
                (void)tg_rnn_dot3_dsp(w, hw, hid4, hs);
                for (g = 0; g < 3; ++g) {
                    xs[g] = TG_RNN_SAT16(tg_requantize_fast(xs[g], p->in_mult[g], p->in_shift[g]));
                    hs[g] = TG_RNN_SAT16(tg_requantize_fast(hs[g], p->rec_mult[g], p->rec_shift[g]));
                }
                hnew[j] = tg_gru_unit_s8(p, xs, hs, h[j]);
            }
            tg_rnn_store_step(h, hnew, hid, p->sequence, p->steps, b, t, output);
        }
    }
}
