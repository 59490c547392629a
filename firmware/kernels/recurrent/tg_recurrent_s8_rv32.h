/*
 * tg_recurrent_s8_rv32.h: the gate products of tg_lstm_s8_rv32 and tg_gru_s8_rv32 (RV32IM: a
 * MAC is a MUL and an ADD, no SIMD, so the kernels save loads and offset additions).
 *
 * Weights are packed at build time (tinygen/kernels/recurrent_rv32.py), per unit j: G input-side
 * and G recurrent-side int32 biases with the zero points folded in (as the DSP kernels'), then
 * for each input column the G gates' int8 weights side by side, then the same for each hidden
 * column. Per column one load of the raw input value feeds the G gates' accumulators.
 */
#ifndef TG_RECURRENT_S8_RV32_H
#define TG_RECURRENT_S8_RV32_H

#include <stdint.h>

/* acc[g] += sum over k < n of x[k] * w[k * G + g] for G = 4 gates; returns w past the n columns. */
static inline const int8_t *tg_rnn_dot4_rv32(const int8_t *w, const int8_t *x, int32_t n, int32_t *acc)
{
    int32_t a0 = acc[0], a1 = acc[1], a2 = acc[2], a3 = acc[3];
    int32_t k;
    for (k = 0; k < n; ++k) {
        const int32_t v = x[k];
        a0 += v * w[0];
        a1 += v * w[1];
        a2 += v * w[2];
        a3 += v * w[3];
        w += 4;
    }
    acc[0] = a0;
    acc[1] = a1;
    acc[2] = a2;
    acc[3] = a3;
    return w;
}

/* The same for G = 3 gates. */
static inline const int8_t *tg_rnn_dot3_rv32(const int8_t *w, const int8_t *x, int32_t n, int32_t *acc)
{
    int32_t a0 = acc[0], a1 = acc[1], a2 = acc[2];
    int32_t k;
    for (k = 0; k < n; ++k) {
        const int32_t v = x[k];
        a0 += v * w[0];
        a1 += v * w[1];
        a2 += v * w[2];
        w += 3;
    }
    acc[0] = a0;
    acc[1] = a1;
    acc[2] = a2;
    return w;
}

#endif /* TG_RECURRENT_S8_RV32_H */
