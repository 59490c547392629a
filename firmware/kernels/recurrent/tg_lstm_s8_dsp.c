/*
 * tg_lstm_s8_dsp: tg_lstm_s8 for ARMv7E-M (tg_recurrent_s8_dsp.h): per step the input and the old
 * hidden state widened once, then per unit its four gates' input and recurrent products at once
 * (SMLAD over build-time int16 weight pairs, the zero points folded into the biases, the
 * accumulators in registers) and the cell and hidden updates as tg_lstm_s8 computes them, with
 * the requantizations' constants prepared once per call (tg_rnn_requantize: one SMMLAR for the
 * 64-bit product) and the sigmoids without their saturation test. numpy twin: tinygen.ref.recurrent.lstm_s8.
 */
#include "tg_kernels_recurrent.h"
#include "tg_recurrent_s8_dsp.h"

/* The requantizations of a call: the gates' input and recurrent products, then f * c, i * g and
 * tanh(c) * o. */
typedef struct {
    tg_rnn_requant_t in[4], rec[4], forget, cell, output;
} tg_lstm_requant_t;

/* Returns 1 where some factor is not 1 (a left shift or a zero multiplier). */
static int32_t tg_lstm_requant_init(const tg_lstm_params_t *p, tg_lstm_requant_t *q)
{
    int32_t g, scaled = 0;
    for (g = 0; g < 4; ++g) {
        scaled |= tg_rnn_requant_init(&q->in[g], p->in_mult[g], p->in_shift[g]);
        scaled |= tg_rnn_requant_init(&q->rec[g], p->rec_mult[g], p->rec_shift[g]);
    }
    scaled |= tg_rnn_requant_init(&q->forget, p->forget_mult, p->forget_shift);
    scaled |= tg_rnn_requant_init(&q->cell, p->cell_mult, p->cell_shift);
    scaled |= tg_rnn_requant_init(&q->output, p->output_mult, p->output_shift);
    return scaled;
}

/* A gate's pre-activation: its two products requantized onto Q3.12, each saturated, and their sum. */
#define TG_LSTM_PRE(g) TG_RNN_SAT16(TG_RNN_SAT16(tg_rnn_requantize(xs[g], &q->in[g], scaled)) \
                                    + TG_RNN_SAT16(tg_rnn_requantize(hs[g], &q->rec[g], scaled)))

/* tg_lstm_unit_s8 with tg_rnn_requantize's constants (scaled: as tg_rnn_requantize takes it). */
__attribute__((always_inline)) static inline int8_t tg_lstm_unit_dsp(const tg_lstm_params_t *p,
                                                                     const tg_lstm_requant_t *q, const int32_t *xs,
                                                                     const int32_t *hs, int16_t *c, int32_t scaled)
{
    const int32_t ig = tg_rnn_sigmoid_q12(TG_LSTM_PRE(0));
    const int32_t fg = tg_rnn_sigmoid_q12(TG_LSTM_PRE(1));
    const int32_t gg = tg_tanh_s16(TG_LSTM_PRE(2), 3, 0);
    const int32_t og = tg_rnn_sigmoid_q12(TG_LSTM_PRE(3));
    int32_t cj = TG_RNN_SAT16(tg_rnn_requantize(fg * *c, &q->forget, scaled));
    int32_t v;
    cj = TG_RNN_SAT16(cj + TG_RNN_SAT16(tg_rnn_requantize(ig * gg, &q->cell, scaled)));
    if (p->cell_clip > 0) {
        cj = cj > p->cell_clip ? p->cell_clip : (cj < -p->cell_clip ? -p->cell_clip : cj);
    }
    *c = (int16_t)cj;
    v = p->hidden_zero_point + tg_rnn_requantize(tg_tanh_s16(cj, p->tanh_mult, p->tanh_shift) * og, &q->output, scaled);
    return (int8_t)tg_dsp_ssat8(v);
}

void tg_lstm_s8_dsp(const tg_lstm_params_t *p, const int8_t *input, const int8_t *h0, const int16_t *c0,
                    const int8_t *c0_input, const int32_t *packed, int8_t *state, int8_t *scratch, int8_t *output)
{
    const int32_t hid = p->hidden;
    const int32_t in4 = (p->input_size + 3) / 4, hid4 = (hid + 3) / 4;
    /* scratch: the widened input and hidden state, then the new hidden state */
    int16_t *xw = (int16_t *)(void *)scratch;
    int16_t *hw = xw + 4 * in4;
    int8_t *hnew = (int8_t *)(hw + 4 * hid4);
    tg_lstm_requant_t q;
    int32_t scaled, b, t, j;

    scaled = tg_lstm_requant_init(p, &q);
    if (!p->stateful) {
        tg_lstm_reset_s8(p, h0, c0, c0_input, state);
    }
    for (b = 0; b < p->batches; ++b) {
        int8_t *h = state + b * hid;
        int16_t *c = (int16_t *)(void *)(state + p->c_offset) + b * hid;
        for (t = 0; t < p->steps; ++t) {
            const int32_t *w = packed;
            tg_rnn_widen_s8(input + (b * p->steps + t) * p->input_size, p->input_size, xw);
            tg_rnn_widen_s8(h, hid, hw);
            for (j = 0; j < hid; ++j) {
                int32_t xs[4] = {w[0], w[1], w[2], w[3]};
                int32_t hs[4] = {w[4], w[5], w[6], w[7]};
                w = tg_rnn_dot4x4_dsp(w + 8, xw, in4, xs);
                w = tg_rnn_dot4x4_dsp(w, hw, hid4, hs);
                hnew[j] = scaled ? tg_lstm_unit_dsp(p, &q, xs, hs, &c[j], 1) : tg_lstm_unit_dsp(p, &q, xs, hs, &c[j], 0);
            }
            tg_rnn_store_step(h, hnew, hid, p->sequence, p->steps, b, t, output);
        }
    }
}
