/*
 * The batch-1 fully connected kernels for ARMv7E-M: a layer of one row, where every weight
 * is used once per inference. tg_fully_connected_batch1_s8_dsp (the row widened once into
 * scratch) and tg_fully_connected_batch1_lean_s8_dsp (no scratch: each input word widened
 * as it is read). Both equal tg_fully_connected_s8 bit for bit on the layers the build gives
 * them (tinygen/kernels/fc_batch1_dsp.py: sums below 2^30). numpy twin:
 * tinygen.ref.kernels.fully_connected_s8.
 *
 * packed, built at build time, in blocks of 4 output rows (a last block of r < 4 rows holds
 * r of everything): the rows' biases with the input offset folded in, b' = bias + offset
 * sum_k w[k] (int32 each, one LDM), then per 4 values of depth the rows' weight words
 * w[o][k..k+3] side by side (16 bytes, one LDM; rows padded with zero weights to a multiple
 * of 4 values). The input is then widened without its offset: SXTB16 of an input word gives
 * the pair (x0, x2), SXTB16 ROR 8 (x1, x3), the order the same two instructions split a
 * weight word in, so one SXTB16 pair of a weight word serves its two SMLADs.
 *
 * A step of 4 values of depth for a block of 4 rows, with scratch (the row widened once per
 * call, 8 bytes per 4 values):
 *
 *     LDRD  xa, xb, [x], #8         the input pairs, shared by the 4 rows
 *     LDM   w!, {w0, w1, w2, w3}    the 4 rows' weight words
 *     4 x { SXTB16 t, wi, ROR #8;  SXTB16 wi, wi;  SMLAD ai, xa, wi, ai;  SMLAD ai, xb, t, ai }
 *
 * 18 instructions for 16 multiply-accumulates; without scratch LDR x + SXTB16 xa, x + SXTB16
 * xb, x, ROR #8 replace the LDRD: 20. The single-issue cores (M4, M33) read the words by single
 * LDRs back to back instead (TG_FC_B1_LOAD_W: a load after a load pipelines on the M4): 22 and 23
 * instructions, 23 and 24 cycles on the M4, 22 and 23 on the M33 (before the fitted extra per
 * load), where LDRD + LDM and LDR + LDM took 24 and 25 on the M4, 23 and 25 on the M33 (the lean
 * step's LDR x no longer stalls its SXTB16 there; tinygen.cycles): the lean kernel runs at the
 * old scratch kernel's speed. Steps unrolled by 8 there (SUBS + BNE per 128 MACs), by 4 on the
 * M7. The floor with int8 weights: each weight byte is loaded once and must be sign-extended, SXTB16 takes 2 bytes and
 * SMLAD 2 products, so 1 instruction (cycle) per MAC before any load; the loads (a quarter cycle
 * per MAC for the weights) and the loop add the rest.
 * 4 rows is the widest block: the 14 registers hold 4 accumulators, 2 input pairs, 4 weight
 * words, a temporary, 2 pointers and the count. Per output the requantization
 * (tg_fc_b1_out) is about 10 more: 2 per 64 MACs at depth 128.
 *
 * tg_fully_connected_batch1_w16_s8_dsp keeps the weights widened at build time instead
 * (tinygen/kernels/fc_batch1_dsp.py, fc_batch1_w16_packed: per step each row's two int16 pair
 * words (w0, w2), (w1, w3), twice the flash of the weights), so a step needs no SXTB16:
 *
 *     LDRD  xa, xb, [x], #8;  LDM w!, {4 words} (rows 0, 1);  4 SMLAD;  LDM w!, {4 words};  4 SMLAD
 *
 * 11 instructions for 16 multiply-accumulates (0.70 per MAC; 18 with single loads), where
 * the flash has room for it (--kernels auto weighs the bytes it adds: tinygen/kernels/auto_pick.py).
 *
 * tg_fully_connected_batch1_rowpair_s8_dsp and _rowpair_lean_s8_dsp keep each two rows' int8 weights
 * as int16 halfwords 256 b + a (as many bytes; fc_batch1_rowpair_packed): one SXTB16 per two SMLADs,
 * 18 and 19 instructions per 16 multiply-accumulates where their verdict serves
 * (tg_fully_connected_batch1_rowpair_s8_dsp.h holds their steps; the loops, tails and outputs are these).
 *
 * Loop order: the scratch kernel reads (widens) the whole input before writing any output,
 * so its output may overlap its input; the lean one interleaves reads and writes, so its
 * output must not. Needs __ARM_FEATURE_DSP (-mcpu=cortex-m4 / cortex-m7).
 */
#ifndef TG_FULLY_CONNECTED_BATCH1_S8_DSP_H
#define TG_FULLY_CONNECTED_BATCH1_S8_DSP_H

#include <arm_acle.h>
#include <stddef.h>
#include <stdint.h>

#include "tg_dsp_s8.h"
#include "tg_fully_connected_batch1_rowpair_s8_dsp.h"
#include "tg_fully_connected_batch1_steps_s8_dsp.h"
#include "tg_kernels.h"
#include "tg_mat_mult_pairs_s8_dsp.h"
#include "tg_mat_mult_s8_dsp.h"

/* Scratch bytes of tg_fully_connected_batch1_s8_dsp: the widened row, 8 bytes per 4 values. */
static inline int32_t tg_fully_connected_batch1_s8_dsp_buffer_size(int32_t in_features)
{
    return 2 * ((in_features + 3) & ~3) * (int32_t)sizeof(int16_t);
}

/* The row x (int8 [depth]) widened into dst (8-byte aligned); zeros past depth. */
static inline void tg_fc_b1_widen(const int8_t *x, int32_t depth, int32_t *dst)
{
    const int32_t body = depth & ~3;
    int32_t k;
    for (k = 0; k < body; k += 4) {
        const int32_t v = tg_dsp_load_s8x4(x + k);
        dst[0] = __sxtb16(v);
        dst[1] = tg_dsp_sxtb16_odd(v);
        dst += 2;
    }
    if (k < depth) {
        uint32_t u = 0;
        int32_t i;
        for (i = k; i < depth; ++i) {
            u |= (uint32_t)(uint8_t)x[i] << (8 * (i - k));
        }
        dst[0] = __sxtb16((int32_t)u);
        dst[1] = tg_dsp_sxtb16_odd((int32_t)u);
    }
}

/* how a step reads its operands: the int8 row (lean), the widened row, the widened row and int16 weights,
   the widened row and row-pair halfwords, the int8 row and row-pair halfwords */
#define TG_FC_B1_LEAN 0
#define TG_FC_B1_WIDENED 1
#define TG_FC_B1_W16 2
#define TG_FC_B1_PAIRS 3
#define TG_FC_B1_PAIRS_LEAN 4
/* whether the row is read widened (by the tails: the last out % 4 rows keep int8 weights) */
#define TG_FC_B1_ROW_WIDENED(kind) ((kind) != TG_FC_B1_LEAN && (kind) != TG_FC_B1_PAIRS_LEAN)

#define TG_FC_B1_LOOP(step)                                                                                  \
    __asm__ volatile("1:\n\t" step "subs %[n], %[n], #1\n\tbne 1b\n\t"                                       \
                     : [a0] "+r"(a0), [a1] "+r"(a1), [a2] "+r"(a2), [a3] "+r"(a3), [x] "+r"(xp), [w] "+r"(wp), \
                       [n] "+r"(n)                                                                           \
                     :                                                                                       \
                     : "r4", "r5", "r6", "r8", "r9", "r10", "r12", "cc", "memory")

/* a step 8, 4 or 1 times over, for the unrolled loops */
#define TG_FC_B1_X4(step) step step step step
#define TG_FC_B1_X8(step) TG_FC_B1_X4(step) TG_FC_B1_X4(step)
#define TG_FC_B1_X1(step) step
/* the lean row-pair steps 8, 4 or 1 times over: by pairs of steps under TG_FC_B1_LDM (one LDM of two
   input words, tg_fully_connected_batch1_rowpair_s8_dsp.h) */
#if defined(TG_FC_B1_LDM) && TG_FC_B1_LDM
#define TG_FC_B1_PAIRS_LEAN_X8 TG_FC_B1_X4(TG_FC_B1_STEP2_PAIRS_LEAN)
#define TG_FC_B1_PAIRS_LEAN_X4 TG_FC_B1_STEP2_PAIRS_LEAN TG_FC_B1_STEP2_PAIRS_LEAN
#else
#define TG_FC_B1_PAIRS_LEAN_X8 TG_FC_B1_X8(TG_FC_B1_STEP_PAIRS_LEAN)
#define TG_FC_B1_PAIRS_LEAN_X4 TG_FC_B1_X4(TG_FC_B1_STEP_PAIRS_LEAN)
#endif
#define TG_FC_B1_PAIRS_LEAN_X1 TG_FC_B1_STEP_PAIRS_LEAN

/* The loop of `n` turns of `times` (X8, X4 or X1) steps of the kind `widened`. */
#define TG_FC_B1_TURNS(times, widened)                                                                       \
    do {                                                                                                     \
        if ((widened) == TG_FC_B1_W16) {                                                                     \
            TG_FC_B1_LOOP(TG_FC_B1_##times(TG_FC_B1_STEP_W16));                                              \
        } else if ((widened) == TG_FC_B1_PAIRS) {                                                            \
            TG_FC_B1_LOOP(TG_FC_B1_##times(TG_FC_B1_STEP_PAIRS));                                            \
        } else if ((widened) == TG_FC_B1_PAIRS_LEAN) {                                                       \
            TG_FC_B1_LOOP(TG_FC_B1_PAIRS_LEAN_##times);                                                      \
        } else if (widened) {                                                                                \
            TG_FC_B1_LOOP(TG_FC_B1_##times(TG_FC_B1_STEP_WIDENED));                                          \
        } else {                                                                                             \
            TG_FC_B1_LOOP(TG_FC_B1_##times(TG_FC_B1_STEP_LEAN));                                             \
        }                                                                                                    \
    } while (0)

/* Steps a turn of the unrolled loop: 8 on the single-issue cores (M4, M33), whose taken branch
 * costs 3 cycles (2 and the fitted extra on the M33); 4 on the M7 (TG_DUAL_ISSUE), whose branch
 * costs little beside its dual issue, so that the 8 more step copies' flash (about 400 B a kernel)
 * buys no cycles there. */
#if defined(TG_DUAL_ISSUE) && TG_DUAL_ISSUE
#define TG_FC_B1_TURN_LOG2 2
#else
#define TG_FC_B1_TURN_LOG2 3
#endif

/* The block's 4 sums into a[0..3] from the accumulators a0..a3 (row pairs: row B's from its pair's two). */
#define TG_FC_B1_SUMS(widened, a)                                                                            \
    do {                                                                                                     \
        if ((widened) == TG_FC_B1_PAIRS || (widened) == TG_FC_B1_PAIRS_LEAN) {                               \
            (a)[0] = a1;                                                                                     \
            (a)[1] = TG_FC_B1_PAIR_B(a0, a1);                                                                \
            (a)[2] = a3;                                                                                     \
            (a)[3] = TG_FC_B1_PAIR_B(a2, a3);                                                                \
        } else {                                                                                             \
            (a)[0] = a0;                                                                                     \
            (a)[1] = a1;                                                                                     \
            (a)[2] = a2;                                                                                     \
            (a)[3] = a3;                                                                                     \
        }                                                                                                    \
    } while (0)

/*
 * A block of 4 rows: the sums b' + the rows' dot products with the input (widened: one of
 * TG_FC_B1_LEAN, _WIDENED, _W16) over `steps` steps of 4 values, into a[0..3]; *w advances
 * past the block. The loop unrolled by 8 takes steps / 8 turns (SUBS + BNE per 128 MACs: a
 * taken branch costs 3 cycles on the M4, 2 and the fitted extra on the M33), then one turn of
 * 4 steps where steps % 8 >= 4, then single steps; on the M7 (TG_FC_B1_TURN_LOG2) steps / 4
 * turns of 4, then single steps.
 */
static inline __attribute__((always_inline)) void tg_fc_b1_block4(const void *x, const int8_t **w, int32_t steps,
                                                                  int32_t widened, int32_t a[4])
{
    /* every register but sp and pc is taken: the operands are named, as the allocator
       finds no 7 free */
    register int32_t a0 __asm__("r0"), a1 __asm__("r1"), a2 __asm__("r2"), a3 __asm__("r3");
    register const void *xp __asm__("r7") = x;
    register const int8_t *wp __asm__("r11") = *w;
    register int32_t n __asm__("lr") = steps >> TG_FC_B1_TURN_LOG2;
    __asm__ volatile("ldmia %[w]!, {%[a0], %[a1], %[a2], %[a3]}"
                     : [a0] "=r"(a0), [a1] "=r"(a1), [a2] "=r"(a2), [a3] "=r"(a3), [w] "+r"(wp)
                     :
                     : "memory");
#if TG_FC_B1_TURN_LOG2 == 3
    if (n != 0) {
        TG_FC_B1_TURNS(X8, widened);
    }
    if ((steps & 4) != 0) {
        n = 1;
        TG_FC_B1_TURNS(X4, widened);
    }
#else
    if (n != 0) {
        TG_FC_B1_TURNS(X4, widened);
    }
#endif
    n = steps & 3;
    if (n != 0) {
        TG_FC_B1_TURNS(X1, widened);
    }
    TG_FC_B1_SUMS(widened, a);
    *w = wp;
}

/* The last block's r < 4 rows, in C: its r biases, then r words per step. */
static inline void tg_fc_b1_tail(const void *x, const int8_t *w, int32_t steps, int32_t widened, int32_t r,
                                 int32_t a[4])
{
    const int32_t *xw = (const int32_t *)x;
    const int8_t *xb = (const int8_t *)x;
    int32_t s, i;
    for (i = 0; i < r; ++i, w += 4) {
        a[i] = tg_dsp_load_s8x4(w);
    }
    for (s = 0; s < steps; ++s) {
        int32_t lo, hi;
        if (widened) {
            lo = xw[2 * s];
            hi = xw[2 * s + 1];
        } else {
            const int32_t v = tg_dsp_load_s8x4(xb + 4 * s);
            lo = __sxtb16(v);
            hi = tg_dsp_sxtb16_odd(v);
        }
        for (i = 0; i < r; ++i, w += 4) {
            const int32_t v = tg_dsp_load_s8x4(w);
            a[i] = __smlad(lo, __sxtb16(v), a[i]);
            a[i] = __smlad(hi, tg_dsp_sxtb16_odd(v), a[i]);
        }
    }
}

/* The same with int16 weights: per step r rows' two pair words (the widened row's pairs as they are). */
static inline void tg_fc_b1_tail_w16(const int32_t *x, const int8_t *w, int32_t steps, int32_t r, int32_t a[4])
{
    int32_t s, i;
    for (i = 0; i < r; ++i, w += 4) {
        a[i] = tg_dsp_load_s8x4(w);
    }
    for (s = 0; s < steps; ++s) {
        for (i = 0; i < r; ++i, w += 8) {
            a[i] = __smlad(x[2 * s], tg_dsp_load_s8x4(w), a[i]);
            a[i] = __smlad(x[2 * s + 1], tg_dsp_load_s8x4(w + 4), a[i]);
        }
    }
}

/*
 * The output quantization in locals (an int8 store may alias a struct field, locals it
 * cannot): round = 1 + 2 output_offset, the clamp, and `full` (a constant: the clamp is
 * the int8 range) for the folded mode.
 */
typedef struct {
    int32_t round, output_offset, act_min, act_max;
} tg_fc_b1_q_t;

/* One output from its sum a (|a| < 2^30), in requantization mode `mode` (tg_mat_mult_s8_dsp.h). */
static inline __attribute__((always_inline)) int8_t tg_fc_b1_out(int32_t a, int32_t m, int32_t shift,
                                                                 tg_fc_b1_q_t q, int32_t mode, int32_t full)
{
    if (TG_REQUANT_KIND(mode) == TG_REQUANT_FOLDED) {
        /* R = round 2^(n-1), n = -shift: ~shift = n - 1; the output zero point and n = 0 where the
           pairs round once (TG_REQUANT_ONCE, tg_mat_mult_s8_dsp.h) */
        const int32_t once = TG_REQUANT_ONCE_OF(mode);
        const int32_t r = once ? q.output_offset : (int32_t)((uint32_t)q.round << ~shift);
        /* arithmetic shifts of negative values: see tg_requant.h */
        int32_t y = tg_dsp_ssat8((tg_dsp_smmlar(a + a, m, r) + (TG_REQUANT_POS_OF(mode) ? 0 : a >> 31)) >>
                                 (once ? 0 : -shift));
        if (!full) {
            y = y < q.act_min ? q.act_min : y > q.act_max ? q.act_max : y;
        }
        return (int8_t)y;
    } else {
        const tg_mat_mult_out_t oq = {q.output_offset, full ? -128 : q.act_min, full ? 127 : q.act_max};
        return tg_mat_mult_out(a, m, shift, oq, mode);
    }
}

/* The last out % 4 rows' outputs, in the body of tg_fc_b1_rows (and tg_fc_b1_rows_ldm): its steps, cols, q, mode,
   full, widened, x, and w, multiplier, shift, out at the last block. */
#define TG_FC_B1_LAST()                                                                                      \
    if ((cols & 3) != 0) {                                                                                   \
        int32_t a[4], i;                                                                                     \
        if (widened == TG_FC_B1_W16) {                                                                       \
            tg_fc_b1_tail_w16((const int32_t *)x, w, steps, cols & 3, a);                                    \
        } else {                                                                                             \
            tg_fc_b1_tail(x, w, steps, TG_FC_B1_ROW_WIDENED(widened), cols & 3, a);                          \
        }                                                                                                    \
        for (i = 0; i < (cols & 3); ++i) {                                                                   \
            out[i] = tg_fc_b1_out(a[i], multiplier[i], shift[i], q, mode, full);                             \
        }                                                                                                    \
    }

/* The layer: blocks of 4 outputs, then the last out % 4. x: the widened row or the input. */
static inline __attribute__((always_inline)) void tg_fc_b1_rows(const tg_fully_connected_params_t *p,
                                                                 int32_t mode, int32_t full, int32_t widened,
                                                                 const void *x, const int8_t *w,
                                                                 const int32_t *multiplier, const int8_t *shift,
                                                                 int8_t *out)
{
    const int32_t steps = (p->in_features + 3) >> 2, cols = p->out_features;
    const tg_fc_b1_q_t q = {1 + 2 * p->output_offset, p->output_offset, p->act_min, p->act_max};
    int8_t *const end = out + (cols & ~3);
#pragma GCC unroll 1
    for (; out != end; out += 4, multiplier += 4, shift += 4) {
        int32_t a[4];
        tg_fc_b1_block4(x, &w, steps, widened, a);
        out[0] = tg_fc_b1_out(a[0], multiplier[0], shift[0], q, mode, full);
        out[1] = tg_fc_b1_out(a[1], multiplier[1], shift[1], q, mode, full);
        out[2] = tg_fc_b1_out(a[2], multiplier[2], shift[2], q, mode, full);
        out[3] = tg_fc_b1_out(a[3], multiplier[3], shift[3], q, mode, full);
    }
    TG_FC_B1_LAST();
}

#if defined(TG_FC_B1_LDM) && TG_FC_B1_LDM
/* the Cortex-M4 boards' loop over the blocks (tg_fc_b1_rows_ldm), the only one that reads a
   TG_REQUANT_UNIFORM layer's multiplier and shift once (TG_FC_B1_UNIFORM) */
#include "tg_fully_connected_batch1_ldm_s8_dsp.h"
#define TG_FC_B1_ROWS_OF tg_fc_b1_rows_ldm
#define TG_FC_B1_UNIFORM 1
#else
/* every other loop runs a TG_REQUANT_UNIFORM layer as the folded one it is: the plain variants serve it,
   so a model with layers of both kinds links one copy, not two of the same code */
#define TG_FC_B1_ROWS_OF tg_fc_b1_rows
#define TG_FC_B1_UNIFORM 0
#endif

/*
 * The layer after the input is in place (widened or not), per requantization mode and
 * whether the clamp is the int8 range: out of line, one copy per variant a model uses,
 * shared by its layers.
 */
#define TG_FC_B1_ROWS(name, mode, full, widened)                                                             \
    static __attribute__((noinline, unused)) void name(const tg_fully_connected_params_t *p, const void *x,  \
                                                       const int8_t *w, const int32_t *multiplier,           \
                                                       const int8_t *shift, int8_t *out)                     \
    {                                                                                                        \
        TG_FC_B1_ROWS_OF(p, mode, full, widened, x, w, multiplier, shift, out);                              \
    }
/* The 12 variants of a kind of step (TG_FC_B1_LEAN ...), named v##mode[_uni][_full] (_uni: TG_REQUANT_UNIFORM). */
#define TG_FC_B1_VARIANTS(v, widened)                                                                        \
    TG_FC_B1_ROWS(v##folded, TG_REQUANT_FOLDED, 0, widened)                                                  \
    TG_FC_B1_ROWS(v##folded_full, TG_REQUANT_FOLDED, 1, widened)                                             \
    TG_FC_B1_ROWS(v##folded_pos, TG_REQUANT_FOLDED | TG_REQUANT_POS, 0, widened)                             \
    TG_FC_B1_ROWS(v##folded_pos_full, TG_REQUANT_FOLDED | TG_REQUANT_POS, 1, widened)                        \
    TG_FC_B1_ROWS(v##once, TG_REQUANT_FOLDED | TG_REQUANT_POS | TG_REQUANT_ONCE, 0, widened)                 \
    TG_FC_B1_ROWS(v##once_full, TG_REQUANT_FOLDED | TG_REQUANT_POS | TG_REQUANT_ONCE, 1, widened)            \
    TG_FC_B1_ROWS(v##bounded, 1, 0, widened)                                                                 \
    TG_FC_B1_ROWS(v##general, 0, 0, widened)                                                                 \
    TG_FC_B1_ROWS(v##folded_uni, TG_REQUANT_FOLDED | TG_REQUANT_UNIFORM, 0, widened)                         \
    TG_FC_B1_ROWS(v##folded_uni_full, TG_REQUANT_FOLDED | TG_REQUANT_UNIFORM, 1, widened)                    \
    TG_FC_B1_ROWS(v##folded_pos_uni, TG_REQUANT_FOLDED | TG_REQUANT_POS | TG_REQUANT_UNIFORM, 0, widened)    \
    TG_FC_B1_ROWS(v##folded_pos_uni_full, TG_REQUANT_FOLDED | TG_REQUANT_POS | TG_REQUANT_UNIFORM, 1, widened)
TG_FC_B1_VARIANTS(tg_fc_b1_, TG_FC_B1_WIDENED)
TG_FC_B1_VARIANTS(tg_fc_b1_lean_, TG_FC_B1_LEAN)
TG_FC_B1_VARIANTS(tg_fc_b1_w16_, TG_FC_B1_W16)
TG_FC_B1_VARIANTS(tg_fc_b1_pairs_, TG_FC_B1_PAIRS)
TG_FC_B1_VARIANTS(tg_fc_b1_pairs_lean_, TG_FC_B1_PAIRS_LEAN)

/* Calls variant v##kind, or v##kind##_full where the clamp is the int8 range (full_). */
#define TG_FC_B1_CALL_FULL(v, kind, full_, p, ...) ((full_) ? v##kind##_full(p, __VA_ARGS__) : v##kind(p, __VA_ARGS__))

/* Calls the variant of prefix `v` for the layer's mode and clamp. */
#define TG_FC_B1_DISPATCH(v, p, bounded, ...)                                                                \
    do {                                                                                                     \
        const int32_t full_ = (p)->act_min == -128 && (p)->act_max == 127;                                   \
        if (!(bounded)) {                                                                                    \
            v##general(p, __VA_ARGS__);                                                                      \
        } else if (TG_REQUANT_KIND(bounded) != TG_REQUANT_FOLDED) {                                          \
            v##bounded(p, __VA_ARGS__);                                                                      \
        } else if (TG_REQUANT_ONCE_OF(bounded)) {                                                            \
            TG_FC_B1_CALL_FULL(v, once, full_, p, __VA_ARGS__);                                              \
        } else if (TG_FC_B1_UNIFORM && TG_REQUANT_POS_OF(bounded) && TG_REQUANT_UNIFORM_OF(bounded)) {       \
            TG_FC_B1_CALL_FULL(v, folded_pos_uni, full_, p, __VA_ARGS__);                                    \
        } else if (TG_REQUANT_POS_OF(bounded)) {                                                             \
            TG_FC_B1_CALL_FULL(v, folded_pos, full_, p, __VA_ARGS__);                                        \
        } else if (TG_FC_B1_UNIFORM && TG_REQUANT_UNIFORM_OF(bounded)) {                                     \
            TG_FC_B1_CALL_FULL(v, folded_uni, full_, p, __VA_ARGS__);                                        \
        } else {                                                                                             \
            TG_FC_B1_CALL_FULL(v, folded, full_, p, __VA_ARGS__);                                            \
        }                                                                                                    \
    } while (0)

/*
 * The entry points: input: int8 [in_features] (rows == 1); packed: tinygen/kernels/fc_batch1_dsp.py's
 * layout of the kernel; multiplier, shift: [out_features]; scratch:
 * tg_fully_connected_batch1_s8_dsp_buffer_size (in_features) bytes, 8-byte aligned; output: int8
 * [out_features]. `bounded`: the build's requantization verdict (tinygen.kernels.specialize: GENERAL,
 * BOUNDED or FOLDED, with POS, and ONCE). A specialized layer calls these with its constants.
 * TG_FC_B1_ENTRY: the row widened into scratch first, then the variants of prefix v;
 * TG_FC_B1_ENTRY_LEAN: no scratch, the output must not overlap the input.
 */
#define TG_FC_B1_ENTRY(name, v)                                                                              \
    static inline __attribute__((always_inline)) void name(                                                  \
        const tg_fully_connected_params_t *p, int32_t bounded, const int8_t *input, const int8_t *packed,    \
        const int32_t *multiplier, const int8_t *shift, int8_t *scratch, int8_t *output)                     \
    {                                                                                                        \
        int32_t *x = (int32_t *)(void *)scratch;                                                             \
        tg_fc_b1_widen(input, p->in_features, x);                                                            \
        TG_FC_B1_DISPATCH(v, p, bounded, x, packed, multiplier, shift, output);                              \
    }
#define TG_FC_B1_ENTRY_LEAN(name, v)                                                                         \
    static inline __attribute__((always_inline)) void name(                                                  \
        const tg_fully_connected_params_t *p, int32_t bounded, const int8_t *input, const int8_t *packed,    \
        const int32_t *multiplier, const int8_t *shift, int8_t *output)                                      \
    {                                                                                                        \
        TG_FC_B1_DISPATCH(v, p, bounded, input, packed, multiplier, shift, output);                          \
    }
TG_FC_B1_ENTRY(tg_fully_connected_batch1_s8_dsp_inline, tg_fc_b1_)
TG_FC_B1_ENTRY_LEAN(tg_fully_connected_batch1_lean_s8_dsp_inline, tg_fc_b1_lean_)
/* the packed constant fc_batch1_w16_packed's (int16 weights) */
TG_FC_B1_ENTRY(tg_fully_connected_batch1_w16_s8_dsp_inline, tg_fc_b1_w16_)
/* the packed constant fc_batch1_rowpair_packed's (row-pair halfwords, tg_fully_connected_batch1_rowpair_s8_dsp.h) */
TG_FC_B1_ENTRY(tg_fully_connected_batch1_rowpair_s8_dsp_inline, tg_fc_b1_pairs_)
TG_FC_B1_ENTRY_LEAN(tg_fully_connected_batch1_rowpair_lean_s8_dsp_inline, tg_fc_b1_pairs_lean_)

#endif /* TG_FULLY_CONNECTED_BATCH1_S8_DSP_H */
