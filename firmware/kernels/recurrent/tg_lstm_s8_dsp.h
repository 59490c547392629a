/*
 * tg_lstm_s8_dsp.h: what tg_lstm_s8_dsp and tg_lstm_s8_pairs_dsp share (ARMv7E-M DSP): the
 * requantizations at the head of packed (tinygen.kernels.recurrent_dsp.lstm_dsp_requant), a unit's
 * cell and hidden update from its 8 gate products (tg_lstm_unit_dsp), and the loop over batches,
 * steps and units (tg_lstm_steps_dsp) around a kernel's products function (its unit records' layout).
 * numpy twin: tinygen.ref.recurrent.lstm_s8.
 */
#ifndef TG_LSTM_S8_DSP_H
#define TG_LSTM_S8_DSP_H

#include "tg_kernels_recurrent.h"
#include "tg_recurrent_s8_dsp.h"

/* The head of packed (tinygen.kernels.recurrent_dsp.lstm_dsp_requant): the requantizations of a
 * call, each gate's input product and recurrent product, then f * c, i * g and tanh(c) * o. */
typedef struct {
    tg_rnn_requant_t gate[4][2], forget, cell, output;
} tg_lstm_dsp_requant_t;

/* tg_rnn_requantize of a record without a factor (the gates' left shifts are in their weights). */
static inline int32_t tg_lstm_requantize(int32_t acc, const tg_rnn_requant_t *q)
{
    return tg_rnn_requantize(acc, q, 0);
}

/* tg_rnn_sigmoid_q12 interpolating from tg_sigmoid_steps_u32: one load for the entry and its step, the
 * entry shifted onto the interpolation's grid and SMLABB adding the fraction times the step (both in
 * bottom halves: the fraction below 2^9, the step below 2^10); the sign's two cases in one expression,
 * 2^25 added where negative as s << 25 subtracted (one SUB with a shifted operand). */
static inline int32_t tg_lstm_sigmoid_q12(int32_t x)
{
    const int32_t v = x * 3;
    const int32_t s = v >> 31;
    const uint32_t a = (uint32_t)((v ^ s) - s);
    const uint32_t step = tg_sigmoid_steps_u32[a >> 9];
    const uint32_t r = (uint32_t)__smlabb((int32_t)(a & 0x1FFu), (int32_t)step, (int32_t)((step >> 16) << 9));
    return (int32_t)((r ^ (uint32_t)s) - ((uint32_t)s << 25) + 512u) >> 10;
}

/* tg_tanh_s16 of v (the input already scaled) without a branch: |v| clamped to 65279 (uh 254 and the
 * table's last step, whose result equals the saturated one's: tests/kernels/
 * test_kernels_recurrent_pairs_dsp.py), the sign's two cases in one expression, the interpolation as
 * tg_lstm_sigmoid_q12's. */
static inline int32_t tg_lstm_tanh_scaled(int32_t v)
{
    const int32_t s = v >> 31;
    const int32_t m = (v ^ s) - s;
    const uint32_t a = (uint32_t)(m < 65279 ? m : 65279);
    const uint32_t uh = a >> 8;
    const uint32_t step = tg_sigmoid_steps_u32[uh];
    const uint32_t r = (uint32_t)__smlabb((int32_t)(a & 0xFFu), (int32_t)step, (int32_t)((step >> 16) << 8));
    return (int32_t)((r ^ (uint32_t)s) - ((uint32_t)s << 24) + 128u - (1u << 23)) >> 8;
}

/* tg_lstm_unit_s8 over the unit's 8 accumulators (the gates' input products, then their recurrent
 * ones): the 8 requantizations first, in a loop of their own, then each gate's sum and activation,
 * both unrolled (independent chains side by side for the M7's dual issue; fewer est. cycles than one
 * loop over the gates in benchmarks/recurrent.py on the f746zg, f446re and u585). */
static inline int8_t tg_lstm_unit_dsp(const tg_lstm_params_t *p, const tg_lstm_dsp_requant_t *q, const int32_t *acc,
                                      int32_t tanh_round, int16_t *c)
{
    int32_t gate[4], r[8], g, cj, v;
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC unroll 8
#endif
    for (g = 0; g < 8; ++g) {
        /* the two products of each gate requantized onto Q3.12, each saturated */
        r[g] = TG_RNN_SAT16(tg_lstm_requantize(acc[(g & 1) * 4 + (g >> 1)], &q->gate[g >> 1][g & 1]));
    }
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC unroll 4
#endif
    for (g = 0; g < 4; ++g) {
        const int32_t pre = TG_RNN_SAT16(r[2 * g] + r[2 * g + 1]);
        gate[g] = g == 2 ? tg_lstm_tanh_scaled(pre * 3) : tg_lstm_sigmoid_q12(pre);
    }
    cj = TG_RNN_SAT16(tg_lstm_requantize(gate[1] * *c, &q->forget));
    cj = TG_RNN_SAT16(cj + TG_RNN_SAT16(tg_lstm_requantize(gate[0] * gate[2], &q->cell)));
    if (p->cell_clip > 0) {
        cj = cj > p->cell_clip ? p->cell_clip : (cj < -p->cell_clip ? -p->cell_clip : cj);
    }
    *c = (int16_t)cj;
    v = p->hidden_zero_point +
        tg_lstm_requantize(tg_lstm_tanh_scaled((cj * p->tanh_mult + tanh_round) >> p->tanh_shift) * gate[3], &q->output);
    return (int8_t)tg_dsp_ssat8(v);
}

/* A unit's products: its record at w, the input side times the widened input (v, n4 groups of 4
 * columns), the 4 sums stored at acc, then the recurrent side times acc[8] (its vector) over acc[9]
 * groups, its sums at acc + 4 (acc[12] = 0: no third side). Returns w past the unit. */
typedef const int32_t *(*tg_lstm_products_dsp_t)(const int32_t *w, const int16_t *v, int32_t n4, int32_t *acc);

/*
 * The layer: per batch row and step the input and the old hidden state widened once (zeros up to
 * 4 * in4 and 4 * hid4 columns), then per unit its products (`products`, inlined: a constant) and
 * tg_lstm_unit_dsp, the new hidden value stored straight into the state and the output (no copies).
 * scratch: the widened input (4 * in4 int16), the widened hidden state (4 * hid4), then a row for the
 * steps whose output is not kept.
 */
__attribute__((always_inline)) static inline void tg_lstm_steps_dsp(const tg_lstm_params_t *p, const int8_t *input,
                                                                    const int8_t *h0, const int16_t *c0,
                                                                    const int8_t *c0_input, const int32_t *packed,
                                                                    int8_t *state, int8_t *scratch, int8_t *output,
                                                                    int32_t in4, int32_t hid4,
                                                                    tg_lstm_products_dsp_t products)
{
    const tg_lstm_dsp_requant_t *q = (const tg_lstm_dsp_requant_t *)(const void *)packed;
    const int32_t *units = packed + sizeof(tg_lstm_dsp_requant_t) / sizeof(int32_t);
    const int32_t hid = p->hidden;
    int16_t *xw = (int16_t *)(void *)scratch;
    int16_t *hw = xw + 4 * in4;
    int8_t *spare = (int8_t *)(hw + 4 * hid4);
    const int8_t *x = input;
    /* the products' sums (input side, recurrent side), then the recurrent side's vector and groups,
     * then the end (tg_rnn_products4_dsp) */
    int32_t acc[14];
    int32_t b, t, j;
    /* the cell's tanh: its input's rounding right shift's half (tg_tanh_s16's, once per call) */
    const int32_t tanh_round = p->tanh_shift > 0 ? 1 << (p->tanh_shift - 1) : 0;

    acc[8] = (int32_t)(intptr_t)hw;
    acc[9] = hid4;
    acc[12] = 0;
    if (!p->stateful) {
        tg_lstm_reset_s8(p, h0, c0, c0_input, state);
    }
    for (b = 0; b < p->batches; ++b) {
        int8_t *h = state + b * hid;
        int16_t *c = (int16_t *)(void *)(state + p->c_offset) + b * hid;
        for (t = 0; t < p->steps; ++t) {
            const int32_t *w = units;
            int8_t *out = p->sequence ? output + (b * p->steps + t) * hid : (t == p->steps - 1 ? output + b * hid : spare);
            tg_rnn_widen_s8(x, p->input_size, xw, 4 * in4);
            x += p->input_size;
            tg_rnn_widen_s8(h, hid, hw, 4 * hid4);
            for (j = 0; j < hid; ++j) {
                w = products(w, xw, in4, acc);
                out[j] = h[j] = tg_lstm_unit_dsp(p, q, acc, tanh_round, &c[j]);
            }
        }
    }
}

#endif /* TG_LSTM_S8_DSP_H */
