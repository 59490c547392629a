/*
 * tg_recurrent_s8_dsp.h: the gate products of tg_lstm_s8_dsp and tg_gru_s8_dsp (ARMv7E-M DSP).
 *
 * Weights are packed at build time (tinygen/kernels/recurrent_dsp.py), per unit j:
 *   G input-side biases (bias + input_offset x the row's sum), G recurrent-side biases
 *   (hidden_offset x the row's sum, + b_hn for the GRU's new gate), then for each 4 input
 *   columns the G gates' rows as int16 pairs (g0 cols 0-1, g0 cols 2-3, g1 cols 0-1, ...), then
 *   the same over the hidden columns; rows padded with zeros to a multiple of 4 columns.
 * The step's input and old hidden state are widened once to int16 (zero padded), so each
 * SMLAD multiplies two columns of a row by two widened values: per 4 columns, one load of
 * the vector's two words for the G rows, and per row two weight words and two SMLAD.
 */
#ifndef TG_RECURRENT_S8_DSP_H
#define TG_RECURRENT_S8_DSP_H

#include <arm_acle.h>
#include <stdint.h>

#include "tg_dsp_s8.h"

/* int8 [n] -> int16 [round up(n, 4)], zeros after n. */
static inline void tg_rnn_widen_s8(const int8_t *src, int32_t n, int16_t *dst)
{
    const int32_t padded = (n + 3) & ~3;
    int32_t k;
    for (k = 0; k < n; ++k) {
        dst[k] = src[k];
    }
    for (; k < padded; ++k) {
        dst[k] = 0;
    }
}

/* int32 -> int16 saturation in one SSAT. */
/* x saturated to int16 (SSAT; GCC 12's __ssat converts an unsigned builtin result, which
 * -Wsign-conversion refuses) */
#define TG_RNN_SAT16(x) tg_dsp_ssat16(x)

/* Two rows' next 4 columns (4 words at w) times the vector's (x0, x1) into accumulators a and b. */
#define TG_RNN_TWO_ROWS(a, b)                                                                              \
    "ldmia %[w]!, {r4, r5, r6, r8}\n\t"                                                                     \
    "smlad %[" a "], r4, %[x0], %[" a "]\n\t"                                                               \
    "smlad %[" a "], r5, %[x1], %[" a "]\n\t"                                                               \
    "smlad %[" b "], r6, %[x0], %[" b "]\n\t"                                                               \
    "smlad %[" b "], r8, %[x1], %[" b "]\n\t"

/*
 * acc[0..3] += the 4 rows at w (8 words per 4 columns) times the widened vector v (n4 groups of 4
 * values, word aligned). Per group: one LDRD of the vector, two LDM of the rows' words, eight SMLAD.
 */
__attribute__((noinline, unused)) static const int32_t *tg_rnn_dot4_dsp(const int32_t *w, const int16_t *v, int32_t n4, int32_t *acc)
{
    int32_t a0 = acc[0], a1 = acc[1], a2 = acc[2], a3 = acc[3];
    int32_t x0, x1;
    if (n4 > 0) {
        __asm__ volatile(
            "1:\n\t"
            "ldrd %[x0], %[x1], [%[v]], #8\n\t"
            TG_RNN_TWO_ROWS("a0", "a1")
            TG_RNN_TWO_ROWS("a2", "a3")
            "subs %[n], %[n], #1\n\t"
            "bne 1b\n\t"
            : [a0] "+r"(a0), [a1] "+r"(a1), [a2] "+r"(a2), [a3] "+r"(a3), [w] "+r"(w), [v] "+r"(v), [n] "+r"(n4),
              [x0] "=&r"(x0), [x1] "=&r"(x1)
            :
            : "r4", "r5", "r6", "r8", "cc", "memory");
    }
    acc[0] = a0;
    acc[1] = a1;
    acc[2] = a2;
    acc[3] = a3;
    return w;
}

/* The same for 3 rows (6 words per 4 columns): two LDM of four and two words per group. */
__attribute__((noinline, unused)) static const int32_t *tg_rnn_dot3_dsp(const int32_t *w, const int16_t *v, int32_t n4, int32_t *acc)
{
    int32_t a0 = acc[0], a1 = acc[1], a2 = acc[2];
    int32_t x0, x1;
    if (n4 > 0) {
        __asm__ volatile(
            "1:\n\t"
            "ldrd %[x0], %[x1], [%[v]], #8\n\t"
            TG_RNN_TWO_ROWS("a0", "a1")
            "ldmia %[w]!, {r4, r5}\n\t"
            "smlad %[a2], r4, %[x0], %[a2]\n\t"
            "smlad %[a2], r5, %[x1], %[a2]\n\t"
            "subs %[n], %[n], #1\n\t"
            "bne 1b\n\t"
            : [a0] "+r"(a0), [a1] "+r"(a1), [a2] "+r"(a2), [w] "+r"(w), [v] "+r"(v), [n] "+r"(n4), [x0] "=&r"(x0),
              [x1] "=&r"(x1)
            :
            : "r4", "r5", "r6", "r8", "cc", "memory");
    }
    acc[0] = a0;
    acc[1] = a1;
    acc[2] = a2;
    return w;
}

#endif /* TG_RECURRENT_S8_DSP_H */
