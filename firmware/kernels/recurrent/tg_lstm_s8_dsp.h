/*
 * tg_lstm_s8_dsp.h: what tg_lstm_s8_dsp and tg_lstm_s8_pairs_dsp share (ARMv7E-M DSP): the
 * requantizations at the head of packed (tinygen.kernels.recurrent_dsp.lstm_dsp_requant), a unit's
 * cell and hidden update from its 8 gate products (tg_lstm_unit_dsp), and the loop over batches,
 * steps and units (tg_lstm_steps_dsp) around a kernel's products function (its unit records' layout).
 * numpy twin: tinygen.ref.recurrent.lstm_s8.
 */
#ifndef TG_LSTM_S8_DSP_H
#define TG_LSTM_S8_DSP_H

#include <stddef.h>

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

/* tg_lstm_requantize where the record shifts right (right1 >= 0) less its last halving: the caller
 * halves (>> 1), or saturates and halves in one SSAT (tg_dsp_ssat16_asr1). */
static inline int32_t tg_lstm_requantize_right(int32_t acc, const tg_rnn_requant_t *q)
{
    const int32_t x = tg_dsp_smmlar(acc, q->m2, acc);
    return ((x + (x >> 31)) >> q->right1) + 1;
}

/* tg_rnn_sigmoid_q12 interpolating from tg_sigmoid_steps_u32: one load for the entry and its step, and
 * one SMUAD of it with the fraction (bottom half, below 2^9) and 2^9 (top half): the fraction times the
 * step plus the entry on the interpolation's grid, the entry (at least 2^15) read as signed, so 2^25
 * less; the sign's two cases in one expression, (r ^ s) + (s << 25) + 2^25 + 512 (an immediate), which
 * is tg_rnn_sigmoid_q12's ((r + 2^25) ^ s) - (s << 25) + 512. */
static inline int32_t tg_lstm_sigmoid_q12_v(int32_t v)
{
    const int32_t s = v >> 31;
    const uint32_t a = (uint32_t)((v ^ s) - s);
    const uint32_t step = tg_sigmoid_steps_u32[a >> 9];
    const uint32_t r = (uint32_t)tg_dsp_smuad((int32_t)((a & 0x1FFu) | (512u << 16)), (int32_t)step);
    return (int32_t)((r ^ (uint32_t)s) + ((uint32_t)s << 25) + (1u << 25) + 512u) >> 10;
}

/*
 * Two gates' pre-activations (gates G and G + 1: each one's input and recurrent products requantized
 * onto Q3.12 and saturated, added, the sum saturated) where every record shifts right (right1 >= 0,
 * TG_LSTM_SS) or the input side's records do not shift (right1 = -1) and the recurrent side's shift
 * right (TG_LSTM_PS): SMMLAR, the rounding shift with its last halving in the SSAT's shift operand
 * (ssat16((y + 1) >> 1) = SSAT #16 of y + 1, ASR #1), as tg_rnn_requantize computes it. The four
 * chains interleaved by hand (the compiler keeps an asm statement's order), each record's multiplier
 * and shift in one LDRD. The records at q (tg_lstm_dsp_requant_t: 12 bytes, m2 at 4), the input side's
 * products at acc (gate G's, then G + 1's), the recurrent side's in registers (b0, b1).
 */
#define TG_LSTM_PRE_SS                                                                                       \
    "ldr %[a0], [%[acc], %[A0]]\n\t"                                                                         \
    "ldrd %[ma], %[ea], [%[q], %[RA0]]\n\t"                                                                  \
    "ldrd %[mb], %[eb], [%[q], %[RB0]]\n\t"                                                                  \
    "smmlar %[a0], %[a0], %[ma], %[a0]\n\t"                                                                  \
    "ldr %[a1], [%[acc], %[A1]]\n\t"                                                                         \
    "smmlar %[b0], %[b0], %[mb], %[b0]\n\t"                                                                  \
    "add %[a0], %[a0], %[a0], asr #31\n\t"                                                                   \
    "asr %[a0], %[a0], %[ea]\n\t"                                                                            \
    "add %[b0], %[b0], %[b0], asr #31\n\t"                                                                   \
    "add %[a0], %[a0], #1\n\t"                                                                               \
    "asr %[b0], %[b0], %[eb]\n\t"                                                                            \
    "ssat %[a0], #16, %[a0], asr #1\n\t"                                                                     \
    "ldrd %[ma], %[ea], [%[q], %[RA1]]\n\t"                                                                  \
    "add %[b0], %[b0], #1\n\t"                                                                               \
    "smmlar %[a1], %[a1], %[ma], %[a1]\n\t"                                                                  \
    "ssat %[b0], #16, %[b0], asr #1\n\t"                                                                     \
    "ldrd %[mb], %[eb], [%[q], %[RB1]]\n\t"                                                                  \
    "add %[a0], %[a0], %[b0]\n\t"                                                                            \
    "smmlar %[b1], %[b1], %[mb], %[b1]\n\t"                                                                  \
    "add %[a1], %[a1], %[a1], asr #31\n\t"                                                                   \
    "ssat %[a0], #16, %[a0]\n\t"                                                                             \
    "asr %[a1], %[a1], %[ea]\n\t"                                                                            \
    "add %[b1], %[b1], %[b1], asr #31\n\t"                                                                   \
    "add %[a1], %[a1], #1\n\t"                                                                               \
    "asr %[b1], %[b1], %[eb]\n\t"                                                                            \
    "ssat %[a1], #16, %[a1], asr #1\n\t"                                                                     \
    "add %[b1], %[b1], #1\n\t"                                                                               \
    "ssat %[b1], #16, %[b1], asr #1\n\t"                                                                     \
    "add %[a1], %[a1], %[b1]\n\t"                                                                            \
    "ssat %[a1], #16, %[a1]"

/* The PS kind's last 10 instructions (TG_LSTM_PRE_PS, TG_LSTM_PRE_PS_LDRD): gate G + 1's input product, both
 * sides saturated (the recurrent side's last halving in SSAT's shift), added and saturated. */
#define TG_LSTM_PRE_PS_TAIL                                                                                  \
    "smmlar %[a1], %[a1], %[ma], %[a1]\n\t"                                                                  \
    "add %[b1], %[b1], #1\n\t"                                                                               \
    "ssat %[b0], #16, %[b0], asr #1\n\t"                                                                     \
    "ssat %[b1], #16, %[b1], asr #1\n\t"                                                                     \
    "ssat %[a0], #16, %[a0]\n\t"                                                                             \
    "ssat %[a1], #16, %[a1]\n\t"                                                                             \
    "add %[a0], %[a0], %[b0]\n\t"                                                                            \
    "add %[a1], %[a1], %[b1]\n\t"                                                                            \
    "ssat %[a0], #16, %[a0]\n\t"                                                                             \
    "ssat %[a1], #16, %[a1]"

/* The same with the input side's records not shifting: SMMLAR and SSAT (their shifts not read). The
 * recurrent side's longer chains first, every record word by its own LDR (two LDRs pair where an
 * LDRD issues alone on the M7), so that each instruction pairs with another (13 cycle pairs by the
 * tinygen.cycles.cortex_m7 model). */
#define TG_LSTM_PRE_PS                                                                                       \
    "ldr %[mb], [%[q], %[RB0]]\n\t"                                                                          \
    "ldr %[ma], [%[q], %[RB1]]\n\t"                                                                          \
    "ldr %[eb], [%[q], %[RB0]+4]\n\t"                                                                        \
    "ldr %[ea], [%[q], %[RB1]+4]\n\t"                                                                        \
    "smmlar %[b0], %[b0], %[mb], %[b0]\n\t"                                                                  \
    "ldr %[a0], [%[acc], %[A0]]\n\t"                                                                         \
    "smmlar %[b1], %[b1], %[ma], %[b1]\n\t"                                                                  \
    "ldr %[mb], [%[q], %[RA0]]\n\t"                                                                          \
    "add %[b0], %[b0], %[b0], asr #31\n\t"                                                                   \
    "ldr %[a1], [%[acc], %[A1]]\n\t"                                                                         \
    "smmlar %[a0], %[a0], %[mb], %[a0]\n\t"                                                                  \
    "add %[b1], %[b1], %[b1], asr #31\n\t"                                                                   \
    "asr %[b0], %[b0], %[eb]\n\t"                                                                            \
    "ldr %[ma], [%[q], %[RA1]]\n\t"                                                                          \
    "asr %[b1], %[b1], %[ea]\n\t"                                                                            \
    "add %[b0], %[b0], #1\n\t"                                                                               \
    TG_LSTM_PRE_PS_TAIL

/* The same for the cores without TG_DUAL_ISSUE (M4, M33), where nothing pairs: each record's multiplier and
 * shift in one LDRD, the input side's two products in one (they are adjacent), each load two instructions
 * before its first use (the M33's load-use stall), the two multipliers' LDRs side by side (the M4 pipelines
 * the second); 5 loads for 8 (the M4 charges each load). */
#define TG_LSTM_PRE_PS_LDRD                                                                                  \
    "ldrd %[mb], %[eb], [%[q], %[RB0]]\n\t"                                                                  \
    "ldrd %[ma], %[ea], [%[q], %[RB1]]\n\t"                                                                  \
    "smmlar %[b0], %[b0], %[mb], %[b0]\n\t"                                                                  \
    "smmlar %[b1], %[b1], %[ma], %[b1]\n\t"                                                                  \
    "ldrd %[a0], %[a1], [%[acc], %[A0]]\n\t"                                                                 \
    "add %[b0], %[b0], %[b0], asr #31\n\t"                                                                   \
    "add %[b1], %[b1], %[b1], asr #31\n\t"                                                                   \
    "ldr %[mb], [%[q], %[RA0]]\n\t"                                                                          \
    "ldr %[ma], [%[q], %[RA1]]\n\t"                                                                          \
    "asr %[b0], %[b0], %[eb]\n\t"                                                                            \
    "asr %[b1], %[b1], %[ea]\n\t"                                                                            \
    "smmlar %[a0], %[a0], %[mb], %[a0]\n\t"                                                                  \
    "add %[b0], %[b0], #1\n\t"                                                                               \
    TG_LSTM_PRE_PS_TAIL
#if defined(TG_DUAL_ISSUE) && TG_DUAL_ISSUE
#define TG_LSTM_PRE_PS_CORE TG_LSTM_PRE_PS
#else
#define TG_LSTM_PRE_PS_CORE TG_LSTM_PRE_PS_LDRD
#endif

#define TG_LSTM_REC(g, side) ((2 * (g) + (side)) * 12 + 4)
#define TG_LSTM_PRE_OPERANDS(G)                                                                              \
    : [a0] "=&r"(p0), [b0] "+&r"(b0), [a1] "=&r"(p1), [b1] "+&r"(b1), [ma] "=&r"(ma), [ea] "=&r"(ea),            \
      [mb] "=&r"(mb), [eb] "=&r"(eb)                                                                          \
    : [q] "r"(q), [acc] "r"(acc), [A0] "i"(0), [A1] "i"(4), [RA0] "i"(TG_LSTM_REC(G, 0)),                         \
      [RB0] "i"(TG_LSTM_REC(G, 1)), [RA1] "i"(TG_LSTM_REC((G) + 1, 0)), [RB1] "i"(TG_LSTM_REC((G) + 1, 1)),     \
      [accm] "m"(*(const int32_t(*)[2])acc), [qm] "m"(q->gate)                                                 \
    :

#define TG_LSTM_SS 3
#define TG_LSTM_PS 2
/* the records' layout the offsets assume */
typedef char tg_lstm_rec_layout_t[sizeof(tg_rnn_requant_t) == 12 && offsetof(tg_rnn_requant_t, m2) == 4
                                  && offsetof(tg_rnn_requant_t, right1) == 8 ? 1 : -1];

/* Gates g and g + 1's pre-activations into pre (their input products at acc, their recurrent products
 * b0, b1; g 0 or 2, kinds TG_LSTM_SS or TG_LSTM_PS: constants where inlined). */
__attribute__((always_inline)) static inline void tg_lstm_pre2(const tg_lstm_dsp_requant_t *q, const int32_t *acc,
                                                               int32_t b0, int32_t b1, int32_t kinds, int32_t *pre,
                                                               int32_t g)
{
    int32_t p0, p1, ma, ea, mb, eb;
    if (kinds == TG_LSTM_SS && g == 0) {
        __asm__(TG_LSTM_PRE_SS TG_LSTM_PRE_OPERANDS(0));
    } else if (kinds == TG_LSTM_SS) {
        __asm__(TG_LSTM_PRE_SS TG_LSTM_PRE_OPERANDS(2));
    } else if (g == 0) {
        __asm__(TG_LSTM_PRE_PS_CORE TG_LSTM_PRE_OPERANDS(0));
    } else {
        __asm__(TG_LSTM_PRE_PS_CORE TG_LSTM_PRE_OPERANDS(2));
    }
    pre[g] = p0;
    pre[g + 1] = p1;
}

/* The same for any records (each one's own test), out of line: the common cases' code stays compact. */
__attribute__((noinline, unused)) static void tg_lstm_pre_any(const tg_lstm_dsp_requant_t *q, const int32_t *acc,
                                                              const int32_t *racc, int32_t *pre)
{
    int32_t g;
    for (g = 0; g < 4; ++g) {
        pre[g] = TG_RNN_SAT16(TG_RNN_SAT16(tg_lstm_requantize(acc[g], &q->gate[g][0]))
                              + TG_RNN_SAT16(tg_lstm_requantize(racc[g], &q->gate[g][1])));
    }
}

/* tg_tanh_s16 of v (the input already scaled) without a branch: |v| clamped to 65535 by USAT (uh 255:
 * the table's last entry, 65535 with a step of 0, gives the saturated result for every fraction:
 * tests/kernels/test_kernels_recurrent_pairs_dsp.py), the interpolation by SMUAD as tg_lstm_sigmoid_q12_v's
 * (2^8 in the top half: the entry's 2^24 less), the rounding's constant C = 128 - 2^23 added with those
 * 2^24 (one immediate) and the sign's two cases in one expression: (r + C) ^ s, 256 added where negative
 * (s << 8 subtracted), equals (r ^ s) + C + 2^24 (s < 0) since 2C = 256 - 2^24. */
static inline int32_t tg_lstm_tanh_scaled(int32_t v)
{
    const int32_t s = v >> 31;
    const uint32_t a = tg_dsp_usat16((v ^ s) - s);
    const uint32_t step = tg_sigmoid_steps_u32[a >> 8];
    const uint32_t r = (uint32_t)tg_dsp_smuad((int32_t)((a & 0xFFu) | (256u << 16)), (int32_t)step)
                       + (1u << 23) + 128u;
    return (int32_t)((r ^ (uint32_t)s) - ((uint32_t)s << 8)) >> 8;
}

/* tg_lstm_sigmoid_q12_v over the signed grid of tg_sigmoid_signed_u32 (the word at k = v >> 9, v = 3x): one SMLAD
 * of it with the fraction (v & 511, bottom half) and 2^9 (top half) accumulating v >> 31 (-1 on the negative
 * side, whose entries are mirrored), then (+ 2^24) >> 10: no |v| and no sign fix-up (9 instructions for 13). */
static inline int32_t tg_lstm_sigmoid_signed_v(int32_t v)
{
    const uint32_t step = tg_sigmoid_signed_mid[v >> 9];
    const int32_t r = tg_dsp_smlad((int32_t)(((uint32_t)v & 0x1FFu) | (512u << 16)), (int32_t)step, v >> 31);
    return (r + (1 << 24)) >> 10;
}

/* tg_lstm_tanh_scaled over the signed grid of tg_tanh_signed_u32: v clamped to [-65536, 65535] by SSAT #17
 * (the table's ends saturated), the word at v >> 8, one SMLAD with the fraction (v & 255) and 2^8 accumulating
 * v >> 31, then (+ 128) >> 8 (9 instructions for 13). */
static inline int32_t tg_lstm_tanh_signed(int32_t x)
{
    const int32_t v = tg_dsp_ssat17(x);
    const uint32_t step = tg_tanh_signed_mid[v >> 8];
    const int32_t r = tg_dsp_smlad((int32_t)(((uint32_t)v & 0xFFu) | (256u << 16)), (int32_t)step, v >> 31);
    return (r + 128) >> 8;
}

/* The unit update's activations (the sigmoid of v = 3x, the tanh of 3x): over the signed grids on the cores without TG_DUAL_ISSUE, else (the
 * Cortex-M7, whose dual issue hides the sign's instructions) over |v|. */
#if defined(TG_DUAL_ISSUE) && TG_DUAL_ISSUE
#define TG_LSTM_SIGMOID_V tg_lstm_sigmoid_q12_v
#define TG_LSTM_TANH tg_lstm_tanh_scaled
#else
#define TG_LSTM_SIGMOID_V tg_lstm_sigmoid_signed_v
#define TG_LSTM_TANH tg_lstm_tanh_signed
#endif

/* The unit's cell and hidden update from its 4 gates' pre-activations times 3 (v0..v3: each gate's
 * activation unrolled, independent chains side by side for the M7's dual issue); right: f * c, i * g and
 * tanh(c) * o's records all shift right (tg_lstm_right: no test per record where a constant 1), else 0;
 * clip: 0 where the cell is not clipped (p->cell_clip not tested), else 1. Returns the new hidden value,
 * saturated to int8 (as an int32: stored by STRB, no sign extension). */
__attribute__((always_inline)) static inline int32_t tg_lstm_cell_dsp(const tg_lstm_params_t *p,
                                                                     const tg_lstm_dsp_requant_t *q, int32_t v0,
                                                                     int32_t v1, int32_t v2, int32_t v3,
                                                                     int32_t tanh_round, int32_t right, int32_t clip,
                                                                     int16_t *c)
{
    const int32_t gate[4] = {TG_LSTM_SIGMOID_V(v0), TG_LSTM_SIGMOID_V(v1), TG_LSTM_TANH(v2), TG_LSTM_SIGMOID_V(v3)};
    int32_t cj, g, v;
    if (right) {
        cj = tg_dsp_ssat16_asr1(tg_lstm_requantize_right(gate[1] * *c, &q->forget));
        cj = TG_RNN_SAT16(cj + tg_dsp_ssat16_asr1(tg_lstm_requantize_right(gate[0] * gate[2], &q->cell)));
    } else {
        cj = TG_RNN_SAT16(tg_lstm_requantize(gate[1] * *c, &q->forget));
        cj = TG_RNN_SAT16(cj + TG_RNN_SAT16(tg_lstm_requantize(gate[0] * gate[2], &q->cell)));
    }
    if (clip && p->cell_clip > 0) {
        cj = cj > p->cell_clip ? p->cell_clip : (cj < -p->cell_clip ? -p->cell_clip : cj);
    }
    *c = (int16_t)cj;
    g = TG_LSTM_TANH((cj * p->tanh_mult + tanh_round) >> p->tanh_shift) * gate[3];
    v = p->hidden_zero_point
        + (right ? tg_lstm_requantize_right(g, &q->output) >> 1 : tg_lstm_requantize(g, &q->output));
    return tg_dsp_ssat8(v);
}

/* tg_lstm_unit_s8 over the unit's 8 accumulators (the gates' input products: gates 0 and 1's at acc,
 * 2 and 3's at acc23; their recurrent ones r0..r3, in registers where inlined): the 4 gates'
 * pre-activations (tg_lstm_pre2 by the call's kind of requantizations, kinds, else tg_lstm_pre_any), then
 * tg_lstm_cell_dsp (right, clip as it takes them). Returns the new hidden value. */
__attribute__((always_inline)) static inline int32_t tg_lstm_unit_dsp(const tg_lstm_params_t *p,
                                                                     const tg_lstm_dsp_requant_t *q,
                                                                     const int32_t *acc, const int32_t *acc23,
                                                                     int32_t r0, int32_t r1,
                                                                     int32_t r2, int32_t r3, int32_t tanh_round,
                                                                     int32_t kinds, int32_t right, int32_t clip,
                                                                     int16_t *c)
{
    int32_t r[4];
    if (kinds) {
        tg_lstm_pre2(q, acc, r0, r1, kinds, r, 0);
        tg_lstm_pre2(q, acc23, r2, r3, kinds, r, 2);
    } else {
        const int32_t xacc[4] = {acc[0], acc[1], acc23[0], acc23[1]}, racc[4] = {r0, r1, r2, r3};
        tg_lstm_pre_any(q, xacc, racc, r);
    }
    return tg_lstm_cell_dsp(p, q, r[0] * 3, r[1] * 3, r[2] * 3, r[3] * 3, tanh_round, right, clip, c);
}

/* Whether f * c, i * g and tanh(c) * o's records all shift right (tg_lstm_unit_dsp's right). */
static inline int32_t tg_lstm_right(const tg_lstm_dsp_requant_t *q)
{
    return q->forget.right1 >= 0 && q->cell.right1 >= 0 && q->output.right1 >= 0;
}

/* The call's kind of gate requantizations: TG_LSTM_SS where all shift right, TG_LSTM_PS where the input
 * side's do not shift and the recurrent side's shift right (tg_lstm_pre2), else 0 (tg_lstm_pre_any). */
static inline int32_t tg_lstm_kinds(const tg_lstm_dsp_requant_t *q)
{
    int32_t xs = 1, xp = 1, hs = 1, j;
    for (j = 0; j < 4; ++j) {
        xs &= q->gate[j][0].right1 >= 0;
        xp &= q->gate[j][0].right1 < 0;
        hs &= q->gate[j][1].right1 >= 0;
    }
    return hs ? (xs ? TG_LSTM_SS : (xp ? TG_LSTM_PS : 0)) : 0;
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
    const int32_t kinds = tg_lstm_kinds(q);

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
                const int32_t y = tg_lstm_unit_dsp(p, q, acc, acc + 2, acc[4], acc[5], acc[6], acc[7], tanh_round,
                                                   kinds, 0, 1, &c[j]);
                out[j] = h[j] = (int8_t)y;
            }
        }
    }
}

#endif /* TG_LSTM_S8_DSP_H */
