/*
 * tg_lstm_pairs_unit_dsp.h: tg_lstm_s8_pairs_dsp's gate requantizations. The input side's are done in the input
 * pass (tg_lstm_pairs_x22_dsp.h), which leaves each gate's input product requantized onto Q3.12 and saturated,
 * two gates a word (gates 0 and 1, then 2 and 3: the low halfword the first); the unit update then requantizes
 * the recurrent side's two products of a word, packs them and adds the input side's by one QADD16 (TFLite's
 * saturation of each side, then of their sum), and takes each gate's 3x straight from its halfword by SMULBB or
 * SMULTB (tg_lstm_cell_dsp). numpy twin: tinygen.ref.recurrent.lstm_s8.
 */
#ifndef TG_LSTM_PAIRS_UNIT_DSP_H
#define TG_LSTM_PAIRS_UNIT_DSP_H

#include "tg_lstm_s8_dsp.h"

/* Whether none of the input side's records (each gate's first) shifts (right1 = -1): the input pass's
 * requantization inline (TG_LSTM_X22_OUT), else each record by its own test (tg_lstm_xpre_any). */
static inline int32_t tg_lstm_x_unshifted(const tg_lstm_dsp_requant_t *q)
{
    return q->gate[0][0].right1 < 0 && q->gate[1][0].right1 < 0 && q->gate[2][0].right1 < 0
           && q->gate[3][0].right1 < 0;
}

/* Whether the recurrent side's records (each gate's second) all shift right (tg_lstm_rec2). */
static inline int32_t tg_lstm_rec_right(const tg_lstm_dsp_requant_t *q)
{
    return q->gate[0][1].right1 >= 0 && q->gate[1][1].right1 >= 0 && q->gate[2][1].right1 >= 0
           && q->gate[3][1].right1 >= 0;
}

/* An input-side product requantized by its record r and saturated to int16: SMMLAR and SSAT where the record
 * does not shift (xp, a constant 1 where inlined), else tg_lstm_requantize's rounding shift. */
__attribute__((always_inline)) static inline int32_t tg_lstm_xpre(int32_t acc, const tg_rnn_requant_t *r, int32_t xp)
{
    if (xp || r->right1 < 0) {
        return tg_dsp_ssat16(tg_dsp_smmlar(acc, r->m2, acc));
    }
    return tg_dsp_ssat16_asr1(tg_lstm_requantize_right(acc, r));
}

/* Gates g and g + 1's input products (a, b) requantized and saturated, packed (gate g in the low halfword). */
__attribute__((always_inline)) static inline int32_t tg_lstm_xpre2(int32_t a, int32_t b, const tg_lstm_dsp_requant_t *q,
                                                                  int32_t g, int32_t xp)
{
    return tg_dsp_pkhbt(tg_lstm_xpre(a, &q->gate[g][0], xp), tg_lstm_xpre(b, &q->gate[g + 1][0], xp));
}

/* The input pass's words for n steps (1 or 2) of a unit into z from its raw sums acc (per step and gate pair
 * acc1, acc2: gate A = acc2, gate B = (acc1 - acc2) >> 8), any records (each one's test), out of line: the common
 * kind's code stays inline and small. Each word is written after the sums it reads, so z may be acc (in place). */
__attribute__((noinline, unused)) static void tg_lstm_xpre_any(int32_t *z, const tg_lstm_dsp_requant_t *q,
                                                               const int32_t *acc, int32_t n)
{
    int32_t k;
    for (k = 0; k < 2 * n; ++k) {
        const int32_t a1 = acc[2 * k], a2 = acc[2 * k + 1];
        z[k] = tg_lstm_xpre2(a2, (a1 - a2) >> 8, q, (2 * k) & 3, 0);
    }
}

/*
 * Gates G and G + 1's pre-activations, packed: the recurrent side's products (b0, b1, in registers) requantized
 * where each record shifts right (SMMLAR, the rounding shift with its last halving in SSAT's shift operand, as
 * tg_rnn_requantize computes it), saturated, packed by PKHBT and added to the input side's word (at z, offset Z)
 * by QADD16. Where TG_DUAL_ISSUE (the M7) the four record words by LDRs that pair (an LDRD issues alone), the two
 * chains interleaved; elsewhere each record by one LDRD, no load read by the instruction after it (the M33's
 * load-use stall).
 */
#if defined(TG_DUAL_ISSUE) && TG_DUAL_ISSUE
#define TG_LSTM_REC2                                                                                         \
    "ldr %[mb], [%[q], %[R0]]\n\t"                                                                           \
    "ldr %[ma], [%[q], %[R1]]\n\t"                                                                           \
    "ldr %[eb], [%[q], %[R0]+4]\n\t"                                                                         \
    "ldr %[ea], [%[q], %[R1]+4]\n\t"                                                                         \
    "smmlar %[b0], %[b0], %[mb], %[b0]\n\t"                                                                  \
    "ldr %[x], [%[z], %[Z]]\n\t"                                                                             \
    "smmlar %[b1], %[b1], %[ma], %[b1]\n\t"                                                                  \
    "add %[b0], %[b0], %[b0], asr #31\n\t"                                                                   \
    "asr %[b0], %[b0], %[eb]\n\t"                                                                            \
    "add %[b1], %[b1], %[b1], asr #31\n\t"                                                                   \
    "add %[b0], %[b0], #1\n\t"                                                                               \
    "asr %[b1], %[b1], %[ea]\n\t"                                                                            \
    "ssat %[b0], #16, %[b0], asr #1\n\t"                                                                     \
    "add %[b1], %[b1], #1\n\t"                                                                               \
    "ssat %[b1], #16, %[b1], asr #1\n\t"                                                                     \
    "pkhbt %[b0], %[b0], %[b1], lsl #16\n\t"                                                                 \
    "qadd16 %[x], %[x], %[b0]"
#else
#define TG_LSTM_REC2                                                                                         \
    "ldrd %[mb], %[eb], [%[q], %[R0]]\n\t"                                                                   \
    "ldrd %[ma], %[ea], [%[q], %[R1]]\n\t"                                                                   \
    "smmlar %[b0], %[b0], %[mb], %[b0]\n\t"                                                                  \
    "smmlar %[b1], %[b1], %[ma], %[b1]\n\t"                                                                  \
    "ldr %[x], [%[z], %[Z]]\n\t"                                                                             \
    "add %[b0], %[b0], %[b0], asr #31\n\t"                                                                   \
    "add %[b1], %[b1], %[b1], asr #31\n\t"                                                                   \
    "asr %[b0], %[b0], %[eb]\n\t"                                                                            \
    "asr %[b1], %[b1], %[ea]\n\t"                                                                            \
    "add %[b0], %[b0], #1\n\t"                                                                               \
    "add %[b1], %[b1], #1\n\t"                                                                               \
    "ssat %[b0], #16, %[b0], asr #1\n\t"                                                                     \
    "ssat %[b1], #16, %[b1], asr #1\n\t"                                                                     \
    "pkhbt %[b0], %[b0], %[b1], lsl #16\n\t"                                                                 \
    "qadd16 %[x], %[x], %[b0]"
#endif

#define TG_LSTM_REC2_OPERANDS(G)                                                                             \
    : [x] "=&r"(x), [b0] "+&r"(b0), [b1] "+&r"(b1), [ma] "=&r"(ma), [ea] "=&r"(ea), [mb] "=&r"(mb),           \
      [eb] "=&r"(eb)                                                                                          \
    : [q] "r"(q), [z] "r"(z), [Z] "i"((G) * 2), [R0] "i"(TG_LSTM_REC(G, 1)), [R1] "i"(TG_LSTM_REC((G) + 1, 1)),   \
      [zm] "m"(z[(G) / 2]), [qm] "m"(q->gate)                                                                \
    :

/* Gates g and g + 1's pre-activations, packed (g 0 or 2, a constant where inlined): their input side's word at
 * z[g / 2], their recurrent products b0, b1. */
__attribute__((always_inline)) static inline int32_t tg_lstm_rec2(const tg_lstm_dsp_requant_t *q, const int32_t *z,
                                                                 int32_t b0, int32_t b1, int32_t g)
{
    int32_t x, ma, ea, mb, eb;
    if (g == 0) {
        __asm__(TG_LSTM_REC2 TG_LSTM_REC2_OPERANDS(0));
    } else {
        __asm__(TG_LSTM_REC2 TG_LSTM_REC2_OPERANDS(2));
    }
    return x;
}

/* The same for any records (each one's own test), out of line: the 4 gates' packed pre-activations into w. */
__attribute__((noinline, unused)) static void tg_lstm_rec_any(const tg_lstm_dsp_requant_t *q, const int32_t *z,
                                                              const int32_t *racc, int32_t *w)
{
    int32_t g, pre[4];
    for (g = 0; g < 4; ++g) {
        const int32_t x = (g & 1) ? z[g >> 1] >> 16 : (int32_t)(int16_t)z[g >> 1];
        pre[g] = TG_RNN_SAT16(x + TG_RNN_SAT16(tg_lstm_requantize(racc[g], &q->gate[g][1])));
    }
    w[0] = tg_dsp_pkhbt(pre[0], pre[1]);
    w[1] = tg_dsp_pkhbt(pre[2], pre[3]);
}

/* tg_lstm_unit_s8 of a unit whose input side's pre-activations are at z (two words: gates 0 and 1, 2 and 3) and
 * recurrent products r0..r3: fast where the recurrent side's records all shift right (tg_lstm_rec2; else
 * tg_lstm_rec_any), then tg_lstm_cell_dsp (right and clip as it takes them) of each gate's 3x, one SMULBB or
 * SMULTB of its halfword with 3. Returns the new hidden value. */
__attribute__((always_inline)) static inline int32_t tg_lstm_unit_pairs_dsp(const tg_lstm_params_t *p,
                                                                           const tg_lstm_dsp_requant_t *q,
                                                                           const int32_t *z, int32_t r0, int32_t r1,
                                                                           int32_t r2, int32_t r3, int32_t tanh_round,
                                                                           int32_t fast, int32_t right, int32_t clip,
                                                                           int16_t *c)
{
    const int32_t three = 3;
    int32_t w[2];
    if (fast) {
        w[0] = tg_lstm_rec2(q, z, r0, r1, 0);
        w[1] = tg_lstm_rec2(q, z, r2, r3, 2);
    } else {
        const int32_t racc[4] = {r0, r1, r2, r3};
        tg_lstm_rec_any(q, z, racc, w);
    }
    return tg_lstm_cell_dsp(p, q, tg_dsp_smulbb(w[0], three), tg_dsp_smultb(w[0], three), tg_dsp_smulbb(w[1], three),
                            tg_dsp_smultb(w[1], three), tanh_round, right, clip, c);
}

#endif /* TG_LSTM_PAIRS_UNIT_DSP_H */
