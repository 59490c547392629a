/*
 * The batch-1 fully connected layer's loop over its blocks of 4 rows under TG_FC_B1_LDM=1 (the
 * Cortex-M4 boards' cflags; tg_fully_connected_batch1_s8_dsp.h includes this header there, in place
 * of its own tg_fc_b1_rows): the same steps and sums, arranged for the M4's single-issue pipeline,
 * where the calibrated model charges every executed single load about a cycle more and every branch
 * a little more (tinygen/cycles/fit.py; cortex_m4.FIT):
 *
 * - the steps' counts (turns of 8, a turn of 4, single steps) worked out once per call, and the turn
 *   of 4 and the single steps tested once per block, out of the way of a depth that needs neither;
 * - the lean row-pair steps by pairs (one LDM of two input words) where the input is word-aligned,
 *   else every step single (an input at any address stays legal);
 * - the folded requantization of a block's 4 outputs in one asm body (tg_fc_b1_out4_ldm): the 4
 *   multipliers by one LDM, the 4 int8 shifts by one word, whose complement holds n - 1 in each
 *   byte (n = -shift in [1, 31] where the layer folds: tinygen.kernels.specialize.requant_bounded),
 *   so a register shift by its low byte gives R = round 2^(n-1), and y = SSAT(v >> (n-1), ASR #1) =
 *   SSAT(v >> n); the 4 bytes stored as one word, clamped by SSUB8 / SEL where the clamp is not the
 *   int8 range: 5 instructions an output (and 3 shifts of the shifts' word a block) where the C
 *   form takes 10 and reloads its constants from the stack;
 * - where every block is full, the requantization folded and the depth whole turns of 8 steps (or under
 *   8 steps, or an unaligned lean input: single steps only), the whole layer in one asm body
 *   (tg_fc_b1_layer_ldm): the blocks, their steps and outputs with the loop's state in a frame of locals
 *   on the stack, no compiler spill or register move between them (MLPerf AD on the F446RE: 445,759 ->
 *   439,611 estimated cycles), and where the layer has one multiplier and shift (TG_REQUANT_UNIFORM) those
 *   kept in the frame, not read per block (431,529).
 *
 * Bit for bit the outputs of tg_fc_b1_rows (tg_fc_b1_out's arithmetic).
 */
#ifndef TG_FULLY_CONNECTED_BATCH1_LDM_S8_DSP_H
#define TG_FULLY_CONNECTED_BATCH1_LDM_S8_DSP_H

#include <string.h>

/* (included by tg_fully_connected_batch1_s8_dsp.h after TG_FC_B1_LAST and the helpers it uses) */

/*
 * A block of 4 rows as tg_fc_b1_block4 computes it, over `turns` turns of 8 steps, then (where `rest`)
 * `four` turns of 4 (0 or 1) and `ones` single steps.
 */
static inline __attribute__((always_inline)) void tg_fc_b1_block4_ldm(const void *x, const int8_t **w,
                                                                      int32_t turns, int32_t rest, int32_t four,
                                                                      int32_t ones, int32_t widened, int32_t a[4])
{
    /* every register but sp and pc is taken (tg_fc_b1_block4) */
    register int32_t a0 __asm__("r0"), a1 __asm__("r1"), a2 __asm__("r2"), a3 __asm__("r3");
    register const void *xp __asm__("r7") = x;
    register const int8_t *wp __asm__("r11") = *w;
    register int32_t n __asm__("lr") = turns;
    __asm__ volatile("ldmia %[w]!, {%[a0], %[a1], %[a2], %[a3]}"
                     : [a0] "=r"(a0), [a1] "=r"(a1), [a2] "=r"(a2), [a3] "=r"(a3), [w] "+r"(wp)
                     :
                     : "memory");
    if (__builtin_expect(n != 0, 1)) {
        TG_FC_B1_TURNS(X8, widened);
    }
    if (__builtin_expect(rest != 0, 0)) {
        if (four != 0) {
            n = 1;
            TG_FC_B1_TURNS(X4, widened);
        }
        n = ones;
        if (n != 0) {
            TG_FC_B1_TURNS(X1, widened);
        }
    }
    TG_FC_B1_SUMS(widened, a);
    *w = wp;
}

/* one output of tg_fc_b1_out4_ldm: its sum `acc` doubled, SMMLAR by its multiplier `m` and R = round
   2^(n-1) (r12) by `mla` (with the sign's ADD or without: TG_FC_B1_SIGN, _POS), then >> (n - 1) and
   SSAT's ASR #1; r9's low byte: n - 1 */
#define TG_FC_B1_OUT_SHIFT(acc, m, mla)                                                                      \
    "lsl r12, %[round], r9\n\tadd %[" acc "], %[" acc "], %[" acc "]\n\t" mla(acc, m)                          \
    "asr %[" acc "], %[" acc "], r9\n\tssat %[" acc "], #8, %[" acc "], asr #1\n\t"
#define TG_FC_B1_POS(acc, m) "smmlar %[" acc "], %[" acc "], " m ", r12\n\t"
/* (2 a >> 31: a's sign, |a| < 2^30) */
#define TG_FC_B1_SIGN(acc, m) "smmlar r12, %[" acc "], " m ", r12\n\tadd %[" acc "], r12, %[" acc "], asr #31\n\t"
/* the 4 outputs, r9 the complemented shifts (n - 1 per byte), shifted to the next one's between them */
#define TG_FC_B1_OUTS_SHIFT(mla)                                                                             \
    "ldmia %[m]!, {r4, r5, r6, r8}\n\tldr r9, [%[s]], #4\n\tmvn r9, r9\n\t"                                    \
    TG_FC_B1_OUT_SHIFT("a0", "r4", mla) "lsr r9, r9, #8\n\t" TG_FC_B1_OUT_SHIFT("a1", "r5", mla)              \
    "lsr r9, r9, #8\n\t" TG_FC_B1_OUT_SHIFT("a2", "r6", mla) "lsr r9, r9, #8\n\t"                              \
    TG_FC_B1_OUT_SHIFT("a3", "r8", mla) TG_FC_B1_PACK4
/* where the pairs round once (TG_REQUANT_ONCE): SMMLAR with the output zero point, n = 0 */
#define TG_FC_B1_OUT_ONCE(acc, m)                                                                            \
    "add %[" acc "], %[" acc "], %[" acc "]\n\tsmmlar %[" acc "], %[" acc "], " m ", %[round]\n\t"              \
    "ssat %[" acc "], #8, %[" acc "]\n\t"
#define TG_FC_B1_OUTS_ONCE                                                                                   \
    "ldmia %[m]!, {r4, r5, r6, r8}\n\t" TG_FC_B1_OUT_ONCE("a0", "r4") TG_FC_B1_OUT_ONCE("a1", "r5")            \
    TG_FC_B1_OUT_ONCE("a2", "r6") TG_FC_B1_OUT_ONCE("a3", "r8") TG_FC_B1_PACK4
/* the 4 saturated outputs' low bytes into a0 */
#define TG_FC_B1_PACK4 "bfi %[a0], %[a1], #8, #8\n\tbfi %[a0], %[a2], #16, #8\n\tbfi %[a0], %[a3], #24, #8\n\t"

/*
 * The 4 outputs of a block in a folded mode (TG_REQUANT_FOLDED, with POS or POS | ONCE) from its sums
 * a[0..3], as 4 int8 bytes in a word (the first in the low byte); *m and *s advance past the block's 4
 * multipliers and shifts. round: 1 + 2 output_offset (the output zero point where ONCE).
 */
static inline __attribute__((always_inline)) uint32_t tg_fc_b1_out4_ldm(const int32_t a[4], const int32_t **m,
                                                                        const int8_t **s, int32_t round,
                                                                        int32_t mode)
{
    int32_t a0 = a[0], a1 = a[1], a2 = a[2], a3 = a[3];
    const int32_t *mp = *m;
    const int8_t *sp = *s;
    if (TG_REQUANT_ONCE_OF(mode)) {
        __asm__(TG_FC_B1_OUTS_ONCE
                : [a0] "+r"(a0), [a1] "+r"(a1), [a2] "+r"(a2), [a3] "+r"(a3), [m] "+r"(mp)
                : [round] "r"(round)
                : "r4", "r5", "r6", "r8", "memory");
    } else if (TG_REQUANT_POS_OF(mode)) {
        __asm__(TG_FC_B1_OUTS_SHIFT(TG_FC_B1_POS)
                : [a0] "+r"(a0), [a1] "+r"(a1), [a2] "+r"(a2), [a3] "+r"(a3), [m] "+r"(mp), [s] "+r"(sp)
                : [round] "r"(round)
                : "r4", "r5", "r6", "r8", "r9", "r12", "memory");
    } else {
        __asm__(TG_FC_B1_OUTS_SHIFT(TG_FC_B1_SIGN)
                : [a0] "+r"(a0), [a1] "+r"(a1), [a2] "+r"(a2), [a3] "+r"(a3), [m] "+r"(mp), [s] "+r"(sp)
                : [round] "r"(round)
                : "r4", "r5", "r6", "r8", "r9", "r12", "memory");
    }
    *m = mp;
    *s = TG_REQUANT_ONCE_OF(mode) ? sp + 4 : sp;
    return (uint32_t)a0;
}

/* The 4 int8 bytes of y clamped to [lo, hi] (each byte of lo and hi the bound): SSUB8 sets GE where the
   first operand's byte is at least the second's, SEL takes those bytes from its first operand. */
static inline uint32_t tg_fc_b1_clamp4(uint32_t y, uint32_t lo, uint32_t hi)
{
    uint32_t t;
    __asm__("ssub8 %[t], %[y], %[lo]\n\tsel %[y], %[y], %[lo]\n\tssub8 %[t], %[hi], %[y]\n\tsel %[y], %[y], %[hi]"
            : [y] "+r"(y), [t] "=&r"(t)
            : [lo] "r"(lo), [hi] "r"(hi)
            : "cc");
    return y;
}

/*
 * The whole layer in one asm body where its every block is a full one (out % 4 == 0), its depth whole turns of
 * 8 steps and its requantization folded (tg_fc_b1_rows_ldm takes it there): the block loop's state lives in
 * a frame of locals (tg_fc_b1_frame_t, on the C stack, so the compiler's stack figures count it) that the
 * body reads and writes by LDRD / LDR / STRD between the blocks as memory operands (sp-relative: every other
 * register is taken), so that no compiler spill or register move sits between a block's last step and the
 * next block's first (about 60 cycles a block on the M4 with the fitted cycles, where the C loop around
 * tg_fc_b1_block4_ldm and tg_fc_b1_out4_ldm takes about 90).
 */
typedef struct {
    const int32_t *m;       /* the next block's multipliers (LDRD / STRD with s) */
    const int8_t *s;        /* the next block's shifts */
    const int32_t *m_end;   /* past the last block's multipliers (LDRD with round) */
    int32_t round;          /* 1 + 2 output_offset, or the output zero point where ONCE */
    const void *x;          /* the input (widened or not), each block's start (LDRD with turns) */
    int32_t turns;          /* the loop's turns a block (of 8 steps, or of one) */
    int8_t *out;            /* the next block's outputs (LDRD with out_end where UNIFORM) */
    int8_t *out_end;        /* past the last block's outputs */
    uint32_t lo, hi;        /* the clamp's bytes (LDRD) */
    /* a layer of one multiplier and shift (TG_REQUANT_UNIFORM): them, as the folded form takes them */
    int32_t mult;           /* the multiplier (LDRD with nm1) */
    int32_t nm1;            /* n - 1 (n = -shift) */
    int32_t r;              /* R = round 2^(n-1) */
} tg_fc_b1_frame_t;

/* the block's 4 sums in fixed registers: rows 0..3 in r1, r0, r3, r2 (row pairs: row B = (acc1 - acc2) >> 8,
   tg_fully_connected_batch1_rowpair_s8_dsp.h) or r0..r3 */
#define TG_FC_B1_SUMS_PAIRS "sub r0, r0, r1\n\tasr r0, r0, #8\n\tsub r2, r2, r3\n\tasr r2, r2, #8\n\t"
/* one output: POS (no sign's ADD), SIGN, ONCE (tg_fc_b1_out4_ldm's arithmetic); lr: round, r9's low byte:
   n - 1, r10 a temporary */
#define TG_FC_B1_L_POS(acc, m)                                                                               \
    "lsl r10, lr, r9\n\tadd " acc ", " acc ", " acc "\n\tsmmlar " acc ", " acc ", " m ", r10\n\t"             \
    "asr " acc ", " acc ", r9\n\tssat " acc ", #8, " acc ", asr #1\n\t"
#define TG_FC_B1_L_SIGN(acc, m)                                                                              \
    "lsl r10, lr, r9\n\tadd " acc ", " acc ", " acc "\n\tsmmlar r10, " acc ", " m ", r10\n\t"                 \
    "add " acc ", r10, " acc ", asr #31\n\tasr " acc ", " acc ", r9\n\tssat " acc ", #8, " acc ", asr #1\n\t"
#define TG_FC_B1_L_ONCE(acc, m) "add " acc ", " acc ", " acc "\n\tsmmlar " acc ", " acc ", " m ", lr\n\tssat " acc ", #8, " acc "\n\t"
/* the 4 outputs of rows r0..r3 (register names) packed into r0's register: the frame's m, s, m_end, round by
   two LDRDs (r7, r10, r12, lr), the shifts word complemented; r7: the next block's multipliers, r12 m_end */
#define TG_FC_B1_L_OUTS_SHIFT(out, r0, r1, r2, r3)                                                           \
    "ldrd r7, r10, %[fm]\n\tldrd r12, lr, %[fe]\n\tldmia r7!, {r4, r5, r6, r8}\n\tldr r9, [r10], #4\n\t"         \
    "strd r7, r10, %[fm]\n\tmvn r9, r9\n\t" out(r0, "r4") "lsr r9, r9, #8\n\t" out(r1, "r5")                 \
    "lsr r9, r9, #8\n\t" out(r2, "r6") "lsr r9, r9, #8\n\t" out(r3, "r8")                                    \
    "bfi " r0 ", " r1 ", #8, #8\n\tbfi " r0 ", " r2 ", #16, #8\n\tbfi " r0 ", " r3 ", #24, #8\n\t"
#define TG_FC_B1_L_OUTS_ONCE(out, r0, r1, r2, r3)                                                            \
    "ldr r7, %[fm]\n\tldrd r12, lr, %[fe]\n\tldmia r7!, {r4, r5, r6, r8}\n\tstr r7, %[fm]\n\t"              \
    out(r0, "r4") out(r1, "r5") out(r2, "r6") out(r3, "r8")                                                  \
    "bfi " r0 ", " r1 ", #8, #8\n\tbfi " r0 ", " r2 ", #16, #8\n\tbfi " r0 ", " r3 ", #24, #8\n\t"
/* the same where the layer has one multiplier and shift (TG_REQUANT_UNIFORM): r4 the multiplier, r9 n - 1, r12
   R, read from the frame by LDRD + LDR, nothing shifted or loaded per output */
#define TG_FC_B1_U_POS(acc, m)                                                                               \
    "add " acc ", " acc ", " acc "\n\tsmmlar " acc ", " acc ", r4, r12\n\tasr " acc ", " acc ", r9\n\t"             \
    "ssat " acc ", #8, " acc ", asr #1\n\t"
#define TG_FC_B1_U_SIGN(acc, m)                                                                              \
    "add " acc ", " acc ", " acc "\n\tsmmlar r10, " acc ", r4, r12\n\tadd " acc ", r10, " acc ", asr #31\n\t"        \
    "asr " acc ", " acc ", r9\n\tssat " acc ", #8, " acc ", asr #1\n\t"
#define TG_FC_B1_U_OUTS(out, r0, r1, r2, r3)                                                                 \
    "ldrd r4, r9, %[fu]\n\tldr r12, %[fr]\n\t" out(r0, "") out(r1, "") out(r2, "") out(r3, "")                 \
    "bfi " r0 ", " r1 ", #8, #8\n\tbfi " r0 ", " r2 ", #16, #8\n\tbfi " r0 ", " r3 ", #24, #8\n\t"
/* the packed word in `y` clamped to the frame's bytes (SSUB8 / SEL: tg_fc_b1_clamp4) */
#define TG_FC_B1_L_CLAMP(y)                                                                                  \
    "ldrd r4, r5, %[fl]\n\tssub8 r6, " y ", r4\n\tsel " y ", " y ", r4\n\tssub8 r6, r5, " y "\n\t"        \
    "sel " y ", " y ", r5\n\t"
/* the word stored, the next block or the end (r7: the next block's multipliers, r12: m_end; where UNIFORM,
   the outputs' pointer against out_end) */
#define TG_FC_B1_L_STORE(y)                                                                                  \
    "ldr r4, %[fo]\n\tstr " y ", [r4], #4\n\tstr r4, %[fo]\n\tcmp r7, r12\n\tbne 1b\n\t"
#define TG_FC_B1_U_STORE(y)                                                                                  \
    "ldrd r4, r5, %[fo]\n\tstr " y ", [r4], #4\n\tstr r4, %[fo]\n\tcmp r4, r5\n\tbne 1b\n\t"

/* The layer's body: per block the biases, `turns` turns of the 8 steps `steps`, the sums
   (`sums`), the outputs (`outs`: rows in registers r0..r3, packed into the first), the clamp (`clamp`). */
#define TG_FC_B1_LAYER(steps, sums, outs, clamp, y, store)                                                   \
    __asm__ volatile("1:\n\tldrd %[x], %[n], %[fx]\n\tldmia %[w]!, {%[a0], %[a1], %[a2], %[a3]}\n\t"            \
                     "2:\n\t" steps "subs %[n], %[n], #1\n\tbne 2b\n\t" sums outs clamp store(y)              \
                     : [a0] "=&r"(a0), [a1] "=&r"(a1), [a2] "=&r"(a2), [a3] "=&r"(a3), [x] "+r"(xp), [w] "+r"(wp), \
                       [n] "+r"(n), [fm] "+m"(frame->m), [fo] "+m"(frame->out)                                \
                     : [fe] "m"(frame->m_end), [fx] "m"(frame->x), [fl] "m"(frame->lo), [fu] "m"(frame->mult),  \
                       [fr] "m"(frame->r)                                                                     \
                     : "r4", "r5", "r6", "r8", "r9", "r10", "r12", "cc", "memory")
/* the clamp where it is not the int8 range */
#define TG_FC_B1_LAYER_CLAMPED(full, steps, sums, outs, y, store)                                            \
    do {                                                                                                     \
        if (full) {                                                                                          \
            TG_FC_B1_LAYER(steps, sums, outs, "", y, store);                                                 \
        } else {                                                                                             \
            TG_FC_B1_LAYER(steps, sums, outs, TG_FC_B1_L_CLAMP(y), y, store);                                \
        }                                                                                                    \
    } while (0)
/* the requantization body by mode */
#define TG_FC_B1_LAYER_MODES(mode, full, steps, sums, r0, r1, r2, r3)                                        \
    do {                                                                                                     \
        if (TG_REQUANT_ONCE_OF(mode)) {                                                                      \
            TG_FC_B1_LAYER_CLAMPED(full, steps, sums, TG_FC_B1_L_OUTS_ONCE(TG_FC_B1_L_ONCE, r0, r1, r2, r3), r0, \
                                   TG_FC_B1_L_STORE);                                                        \
        } else if (TG_REQUANT_UNIFORM_OF(mode) && TG_REQUANT_POS_OF(mode)) {                                 \
            TG_FC_B1_LAYER_CLAMPED(full, steps, sums, TG_FC_B1_U_OUTS(TG_FC_B1_U_POS, r0, r1, r2, r3), r0,     \
                                   TG_FC_B1_U_STORE);                                                        \
        } else if (TG_REQUANT_UNIFORM_OF(mode)) {                                                            \
            TG_FC_B1_LAYER_CLAMPED(full, steps, sums, TG_FC_B1_U_OUTS(TG_FC_B1_U_SIGN, r0, r1, r2, r3), r0,    \
                                   TG_FC_B1_U_STORE);                                                        \
        } else if (TG_REQUANT_POS_OF(mode)) {                                                                \
            TG_FC_B1_LAYER_CLAMPED(full, steps, sums, TG_FC_B1_L_OUTS_SHIFT(TG_FC_B1_L_POS, r0, r1, r2, r3), r0, \
                                   TG_FC_B1_L_STORE);                                                        \
        } else {                                                                                             \
            TG_FC_B1_LAYER_CLAMPED(full, steps, sums, TG_FC_B1_L_OUTS_SHIFT(TG_FC_B1_L_SIGN, r0, r1, r2, r3), r0, \
                                   TG_FC_B1_L_STORE);                                                        \
        }                                                                                                    \
    } while (0)
/* the row-pair kinds' sums and rows, the others' */
#define TG_FC_B1_LAYER_PAIRS(mode, full, steps) TG_FC_B1_LAYER_MODES(mode, full, steps, TG_FC_B1_SUMS_PAIRS, "r1", "r0", "r3", "r2")
#define TG_FC_B1_LAYER_ROWS(mode, full, steps) TG_FC_B1_LAYER_MODES(mode, full, steps, "", "r0", "r1", "r2", "r3")

/* the layer's steps by kind, `times` (X8 or X1) steps a turn */
#define TG_FC_B1_LAYER_KINDS(mode, full, widened, times)                                                     \
    do {                                                                                                     \
        if ((widened) == TG_FC_B1_W16) {                                                                     \
            TG_FC_B1_LAYER_ROWS(mode, full, TG_FC_B1_##times(TG_FC_B1_STEP_W16));                            \
        } else if ((widened) == TG_FC_B1_PAIRS) {                                                            \
            TG_FC_B1_LAYER_PAIRS(mode, full, TG_FC_B1_##times(TG_FC_B1_STEP_PAIRS));                         \
        } else if ((widened) == TG_FC_B1_PAIRS_LEAN) {                                                       \
            TG_FC_B1_LAYER_PAIRS(mode, full, TG_FC_B1_PAIRS_LEAN_##times);                                   \
        } else if (widened) {                                                                                \
            TG_FC_B1_LAYER_ROWS(mode, full, TG_FC_B1_##times(TG_FC_B1_STEP_WIDENED));                        \
        } else {                                                                                             \
            TG_FC_B1_LAYER_ROWS(mode, full, TG_FC_B1_##times(TG_FC_B1_STEP_LEAN));                           \
        }                                                                                                    \
    } while (0)

/* The layer in a folded mode, every block full, frame->turns (> 0) turns of 8 steps a block (the input
   word-aligned where the steps read it by LDM) or, where `singles`, that many single steps: tg_fc_b1_rows_ldm's
   blocks and outputs, bit for bit. */
static inline __attribute__((always_inline)) void tg_fc_b1_layer_ldm(tg_fc_b1_frame_t *frame, const int8_t *w,
                                                                      int32_t mode, int32_t full, int32_t widened,
                                                                      int32_t singles)
{
    register int32_t a0 __asm__("r0"), a1 __asm__("r1"), a2 __asm__("r2"), a3 __asm__("r3");
    register const void *xp __asm__("r7") = 0;
    register const int8_t *wp __asm__("r11") = w;
    register int32_t n __asm__("lr") = 0;
    if (singles) {
        TG_FC_B1_LAYER_KINDS(mode, full, widened, X1);
    } else {
        TG_FC_B1_LAYER_KINDS(mode, full, widened, X8);
    }
    (void)a0, (void)a1, (void)a2, (void)a3;
}

/* The layer as tg_fc_b1_rows computes it: blocks of 4 outputs, then the last out % 4. */
static inline __attribute__((always_inline)) void tg_fc_b1_rows_ldm(const tg_fully_connected_params_t *p,
                                                                     int32_t mode, int32_t full, int32_t widened,
                                                                     const void *x, const int8_t *w,
                                                                     const int32_t *multiplier,
                                                                     const int8_t *shift, int8_t *out)
{
    const int32_t steps = (p->in_features + 3) >> 2, cols = p->out_features;
    const tg_fc_b1_q_t q = {1 + 2 * p->output_offset, p->output_offset, p->act_min, p->act_max};
    const int32_t round = TG_REQUANT_ONCE_OF(mode) ? q.output_offset : q.round;
    const uint32_t lo = 0x01010101u * (uint8_t)q.act_min, hi = 0x01010101u * (uint8_t)q.act_max;
    int8_t *const end = out + (cols & ~3);
    /* the lean row-pair steps' pairs read the input by LDM: single steps only where it is not aligned */
    const int32_t single = widened == TG_FC_B1_PAIRS_LEAN && ((uintptr_t)x & 3) != 0;
    const int32_t turns = single ? 0 : steps >> 3, four = single ? 0 : (steps >> 2) & 1;
    const int32_t ones = single ? steps : steps & 3, rest = four | ones;
    /* the whole layer in one asm body where its blocks are all full and its depth whole turns of 8 steps, or
       fewer than 8 single steps (or single steps only: an unaligned lean input) */
    if (TG_REQUANT_KIND(mode) == TG_REQUANT_FOLDED && (cols & 3) == 0 && cols != 0 && steps != 0 &&
        (rest == 0 || turns == 0)) {
        const int32_t singles = turns == 0;
        /* where UNIFORM: the first output's multiplier and shift serve them all (n - 1 = ~shift, R as
           tg_fc_b1_out computes it) */
        const int32_t uniform = TG_REQUANT_UNIFORM_OF(mode) != 0 && !TG_REQUANT_ONCE_OF(mode);
        const int32_t nm1 = uniform ? ~(int32_t)shift[0] : 0;
        tg_fc_b1_frame_t frame = {multiplier, shift, multiplier + cols, round, x, singles ? steps : turns, out, end,
                                  lo, hi, uniform ? multiplier[0] : 0, nm1,
                                  uniform ? (int32_t)((uint32_t)round << (nm1 & 31)) : 0};
        tg_fc_b1_layer_ldm(&frame, w, mode, full, widened, singles);
        return;
    }
#pragma GCC unroll 1
    for (; out != end; out += 4) {
        int32_t a[4];
        tg_fc_b1_block4_ldm(x, &w, turns, rest, four, ones, widened, a);
        if (TG_REQUANT_KIND(mode) == TG_REQUANT_FOLDED) {
            uint32_t y = tg_fc_b1_out4_ldm(a, &multiplier, &shift, round, mode);
            if (!full) {
                y = tg_fc_b1_clamp4(y, lo, hi);
            }
            memcpy(out, &y, sizeof y);
        } else {
            out[0] = tg_fc_b1_out(a[0], multiplier[0], shift[0], q, mode, full);
            out[1] = tg_fc_b1_out(a[1], multiplier[1], shift[1], q, mode, full);
            out[2] = tg_fc_b1_out(a[2], multiplier[2], shift[2], q, mode, full);
            out[3] = tg_fc_b1_out(a[3], multiplier[3], shift[3], q, mode, full);
            multiplier += 4;
            shift += 4;
        }
    }
    TG_FC_B1_LAST();
}

#endif /* TG_FULLY_CONNECTED_BATCH1_LDM_S8_DSP_H */
