/*
 * tg_kernels_recurrent.h: recurrent layers (LSTM, GRU, SVDF) with state that persists across
 * invocations. numpy twins: tinygen/ref/recurrent.py; parameters:
 * tinygen/kernels/params_recurrent.py (TFLite Micro's Prepare steps).
 *
 * Integer conventions (TFLite's integer LSTM, "8x8_16"):
 *  - activations int8 (input, output = hidden state, on the output's grid);
 *  - a gate's pre-activation is Q3.12 int16: the input's product with the gate's input weights
 *    (+ bias) and the hidden state's product with its recurrent weights are each requantized
 *    (TFLite MultiplyByQuantizedMultiplier) onto 2^-12 and saturated to int16, then added with
 *    saturation;
 *  - sigmoid and tanh map Q3.12 to Q0.15 by TFLite's int16 table functions (tg_sigmoid_s16,
 *    tg_tanh_s16 below);
 *  - products of gates are TFLite's int16 MulElementwise: the int32 product requantized,
 *    clamped to the output type.
 * TFLite's 16x8 LSTM (tg_lstm_s16) takes int16 activations (input, hidden state, output; zero
 * point 0) and int64 biases: each gate product is summed in int64 and requantized by
 * tg_requantize_s64, the rest as above.
 *
 * LSTM (TFLite Micro lstm_eval), gates i, f, g, o (PyTorch's order in the weight arrays):
 *    f, i, o = sigmoid(pre);  g = tanh(pre)
 *    c = sat16(mul(f, c; 2^-15) + mul(i, g; 2^-30 / s_c))        (clipped to +-cell_clip if > 0)
 *    h = clamp8(zp_h + mul(tanh(c; 2^p), o; 2^-30 / s_h))        (s_c = 2^p)
 *
 * GRU (tinygen's, in the same conventions), gates r, z, n (PyTorch's order):
 *    r, z = sigmoid(sat16(fc_x + fc_h))                        (their recurrent biases folded into fc_x)
 *    hn = fc_h(n) + b_hn  (Q3.12);  rn = sat16(mul(r, hn; 2^-15))
 *    n = tanh(sat16(fc_x(n) + rn))
 *    h = clamp8(zp_h + MBQM((32768 - z) * n, 2^-30 / s_h) + MBQM(z * (h - zp_h), 2^-15))
 *  i.e. h = (1 - z) n + z h with each term rounded once; 32768 - z and z * (h - zp_h) fit in
 *  int32 (|n| <= 32767, 0 <= z <= 32767).
 *
 * SVDF (TFLite Micro EvalIntegerSvdfReference, int16 state and time weights, or int8 ones in
 * the _s8_s8 kernels, whose state grid has a zero point): the state
 * [B][filters][memory] moves one place down (across filters too), each filter's newest entry
 * is its feature product requantized onto the state's grid; the output sums each unit's
 * rank filters' time products (+ bias), requantized to int8. As in TFLite Micro the fused
 * activation is not applied.
 *
 * State: each layer's state lives in the arena's persistent region (planned by
 * tinygen/passes/plan_memory.py, never shared), `int8_t *state`: the LSTM's h int8 [B][H] at
 * 0 and c int16 [B][H] at p->c_offset; the GRU's h int8 [B][H]; the SVDF's int16 (int8)
 * [B][filters * memory]. tg_*_reset_s8 sets it to the initial values; a layer with
 * p->stateful == 0 resets it itself at the start of every call, a stateful one carries it
 * over (tg_model_reset_state() in the generated model resets every stateful layer).
 */
#ifndef TG_KERNELS_RECURRENT_H
#define TG_KERNELS_RECURRENT_H

#include <stdint.h>
#include <string.h>

#include "tg_kernels.h"
#include "tg_requant.h"

/* TFLite's sigmoid table (tg_sigmoid_table_s16.c): sigmoid(k / 24) in units of 2^-16. */
extern const uint16_t tg_sigmoid_table_s16[256];
/* The same table with each entry's step (tg_sigmoid_steps_u32.c): (table[k] << 16) | (table[k + 1] - table[k]). */
extern const uint32_t tg_sigmoid_steps_u32[256];
/* The same over signed grids, each side's entries and steps arranged for one SMLAD (tg_sigmoid_signed_u32.c,
 * tg_tanh_signed_u32.c: the DSP LSTMs' activations on the cores without TG_DUAL_ISSUE). */
extern const uint32_t tg_sigmoid_signed_u32[384];
extern const uint32_t tg_tanh_signed_u32[512];
/* Their words at k = 0 (192 and 256: aliases defined beside them), indexed by k in [-192, 192), [-256, 256). */
extern const uint32_t tg_sigmoid_signed_mid[];
extern const uint32_t tg_tanh_signed_mid[];

typedef struct {
    int32_t batches, steps, input_size, hidden;
    int32_t sequence;           /* 1: output every step [B][T][H]; 0: the last one [B][H] */
    int32_t stateful;           /* 1: h, c carry over between calls; 0: reset at each call */
    int32_t input_offset;       /* -input zero point */
    int32_t hidden_offset;      /* -hidden zero point */
    int32_t hidden_zero_point;
    int32_t in_mult[4], in_shift[4];      /* per gate (i, f, g, o): input product -> Q3.12 */
    int32_t rec_mult[4], rec_shift[4];    /* per gate: recurrent product -> Q3.12 */
    int32_t forget_mult, forget_shift;    /* f * c -> c (2^-15) */
    int32_t cell_mult, cell_shift;        /* i * g -> c (2^-30 / s_c) */
    int32_t output_mult, output_shift;    /* tanh(c) * o -> h (2^-30 / s_h) */
    int32_t tanh_mult, tanh_shift;        /* the cell's tanh input scaling (s_c = 2^p) */
    int32_t cell_clip;                    /* > 0: |c| clipped to it */
    int32_t c0_mult, c0_shift, c0_offset; /* c0 given as an int8 input: onto the cell's grid */
    int32_t c_offset;                     /* byte offset of c in the state */
    int32_t cell_scale_power;             /* s_c = 2^cell_scale_power */
} tg_lstm_params_t;

typedef struct {
    int32_t batches, steps, input_size, hidden;
    int32_t sequence, stateful;
    int32_t input_offset, hidden_offset, hidden_zero_point;
    int32_t in_mult[3], in_shift[3];      /* per gate (r, z, n) */
    int32_t rec_mult[3], rec_shift[3];
    int32_t output_mult, output_shift;    /* (1 - z) * n -> h (2^-30 / s_h) */
} tg_gru_params_t;

typedef struct {
    int32_t batches, input_size, filters, memory, rank, units;
    int32_t stateful;                     /* always 1: TFLite's activation state is a variable */
    int32_t input_zero_point, state_zero_point, output_zero_point;
    int32_t mult1, shift1;                /* feature product -> state grid */
    int32_t mult2, shift2;                /* time product -> output grid */
} tg_svdf_params_t;

/* ---- the int16 gate functions (TFLite reference_integer_ops::Logistic / Tanh, int16) ---- */

/* sigmoid of v, a value on the table's grid (3 * 2^12 is 1.0) -> Q0.15. */
static inline int16_t tg_sigmoid_scaled_s16(int32_t v)
{
    const uint32_t a = (uint32_t)(v < 0 ? -v : v);
    const uint32_t uh = a >> 9;
    uint32_t r;
    if (uh >= 255u) {
        r = 0x7FFFu << 10;
    } else {
        const uint32_t ua = tg_sigmoid_table_s16[uh];
        const uint32_t ub = tg_sigmoid_table_s16[uh + 1u];
        r = (ua << 9) + (a & 0x1FFu) * (ub - ua);
    }
    r = v >= 0 ? r + (1u << 9) : (1u << 25) - r + (1u << 9) - 1u;
    return (int16_t)(r >> 10);
}

/* sigmoid: Q3.12 -> Q0.15 (input multiplier 3, no shift). */
static inline int16_t tg_sigmoid_s16(int32_t x)
{
    return tg_sigmoid_scaled_s16(x * 3);
}

/* tanh: (x * multiplier) rounded right by shift, Q3.12 after it -> Q0.15. */
static inline int16_t tg_tanh_s16(int32_t x, int32_t multiplier, int32_t shift)
{
    const int32_t round = shift > 0 ? (1 << (shift - 1)) : 0;
    const int32_t v = (x * multiplier + round) >> shift;
    const uint32_t a = (uint32_t)(v < 0 ? -v : v);
    const uint32_t uh = a >> 8;
    int32_t r;
    if (uh >= 255u) {
        r = (int32_t)(0xFFFFu << 8);
    } else {
        const uint32_t ua = tg_sigmoid_table_s16[uh];
        const uint32_t ub = tg_sigmoid_table_s16[uh + 1u];
        r = (int32_t)((ua << 8) + (a & 0xFFu) * (ub - ua));
    }
    r = v >= 0 ? r - (1 << 23) + (1 << 7) : -r + (1 << 23) + (1 << 7) - 1;
    return (int16_t)(r >> 8);
}

static inline int32_t tg_sat16(int32_t x)
{
    return x > INT16_MAX ? INT16_MAX : (x < INT16_MIN ? INT16_MIN : x);
}

/* sum over k < n of (x[k] + offset) * w[k]: a gate row's int8 product. */
static inline int32_t tg_dot_offset_s8(const int8_t *x, const int8_t *w, int32_t n, int32_t offset)
{
    int32_t acc = 0;
    int32_t k;
    for (k = 0; k < n; ++k) {
        acc += ((int32_t)x[k] + offset) * (int32_t)w[k];
    }
    return acc;
}

/* After a step of batch b at time t: the new hidden state over the old one, and into the output
 * where it holds every step (sequence: [B][T][H]); after the last step the last-step output [B][H]. */
static inline void tg_rnn_store_step(int8_t *h, const int8_t *hnew, int32_t hid, int32_t sequence, int32_t steps,
                                     int32_t b, int32_t t, int8_t *output)
{
    memcpy(h, hnew, (size_t)hid);
    if (sequence) {
        memcpy(output + (b * steps + t) * hid, hnew, (size_t)hid);
    } else if (t == steps - 1) {
        memcpy(output + b * hid, hnew, (size_t)hid);
    }
}

/* A gate's int8 product requantized onto Q3.12 and saturated to int16. */
static inline int32_t tg_gate_q12(int32_t acc, int32_t multiplier, int32_t shift)
{
    return tg_sat16(tg_requantize(acc, multiplier, shift));
}

/* One LSTM unit's update from its four saturated gate pre-activations (Q3.12; i, f, g, o): its
 * cell, in place, and its new hidden value on the hidden grid before saturation.
 * tg_requantize_fast equals tg_requantize for these multipliers (TFLite's, in [2^30, 2^31)). */
static inline int32_t tg_lstm_unit(const tg_lstm_params_t *p, const int32_t *pre, int16_t *c)
{
    const int32_t ig = tg_sigmoid_s16(pre[0]);
    const int32_t fg = tg_sigmoid_s16(pre[1]);
    const int32_t gg = tg_tanh_s16(pre[2], 3, 0);
    const int32_t og = tg_sigmoid_s16(pre[3]);
    int32_t cj = tg_sat16(tg_requantize_fast(fg * *c, p->forget_mult, p->forget_shift));
    int32_t v;
    cj = tg_sat16(cj + tg_sat16(tg_requantize_fast(ig * gg, p->cell_mult, p->cell_shift)));
    if (p->cell_clip > 0) {
        cj = cj > p->cell_clip ? p->cell_clip : (cj < -p->cell_clip ? -p->cell_clip : cj);
    }
    *c = (int16_t)cj;
    v = p->hidden_zero_point +
        tg_requantize_fast(tg_tanh_s16(cj, p->tanh_mult, p->tanh_shift) * og, p->output_mult, p->output_shift);
    return v;
}

/* tg_lstm_unit's new hidden value saturated to int8. */
static inline int8_t tg_lstm_unit_s8(const tg_lstm_params_t *p, const int32_t *pre, int16_t *c)
{
    const int32_t v = tg_lstm_unit(p, pre, c);
    return (int8_t)(v > INT8_MAX ? INT8_MAX : (v < INT8_MIN ? INT8_MIN : v));
}

/* sum over k < n of (x[k] + offset) * w[k] in int64: a 16x8 gate row's product. */
static inline int64_t tg_dot_offset_s16_s8(const int16_t *x, const int8_t *w, int32_t n, int32_t offset)
{
    int64_t acc = 0;
    int32_t k;
    for (k = 0; k < n; ++k) {
        acc += (int64_t)(((int32_t)x[k] + offset) * (int32_t)w[k]);
    }
    return acc;
}

/* The cell state c (int16 [B][H] at state + p->c_offset) to its initial value: c0 (an int16
 * constant) or c0_input (an int8 input on its own grid), or 0 where both are NULL. */
static inline void tg_lstm_reset_cell(const tg_lstm_params_t *p, const int16_t *c0, const int8_t *c0_input,
                                      int8_t *state)
{
    const int32_t n = p->batches * p->hidden;
    int16_t *c = (int16_t *)(void *)(state + p->c_offset);
    int32_t i;

    for (i = 0; i < n; ++i) {
        int32_t v = 0;
        if (c0 != NULL) {
            v = c0[i];
        } else if (c0_input != NULL) {
            v = tg_sat16(tg_requantize(c0_input[i] + p->c0_offset, p->c0_mult, p->c0_shift));
        }
        c[i] = (int16_t)v;
    }
}

/* One GRU unit's new hidden value from its gates' products requantized onto Q3.12 and saturated:
 * xs (input side: r, z, n) and hs (recurrent side, b_hn in hs[2]), and its old hidden value. */
static inline int8_t tg_gru_unit_s8(const tg_gru_params_t *p, const int32_t *xs, const int32_t *hs, int32_t h_old)
{
    const int32_t zp = p->hidden_zero_point;
    const int32_t r = tg_sigmoid_s16(tg_sat16(xs[0] + hs[0]));
    const int32_t z = tg_sigmoid_s16(tg_sat16(xs[1] + hs[1]));
    const int32_t rn = tg_sat16(tg_requantize_fast(r * hs[2], 1 << 30, -14));
    const int32_t n = tg_tanh_s16(tg_sat16(xs[2] + rn), 3, 0);
    const int32_t v = zp + tg_requantize_fast((32768 - z) * n, p->output_mult, p->output_shift)
                      + tg_requantize_fast(z * (h_old - zp), 1 << 30, -14);
    return (int8_t)(v > INT8_MAX ? INT8_MAX : (v < INT8_MIN ? INT8_MIN : v));
}

/* ---- LSTM ---- */

/*
 * h (int8 [B][H]) and c (int16 [B][H] at state + p->c_offset) to their initial values: h0 (or
 * the hidden zero point where NULL); c0 (an int16 constant) or c0_input (an int8 input on its own
 * grid, requantized by c0_mult / c0_shift / c0_offset), or 0 where both are NULL.
 */
void tg_lstm_reset_s8(const tg_lstm_params_t *p, const int8_t *h0, const int16_t *c0, const int8_t *c0_input,
                      int8_t *state);

/*
 * The 16x8 LSTM's state to its initial values: h (int16 [B][H]) from h0 or 0 (TFLite Micro
 * resets an int16 variable to 0; its 16x8 hidden state has zero point 0), c as tg_lstm_reset_s8.
 */
void tg_lstm_reset_s16(const tg_lstm_params_t *p, const int16_t *h0, const int16_t *c0, const int8_t *c0_input,
                       int8_t *state);

/*
 * TFLite Micro's 16x8 LSTM: tg_lstm_s8 over input int16 [B][T][input_size] with int8 weights,
 * bias int64 [4][H], each gate product summed in int64 and requantized by tg_requantize_s64
 * (TFLite's MultiplyByQuantizedMultiplier for int64); h0 int16 [B][H]; state: h int16 [B][H],
 * then c int16 at p->c_offset; scratch: 2 x H bytes. output: int16 [B][T][H] or [B][H].
 */
void tg_lstm_s16(const tg_lstm_params_t *p, const int16_t *input, const int16_t *h0, const int16_t *c0,
                 const int8_t *c0_input, const int8_t *w_ih, const int8_t *w_hh, const int64_t *bias, int8_t *state,
                 int8_t *scratch, int16_t *output);

/*
 * One LSTM layer over input int8 [B][T][input_size]. w_ih: int8 [4][H][input_size], w_hh:
 * int8 [4][H][H] (gates i, f, g, o), bias: int32 [4][H] (the input side's). h0 / c0 / c0_input:
 * as tg_lstm_reset_s8 takes them, used where p->stateful is 0 (every call starts from them).
 * state: tg_lstm_state bytes (above), scratch: H bytes (the new hidden state of a step). output:
 * int8 [B][T][H] (p->sequence) or [B][H]; it must not overlap the input.
 */
void tg_lstm_s8(const tg_lstm_params_t *p, const int8_t *input, const int8_t *h0, const int16_t *c0,
                const int8_t *c0_input, const int8_t *w_ih, const int8_t *w_hh, const int32_t *bias, int8_t *state,
                int8_t *scratch, int8_t *output);

/* tg_lstm_s8 for ARMv7E-M (DSP extension): the same results. packed: the weights as int16 pairs
 * with the zero points folded into the biases (tinygen.kernels.recurrent_dsp.pack_lstm_dsp,
 * tg_recurrent_s8_dsp.h); scratch: tinygen.kernels.recurrent_dsp.dsp_scratch bytes. */
void tg_lstm_s8_dsp(const tg_lstm_params_t *p, const int8_t *input, const int8_t *h0, const int16_t *c0,
                    const int8_t *c0_input, const int32_t *packed, int8_t *state, int8_t *scratch, int8_t *output);

/* tg_lstm_s8 for ARMv7E-M (DSP extension) with two gates' int8 weights to a halfword: the same results
 * where tinygen.kernels.recurrent_pairs_dsp.pairs_fit holds. packed:
 * tinygen.kernels.recurrent_pairs_dsp.pack_lstm_pairs_dsp; scratch: its pairs_dsp_scratch bytes. */
void tg_lstm_s8_pairs_dsp(const tg_lstm_params_t *p, const int8_t *input, const int8_t *h0, const int16_t *c0,
                          const int8_t *c0_input, const int32_t *packed, int8_t *state, int8_t *scratch,
                          int8_t *output);

/* tg_lstm_s8 for RV32IM: the same results. packed: tinygen.kernels.recurrent_rv32.pack_lstm_rv32
 * (tg_recurrent_s8_rv32.h); scratch: H bytes. */
void tg_lstm_s8_rv32(const tg_lstm_params_t *p, const int8_t *input, const int8_t *h0, const int16_t *c0,
                     const int8_t *c0_input, const int32_t *packed, int8_t *state, int8_t *scratch, int8_t *output);

/* ---- GRU ---- */

/* h (int8 [B][H]) to h0, or the hidden zero point where NULL. */
void tg_gru_reset_s8(const tg_gru_params_t *p, const int8_t *h0, int8_t *state);

/*
 * One GRU layer over input int8 [B][T][input_size]. w_ih: int8 [3][H][input_size], w_hh: int8
 * [3][H][H] (gates r, z, n), bias: int32 [4][H] (r, z, n on the input side, then b_hn on the
 * recurrent side). state: H * B bytes, scratch: H bytes. output as tg_lstm_s8's.
 */
void tg_gru_s8(const tg_gru_params_t *p, const int8_t *input, const int8_t *h0, const int8_t *w_ih,
               const int8_t *w_hh, const int32_t *bias, int8_t *state, int8_t *scratch, int8_t *output);

/* tg_gru_s8 for ARMv7E-M (DSP extension): the same results; packed and scratch as tg_lstm_s8_dsp's
 * (tinygen.kernels.recurrent_dsp.pack_gru_dsp). */
void tg_gru_s8_dsp(const tg_gru_params_t *p, const int8_t *input, const int8_t *h0, const int32_t *packed,
                   int8_t *state, int8_t *scratch, int8_t *output);

/* tg_gru_s8 for RV32IM: the same results; packed: tinygen.kernels.recurrent_rv32.pack_gru_rv32. */
void tg_gru_s8_rv32(const tg_gru_params_t *p, const int8_t *input, const int8_t *h0, const int32_t *packed,
                    int8_t *state, int8_t *scratch, int8_t *output);

/* ---- SVDF ---- */

/* A filter's feature product (its weights row w [input_size] by the input x less its zero point)
 * requantized onto the state's grid, before saturation and the state's zero point. */
static inline int32_t tg_svdf_feature(const tg_svdf_params_t *p, const int8_t *x, const int8_t *w)
{
    int32_t acc = 0, k;
    for (k = 0; k < p->input_size; ++k) {
        acc += (int32_t)w[k] * ((int32_t)x[k] - p->input_zero_point);
    }
    return tg_requantize(acc, p->mult1, p->shift1);
}

/* The activation state (int16 [B][filters * memory]) to 0 (TFLite's initial variable). */
void tg_svdf_reset_s8(const tg_svdf_params_t *p, int8_t *state);

/*
 * SVDF over input int8 [B][input_size]: weights_feature int8 [filters][input_size],
 * weights_time int16 [filters][memory], bias int32 [units] or NULL. state: int16
 * [B][filters * memory] (2 * B * filters * memory bytes). output int8 [B][units].
 */
void tg_svdf_s8(const tg_svdf_params_t *p, const int8_t *input, const int8_t *weights_feature,
                const int16_t *weights_time, const int32_t *bias, int8_t *state, int8_t *output);

/* tg_svdf_s8 for ARMv7E-M: the same results. packed: tinygen.kernels.recurrent_dsp.pack_svdf_dsp (the
 * feature weights as int16 pairs, the zero points folded); scratch: the input widened to int16. */
void tg_svdf_s8_dsp(const tg_svdf_params_t *p, const int8_t *input, const int16_t *weights_time,
                    const int32_t *bias, const int32_t *packed, int8_t *state, int8_t *scratch, int8_t *output);

/* The int8 activation state (int8 [B][filters * memory]) to its zero point (TFLite Micro resets an
 * int8 variable tensor so). */
void tg_svdf_reset_s8_s8(const tg_svdf_params_t *p, int8_t *state);

/*
 * tg_svdf_s8 with int8 time weights [filters][memory] and an int8 state [B][filters * memory]
 * (B * filters * memory bytes) on a grid with zero point p->state_zero_point (TFLite Micro's
 * EvalInt8SvdfReference). output int8 [B][units].
 */
void tg_svdf_s8_s8(const tg_svdf_params_t *p, const int8_t *input, const int8_t *weights_feature,
                   const int8_t *weights_time, const int32_t *bias, int8_t *state, int8_t *output);

#endif /* TG_KERNELS_RECURRENT_H */
