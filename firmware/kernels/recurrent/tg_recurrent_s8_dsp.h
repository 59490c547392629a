/*
 * tg_recurrent_s8_dsp.h: the gate products of tg_lstm_s8_dsp and tg_gru_s8_dsp (ARMv7E-M DSP).
 *
 * Weights are packed at build time (tinygen/kernels/recurrent_dsp.py), per unit j:
 *   G input-side biases (bias + input_offset x the row's sum), G recurrent-side biases
 *   (hidden_offset x the row's sum, + b_hn for the GRU's new gate), then for each 4 input
 *   columns the G gates' rows as int16 pairs (g0 cols 0-1, g0 cols 2-3, g1 cols 0-1, ...), then
 *   the same over the hidden columns; rows padded with zeros to a multiple of 4 columns. The
 *   LSTM's record (G = 4) puts the recurrent-side biases after the input columns, each side
 *   whole, for tg_rnn_products4_dsp.
 * The step's input and old hidden state are widened once to int16 (zero padded), so each
 * SMLAD multiplies two columns of a row by two widened values: per 4 columns, one load of
 * the vector's two words for the G rows, and per row two weight words and two SMLAD.
 */
#ifndef TG_RECURRENT_S8_DSP_H
#define TG_RECURRENT_S8_DSP_H

#include <arm_acle.h>
#include <stdint.h>

#include "tg_dsp_s8.h"
#include "tg_kernels_recurrent.h"

/* int8 [n] -> int16 [padded], zeros after n (padded >= n). */
static inline void tg_rnn_widen_s8(const int8_t *src, int32_t n, int16_t *dst, int32_t padded)
{
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

/* A requantization's constants (TFLite's multiplier, in [2^30, 2^31) or 0, and shift), prepared
 * once per call by tg_rnn_requant_init. */
typedef struct {
    uint32_t factor;    /* 2^shift for a left shift (shift > 0), else 1; 0 for a multiplier of 0 */
    int32_t m2;         /* 2 x multiplier, as an int32 */
    int32_t right1;     /* right shift (-shift) less 1; -1: none */
} tg_rnn_requant_t;

/* Returns 1 where the factor is not 1 (a left shift or a zero multiplier). */
static inline int32_t tg_rnn_requant_init(tg_rnn_requant_t *q, int32_t multiplier, int32_t shift)
{
    q->factor = multiplier == 0 ? 0u : 1u << (shift > 0 ? shift : 0);
    q->m2 = (int32_t)((uint32_t)multiplier << 1);
    q->right1 = (shift > 0 ? 0 : -shift) - 1;
    return q->factor != 1u;
}

/*
 * tg_requantize_fast(acc, multiplier, shift) in one SMMLAR and the rounding shift: with a = acc
 * shifted left (wrapping) and m2 = 2m - 2^32 (m >= 2^30), SMMLAR of a, m2 onto a gives
 * floor((a m2 + a 2^32 + 2^31) / 2^32) = floor((a m + 2^30) / 2^31) exactly (64 bits inside), which
 * is tg_requantize_fast's x; its rounding shift follows. A multiplier of 0 zeroes a first (factor
 * 0), so x = 0, as tg_requantize_fast gives. scaled = 0 leaves the factor out: for callers that
 * checked every factor is 1 (no left shift, no zero multiplier).
 */
static inline int32_t tg_rnn_requantize(int32_t acc, const tg_rnn_requant_t *q, int32_t scaled)
{
    const int32_t a = scaled ? (int32_t)((uint32_t)acc * q->factor) : acc;
    int32_t x = tg_dsp_smmlar(a, q->m2, a);
    if (q->right1 >= 0) {
        x = (((x + (x >> 31)) >> q->right1) + 1) >> 1;
    }
    return x;
}

/* tg_sigmoid_s16 of a saturated Q3.12 value: 3 |x| < 2^17 keeps the table index below 193, so the
 * saturation test is left out; the sign's two cases in one expression. */
static inline int32_t tg_rnn_sigmoid_q12(int32_t x)
{
    const int32_t v = x * 3;
    const int32_t s = v >> 31;
    const uint32_t a = (uint32_t)((v ^ s) - s);
    const uint32_t uh = a >> 9;
    const uint32_t ua = tg_sigmoid_table_s16[uh];
    const uint32_t r = (ua << 9) + (a & 0x1FFu) * (tg_sigmoid_table_s16[uh + 1u] - ua);
    return (int32_t)(((uint32_t)s & (1u << 25)) + 512u + (r ^ (uint32_t)s)) >> 10;
}

/* One group of 4 columns for the 4 rows: the vector's two words (x0, x1) at v + off_v, the rows'
 * 8 words at w + off_w, each row's pair of words loaded side by side and then used, so that a
 * load pairs with the previous row's SMLAD on a dual-issue core (Cortex-M7) and follows a load on
 * a single-issue one (Cortex-M4's pipelined loads). */
#define TG_RNN_GROUP4(off_v, off_w)                                                                         \
    "ldr %[x0], [%[v], #" #off_v "]\n\t"                                                                    \
    "ldr %[x1], [%[v], #" #off_v "+4]\n\t"                                                                  \
    "ldr r4, [%[w], #" #off_w "]\n\t"                                                                       \
    "ldr r5, [%[w], #" #off_w "+4]\n\t"                                                                     \
    "smlad %[a0], r4, %[x0], %[a0]\n\t"                                                                     \
    "smlad %[a0], r5, %[x1], %[a0]\n\t"                                                                     \
    "ldr r4, [%[w], #" #off_w "+8]\n\t"                                                                     \
    "ldr r5, [%[w], #" #off_w "+12]\n\t"                                                                    \
    "smlad %[a1], r4, %[x0], %[a1]\n\t"                                                                     \
    "smlad %[a1], r5, %[x1], %[a1]\n\t"                                                                     \
    "ldr r4, [%[w], #" #off_w "+16]\n\t"                                                                    \
    "ldr r5, [%[w], #" #off_w "+20]\n\t"                                                                    \
    "smlad %[a2], r4, %[x0], %[a2]\n\t"                                                                     \
    "smlad %[a2], r5, %[x1], %[a2]\n\t"                                                                     \
    "ldr r4, [%[w], #" #off_w "+24]\n\t"                                                                    \
    "ldr r5, [%[w], #" #off_w "+28]\n\t"                                                                    \
    "smlad %[a3], r4, %[x0], %[a3]\n\t"                                                                     \
    "smlad %[a3], r5, %[x1], %[a3]\n\t"

/*
 * One LSTM unit's products: its record (tinygen.kernels.recurrent_dsp.pack_lstm_dsp: per side the 4
 * gates' biases, then the side's groups of 4 columns, 8 words each) at w, the input side times the
 * widened input (v, n4 groups), then the recurrent side times the widened hidden state, in one
 * loop whose code serves both sides: per side the accumulators in registers, four groups a pass
 * with immediate offsets, then the groups left one at a time, the 4 sums stored at acc (then acc
 * + 4) and the next side's vector and groups read from acc[8], acc[9] (acc[12] = 0: no next side).
 * Returns w past the unit.
 */
__attribute__((always_inline)) static inline const int32_t *tg_rnn_products4_dsp(const int32_t *w, const int16_t *v,
                                                                                 int32_t n4, int32_t *acc)
{
    int32_t a0, a1, a2, a3, x0, x1, quads;
    __asm__ volatile(
        "5:\n\t"
        "ldrd %[a0], %[a1], [%[w]], #8\n\t"
        "ldrd %[a2], %[a3], [%[w]], #8\n\t"
        "lsrs %[q], %[n], #2\n\t"
        "beq 2f\n\t"
        "1:\n\t"
        TG_RNN_GROUP4(0, 0)
        TG_RNN_GROUP4(8, 32)
        TG_RNN_GROUP4(16, 64)
        TG_RNN_GROUP4(24, 96)
        "adds %[v], %[v], #32\n\t"
        "adds %[w], %[w], #128\n\t"
        "subs %[q], %[q], #1\n\t"
        "bne 1b\n\t"
        "2:\n\t"
        "ands %[n], %[n], #3\n\t"
        "beq 4f\n\t"
        "3:\n\t"
        TG_RNN_GROUP4(0, 0)
        "adds %[v], %[v], #8\n\t"
        "adds %[w], %[w], #32\n\t"
        "subs %[n], %[n], #1\n\t"
        "bne 3b\n\t"
        "4:\n\t"
        "strd %[a0], %[a1], [%[acc]], #8\n\t"
        "strd %[a2], %[a3], [%[acc]], #8\n\t"
        "ldrd %[v], %[n], [%[acc], #16]\n\t"
        "cmp %[v], #0\n\t"
        "bne 5b\n\t"
        : [a0] "=&r"(a0), [a1] "=&r"(a1), [a2] "=&r"(a2), [a3] "=&r"(a3), [x0] "=&r"(x0), [x1] "=&r"(x1),
          [q] "=&r"(quads), [w] "+r"(w), [v] "+r"(v), [n] "+r"(n4), [acc] "+r"(acc)
        :
        : "r4", "r5", "cc", "memory");
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
