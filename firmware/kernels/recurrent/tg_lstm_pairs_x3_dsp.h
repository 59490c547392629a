/*
 * tg_lstm_pairs_x3_dsp.h: tg_lstm_s8_pairs_dsp's input side three steps at a time (TG_LSTM_X_STEPS 3, the
 * default: its loads scheduled for the Cortex-M4's pipelining and the M33's load-use stall, or for the M7's
 * pairing where TG_DUAL_ISSUE). Each
 * weight word (two columns of gates A and B: h = 256 b + a, tinygen.kernels.recurrent_pairs_dsp) loaded and
 * SXTB16'd once for three steps: per word 11 instructions (one SXTB16, six SMLAD, four loads) for 12 MACs,
 * where two steps at a time take 8 for 8. The record is the two-step version's (recurrent_pairs_dsp's
 * _input_side); the steps' widened inputs lie side by side (per two columns a word of each step).
 * numpy twin: tinygen.ref.recurrent.lstm_s8.
 */
#ifndef TG_LSTM_PAIRS_X3_DSP_H
#define TG_LSTM_PAIRS_X3_DSP_H

#include <stddef.h>
#include <stdint.h>

/*
 * Columns 2o, 2o + 1 for three steps: the pair's word (wd), the first step's widened inputs (xa) and the
 * second's (xb) already loaded; the third's loaded into xa once xa is used, while xb's products run; the
 * next columns' word and first two steps' inputs loaded together at the end (the Cortex-M4's pipelined
 * loads; none read by the instruction after it: the Cortex-M33's load-use stall). The pass's last columns
 * move w and v on (write-back, WB: the word at OW, the inputs at OX; the second step's then at 4).
 */
#define TG_LSTM_X3_COLUMNS(OX2, OW, OX, OY, WB)                                                               \
    "sxtb16 %[f], %[wd]\n\t"                                                                                  \
    "smlad %[a0], %[wd], %[xa], %[a0]\n\t"                                                                    \
    "smlad %[b0], %[f], %[xa], %[b0]\n\t"                                                                     \
    "ldr %[xa], [%[v], #" OX2 "]\n\t"                                                                         \
    "smlad %[a1], %[wd], %[xb], %[a1]\n\t"                                                                    \
    "smlad %[b1], %[f], %[xb], %[b1]\n\t"                                                                     \
    "smlad %[a2], %[wd], %[xa], %[a2]\n\t"                                                                    \
    "smlad %[b2], %[f], %[xa], %[b2]\n\t"                                                                     \
    "ldr %[wd], [%[w], #" OW "]" WB "\n\t"                                                                    \
    "ldr %[xa], [%[v], #" OX "]" WB "\n\t"                                                                    \
    "ldr %[xb], [%[v], #" OY "]\n\t"
#if defined(TG_DUAL_ISSUE) && TG_DUAL_ISSUE
/*
 * The same where two instructions issue a cycle (TG_DUAL_ISSUE: the Cortex-M7): each load beside an
 * SMLAD (one SMLAD goes alone: five loads and SXTB16s for six), the next columns' word into a second register
 * (WN) while this word's SMLADs run, and their first step's input into XB once this word's second step is
 * done, so the two words and the two inputs swap roles from one pair of columns to the next (TG_LSTM_X3_E, TG_LSTM_X3_O);
 * no load read by the instruction after it.
 */
#define TG_LSTM_X3_PIPE(WD, WN, XA, XB, OX2, OW, OX, OY, WB)                                                   \
    "smlad %[a0], " WD ", " XA ", %[a0]\n\t"                                                                  \
    "sxtb16 %[f], " WD "\n\t"                                                                                 \
    "smlad %[b0], %[f], " XA ", %[b0]\n\t"                                                                    \
    "ldr " XA ", [%[v], #" OX2 "]\n\t"                                                                        \
    "smlad %[a1], " WD ", " XB ", %[a1]\n\t"                                                                  \
    "ldr " WN ", [%[w], #" OW "]" WB "\n\t"                                                                   \
    "smlad %[b1], %[f], " XB ", %[b1]\n\t"                                                                    \
    "ldr " XB ", [%[v], #" OX "]" WB "\n\t"                                                                   \
    "smlad %[a2], " WD ", " XA ", %[a2]\n\t"                                                                  \
    "smlad %[b2], %[f], " XA ", %[b2]\n\t"                                                                    \
    "ldr " XA ", [%[v], #" OY "]\n\t"
/* Columns 2o, 2o + 1 by their parity's roles (o even: the word in wd, the first step's input in xa). */
#define TG_LSTM_X3_EVEN_COLUMNS(OX2, OW, OX, OY, WB) TG_LSTM_X3_PIPE("%[wd]", "%[wn]", "%[xa]", "%[xb]", OX2, OW, OX, OY, WB)
#define TG_LSTM_X3_ODD_COLUMNS(OX2, OW, OX, OY, WB) TG_LSTM_X3_PIPE("%[wn]", "%[wd]", "%[xb]", "%[xa]", OX2, OW, OX, OY, WB)
#define TG_LSTM_X3_AT(PIPE, o) PIPE("(" #o ")*12+8", "(" #o ")*4+4", "(" #o ")*12+12", "(" #o ")*12+16", "")
#define TG_LSTM_X3_E(o) TG_LSTM_X3_AT(TG_LSTM_X3_EVEN_COLUMNS, o)
#define TG_LSTM_X3_O(o) TG_LSTM_X3_AT(TG_LSTM_X3_ODD_COLUMNS, o)
/* Columns 2o to 2o + 13 of a pass (o even). */
#define TG_LSTM_X3_7(o) TG_LSTM_X3_E(o) TG_LSTM_X3_O(o + 1) TG_LSTM_X3_E(o + 2) TG_LSTM_X3_O(o + 3) TG_LSTM_X3_E(o + 4) \
    TG_LSTM_X3_O(o + 5) TG_LSTM_X3_E(o + 6)
/* Column pair o (odd: the loops below name only odd ones alone) and a pass's last (15: w and v moved on). */
#define TG_LSTM_X3(o) TG_LSTM_X3_O(o)
#define TG_LSTM_X3_LAST TG_LSTM_X3_ODD_COLUMNS("15*12+8", "64", "192", "4", "!")
#else
#define TG_LSTM_X3(o) TG_LSTM_X3_COLUMNS("(" #o ")*12+8", "(" #o ")*4+4", "(" #o ")*12+12", "(" #o ")*12+16", "")
/* Columns 2o to 2o + 13 of a pass. */
#define TG_LSTM_X3_7(o) TG_LSTM_X3(o) TG_LSTM_X3(o + 1) TG_LSTM_X3(o + 2) TG_LSTM_X3(o + 3) TG_LSTM_X3(o + 4)      \
    TG_LSTM_X3(o + 5) TG_LSTM_X3(o + 6)
#define TG_LSTM_X3_LAST TG_LSTM_X3_COLUMNS("15*12+8", "64", "192", "4", "!")
#endif

/*
 * The loop over the 16-column blocks (n), two a pass (four where TG_LSTM_X3_BLOCKS is 4: the U585), an odd
 * count entering at the second block (ODD: w and v set back a block so that its offsets hold; the caller
 * chooses once per call). Two blocks a pass on the STM32F446: the loop runs alone, all units' gate pairs
 * before the steps' recurrences, so its 1 KB ART holds it (four do not).
 */
#ifndef TG_LSTM_X3_BLOCKS
#define TG_LSTM_X3_BLOCKS 2
#endif
#if TG_LSTM_X3_BLOCKS == 4 && defined(TG_DUAL_ISSUE) && TG_DUAL_ISSUE
#error "TG_LSTM_X3_BLOCKS=4 has the single-issue schedule's last columns only (TG_LSTM_X3_LAST4): leave it off with TG_DUAL_ISSUE"
#endif
#define TG_LSTM_X3_ODD(text) text
#if TG_LSTM_X3_BLOCKS == 4
/* Four blocks a pass (-DTG_LSTM_X3_BLOCKS=4: 64 columns in one pass), a remainder of r blocks entering at
 * block 5 - r (ODD: any remainder, k = 4 - r blocks set back, f the scratch: it is set before it is read). The
 * pass's last columns move v on by an ADD (384 bytes: past a write-back's reach). */
#define TG_LSTM_X3_LAST4                                                                                      \
    "sxtb16 %[f], %[wd]\n\t"                                                                                  \
    "smlad %[a0], %[wd], %[xa], %[a0]\n\t"                                                                    \
    "smlad %[b0], %[f], %[xa], %[b0]\n\t"                                                                     \
    "ldr %[xa], [%[v], #31*12+8]\n\t"                                                                         \
    "smlad %[a1], %[wd], %[xb], %[a1]\n\t"                                                                    \
    "smlad %[b1], %[f], %[xb], %[b1]\n\t"                                                                     \
    "smlad %[a2], %[wd], %[xa], %[a2]\n\t"                                                                    \
    "smlad %[b2], %[f], %[xa], %[b2]\n\t"                                                                     \
    "ldr %[wd], [%[w], #128]!\n\t"                                                                            \
    "add %[v], %[v], #384\n\t"                                                                                \
    "ldr %[xa], [%[v]]\n\t"                                                                                   \
    "ldr %[xb], [%[v], #4]\n\t"
#define TG_LSTM_X3_LOOP(ODD)                                                                                  \
    ODD("ands %[f], %[n], #3\n\t"                                                                              \
        "beq 1f\n\t"                                                                                           \
        "rsb %[f], %[f], #4\n\t"                                                                               \
        "add %[n], %[n], %[f]\n\t"                                                                             \
        "sub %[w], %[w], %[f], lsl #5\n\t"                                                                     \
        "add %[f], %[f], %[f], lsl #1\n\t"                                                                     \
        "sub %[v], %[v], %[f], lsl #5\n\t"                                                                     \
        "cmp %[f], #6\n\t"                                                                                     \
        "blo 2f\n\t"                                                                                           \
        "beq 3f\n\t"                                                                                           \
        "b 4f\n\t")                                                                                            \
    "1:\n\t" TG_LSTM_X3_7(0) TG_LSTM_X3(7) "2:\n\t" TG_LSTM_X3_7(8) TG_LSTM_X3(15)                              \
    "3:\n\t" TG_LSTM_X3_7(16) TG_LSTM_X3(23)                                                                    \
    "4:\n\t" TG_LSTM_X3_7(24) TG_LSTM_X3_LAST4                                                                  \
    "subs %[n], %[n], #4\n\t"                                                                                  \
    "bne 1b\n\t"
#else
#define TG_LSTM_X3_LOOP(ODD)                                                                                  \
    ODD("sub %[w], %[w], #32\n\t"                                                                             \
        "sub %[v], %[v], #96\n\t"                                                                             \
        "adds %[n], %[n], #1\n\t"                                                                             \
        "b 2f\n\t")                                                                                           \
    "1:\n\t"                                                                                                  \
    TG_LSTM_X3_7(0) TG_LSTM_X3(7)                                                                             \
    "2:\n\t"                                                                                                  \
    TG_LSTM_X3_7(8) TG_LSTM_X3_LAST                                                                           \
    "subs %[n], %[n], #2\n\t"                                                                                 \
    "bne 1b\n\t"
#endif
#define TG_LSTM_X3_EVEN(text) ""

/*
 * The same by LDMs (-DTG_LSTM_LDM=1: the Cortex-M4, whose fitted model charges each load instruction about a
 * cycle beyond its TRM timing: an LDM of N words 1 + N and that cycle, N LDRs that cycle each): per four columns the pair's two words in r8, r9 by one
 * LDM and each two columns' three steps' inputs in r4, r5, r6 by one, w and v moved on by them (no offsets:
 * an odd count enters at the second block as it is); each word's SXTB16 in place once its halfwords' three
 * SMLADs are done.
 */
#define TG_LSTM_X3_WORD(WD)                                                                                   \
    "ldmia %[v]!, {r4, r5, r6}\n\t"                                                                            \
    "smlad %[a0], " WD ", r4, %[a0]\n\t"                                                                       \
    "smlad %[a1], " WD ", r5, %[a1]\n\t"                                                                       \
    "smlad %[a2], " WD ", r6, %[a2]\n\t"                                                                       \
    "sxtb16 " WD ", " WD "\n\t"                                                                                \
    "smlad %[b0], " WD ", r4, %[b0]\n\t"                                                                       \
    "smlad %[b1], " WD ", r5, %[b1]\n\t"                                                                       \
    "smlad %[b2], " WD ", r6, %[b2]\n\t"
#define TG_LSTM_X3_FOUR "ldmia %[w]!, {r8, r9}\n\t" TG_LSTM_X3_WORD("r8") TG_LSTM_X3_WORD("r9")
#define TG_LSTM_X3_BLOCK TG_LSTM_X3_FOUR TG_LSTM_X3_FOUR TG_LSTM_X3_FOUR TG_LSTM_X3_FOUR
#if TG_LSTM_X3_BLOCKS == 4
#define TG_LSTM_X3_LDM_LOOP(ODD)                                                                              \
    ODD("ands r4, %[n], #3\n\t"                                                                                \
        "beq 1f\n\t"                                                                                           \
        "rsb r4, r4, #4\n\t"                                                                                   \
        "add %[n], %[n], r4\n\t"                                                                               \
        "cmp r4, #2\n\t"                                                                                       \
        "blo 2f\n\t"                                                                                           \
        "beq 3f\n\t"                                                                                           \
        "b 4f\n\t")                                                                                            \
    "1:\n\t" TG_LSTM_X3_BLOCK "2:\n\t" TG_LSTM_X3_BLOCK "3:\n\t" TG_LSTM_X3_BLOCK "4:\n\t" TG_LSTM_X3_BLOCK       \
    "subs %[n], %[n], #4\n\t"                                                                                  \
    "bne 1b\n\t"
#else
#define TG_LSTM_X3_LDM_LOOP(ODD)                                                                              \
    ODD("adds %[n], %[n], #1\n\t"                                                                              \
        "b 2f\n\t")                                                                                            \
    "1:\n\t"                                                                                                   \
    TG_LSTM_X3_BLOCK                                                                                          \
    "2:\n\t"                                                                                                   \
    TG_LSTM_X3_BLOCK                                                                                          \
    "subs %[n], %[n], #2\n\t"                                                                                  \
    "bne 1b\n\t"
#endif

/* The dual-issue schedule's second word register (TG_LSTM_X3_PIPE's WN) among TG_LSTM_X3_PAIR's operands. */
#if defined(TG_DUAL_ISSUE) && TG_DUAL_ISSUE
#define TG_LSTM_X3_WN , [wn] "=&r"(wn)
#else
#define TG_LSTM_X3_WN
#endif

/* One gate pair's input side for three steps (tg_lstm_pairs_inputs3), ODD as TG_LSTM_X3_LOOP takes it: the
 * accumulators start from the pair's two starts; their sums are taken apart by the caller. */
#if defined(TG_LSTM_LDM) && TG_LSTM_LDM
#define TG_LSTM_X3_PAIR(ODD)                                                                                  \
    __asm__ volatile(                                                                                          \
        "ldrd %[a0], %[b0], [%[w]], #8\n\t"                                                                    \
        "mov %[a1], %[a0]\n\t"                                                                                 \
        "mov %[b1], %[b0]\n\t"                                                                                 \
        "mov %[a2], %[a0]\n\t"                                                                                 \
        "mov %[b2], %[b0]\n\t"                                                                                 \
        TG_LSTM_X3_LDM_LOOP(ODD)                                                                               \
        : [a0] "=&r"(a0), [a1] "=&r"(a1), [a2] "=&r"(a2), [b0] "=&r"(b0), [b1] "=&r"(b1), [b2] "=&r"(b2),      \
          [w] "+r"(w), [v] "+r"(v), [n] "+r"(n)                                                                \
        :                                                                                                      \
        : "r4", "r5", "r6", "r8", "r9", "cc", "memory")
#else
#define TG_LSTM_X3_PAIR(ODD)                                                                                  \
    __asm__ volatile(                                                                                          \
        "ldrd %[a0], %[b0], [%[w]], #8\n\t"                                                                    \
        "ldr %[wd], [%[w]]\n\t"                                                                                \
        "ldr %[xa], [%[v]]\n\t"                                                                                \
        "ldr %[xb], [%[v], #4]\n\t"                                                                            \
        "mov %[a1], %[a0]\n\t"                                                                                 \
        "mov %[b1], %[b0]\n\t"                                                                                 \
        "mov %[a2], %[a0]\n\t"                                                                                 \
        "mov %[b2], %[b0]\n\t"                                                                                 \
        TG_LSTM_X3_LOOP(ODD)                                                                                   \
        : [a0] "=&r"(a0), [a1] "=&r"(a1), [a2] "=&r"(a2), [b0] "=&r"(b0), [b1] "=&r"(b1), [b2] "=&r"(b2),      \
          [wd] "=&r"(wd), [f] "=&r"(f), [xa] "=&r"(xa), [xb] "=&r"(xb), [w] "+r"(w), [v] "+r"(v), [n] "+r"(n)  \
          TG_LSTM_X3_WN                                                                                        \
        :                                                                                                      \
        : "cc", "memory")
#endif

/* Per step its gate A's sum (acc2) and gate B's ((acc1 - acc2) >> 8) at z. */
#define TG_LSTM_X3_STORE(z)                                                                                   \
    do {                                                                                                       \
        (z)[0] = b0;                                                                                           \
        (z)[1] = (a0 - b0) >> 8;                                                                               \
        (z)[2] = b1;                                                                                           \
        (z)[3] = (a1 - b1) >> 8;                                                                               \
        (z)[4] = b2;                                                                                           \
        (z)[5] = (a2 - b2) >> 8;                                                                               \
    } while (0)

/*
 * Every unit's input-side products for three steps: the record at w (per unit and gate pair two starts,
 * then the pair's words over xc columns, a multiple of 16), the steps' widened inputs at xv (per two
 * columns a word of each step: tg_lstm_pairs_widen3); per unit and gate pair (A, B) its sums A, B for each
 * step at z, 6 words a pair. The pipelined loads read a word past each pair's words and two past xv's.
 */
static void tg_lstm_pairs_inputs3(const int32_t *w, const int16_t *xv, int32_t xc, int32_t hid, int32_t *z)
{
    int32_t j, a0, a1, a2, b0, b1, b2, n;
#if !(defined(TG_LSTM_LDM) && TG_LSTM_LDM)
    int32_t wd, f, xa, xb;      /* the word, its SXTB16 and two steps' inputs (the LDM version's in r4-r9) */
#endif
#if defined(TG_DUAL_ISSUE) && TG_DUAL_ISSUE
    int32_t wn;                 /* the next columns' word (TG_LSTM_X3_PIPE) */
#endif
    const int16_t *v;
    if ((xc >> 4) & (TG_LSTM_X3_BLOCKS - 1)) {
        for (j = 0; j < 2 * hid; ++j, z += 6) {
            n = xc >> 4;
            v = xv;
            TG_LSTM_X3_PAIR(TG_LSTM_X3_ODD);
            TG_LSTM_X3_STORE(z);
        }
    } else {
        for (j = 0; j < 2 * hid; ++j, z += 6) {
            n = xc >> 4;
            v = xv;
            TG_LSTM_X3_PAIR(TG_LSTM_X3_EVEN);
            TG_LSTM_X3_STORE(z);
        }
    }
}

/*
 * One step's input side (a sequence's last step where the steps leave one over a multiple of 3), eight
 * columns a group: the pair's four words in r4, r5, r6, r8 and the step's widened inputs in r2, r3, r9, r12,
 * by one LDM each where TG_LSTM_LDM (the Cortex-M4's fitted model), else by two LDRDs each (the M33: a cycle
 * a word either way, an LDM one more), all loaded before the first SMLAD (no load read by the next
 * instruction: the M33's load-use stall); each word's SXTB16 in place once its halfwords' SMLAD is done.
 */
#if defined(TG_LSTM_LDM) && TG_LSTM_LDM
#define TG_LSTM_X1_LOADS "ldmia %[w]!, {r4, r5, r6, r8}\n\t" "ldmia %[v]!, {r2, r3, r9, r12}\n\t"
#else
#define TG_LSTM_X1_LOADS                                                                                      \
    "ldrd r4, r5, [%[w]], #8\n\t"                                                                              \
    "ldrd r6, r8, [%[w]], #8\n\t"                                                                              \
    "ldrd r2, r3, [%[v]], #8\n\t"                                                                              \
    "ldrd r9, r12, [%[v]], #8\n\t"
#endif
#define TG_LSTM_X1_HALF(W0, W1, X0, X1)                                                                       \
    "smlad %[a0], " W0 ", " X0 ", %[a0]\n\t"                                                                   \
    "sxtb16 " W0 ", " W0 "\n\t"                                                                                \
    "smlad %[a0], " W1 ", " X1 ", %[a0]\n\t"                                                                   \
    "sxtb16 " W1 ", " W1 "\n\t"                                                                                \
    "smlad %[b0], " W0 ", " X0 ", %[b0]\n\t"                                                                   \
    "smlad %[b0], " W1 ", " X1 ", %[b0]\n\t"
#define TG_LSTM_X1_GROUP                                                                                      \
    TG_LSTM_X1_LOADS TG_LSTM_X1_HALF("r4", "r5", "r2", "r3") TG_LSTM_X1_HALF("r6", "r8", "r9", "r12")

/* Every unit's input-side products for one step (the record as tg_lstm_pairs_inputs3's) times its widened
 * inputs at xv (xc int16), per unit and gate pair (A, B) its sums A, B at z, z moving on 6 words a pair (the
 * three-step layout's first step). */
static void tg_lstm_pairs_inputs1(const int32_t *w, const int16_t *xv, int32_t xc, int32_t hid, int32_t *z)
{
    int32_t j, a0, b0, n;
    const int16_t *v;
    for (j = 0; j < 2 * hid; ++j, z += 6) {
        n = xc >> 4;
        v = xv;
        __asm__ volatile("ldrd %[a0], %[b0], [%[w]], #8\n\t"
                         "1:\n\t" TG_LSTM_X1_GROUP TG_LSTM_X1_GROUP
                         "subs %[n], %[n], #1\n\t"
                         "bne 1b\n\t"
                         : [a0] "=&r"(a0), [b0] "=&r"(b0), [w] "+r"(w), [v] "+r"(v), [n] "+r"(n)
                         :
                         : "r2", "r3", "r4", "r5", "r6", "r8", "r9", "r12", "cc", "memory");
        z[0] = b0;
        z[1] = (a0 - b0) >> 8;
    }
}

/* Steps x, x1 and x2 (n values each; x1, x2 NULL past the last step: zeros) widened side by side into xv
 * (xc columns): per two columns a word of each step, four columns at a time (tg_lstm_widen4) where all
 * have them. */
static void tg_lstm_pairs_widen3(const int8_t *x, const int8_t *x1, const int8_t *x2, int32_t n, int16_t *xv,
                                 int32_t xc)
{
    int32_t *d = (int32_t *)(void *)xv;
    int32_t k, s;
    const int8_t *steps[3] = {x, x1, x2};
    for (k = 0; k + 4 <= n; k += 4, d += 6) {
        for (s = 0; s < 3; ++s) {
            if (steps[s] != NULL) {
                tg_lstm_widen4(steps[s] + k, &d[s], &d[s + 3]);
            } else {
                d[s] = d[s + 3] = 0;
            }
        }
    }
    for (; k < xc; ++k) {
        for (s = 0; s < 3; ++s) {
            xv[6 * (k >> 1) + 2 * s + (k & 1)] = k < n && steps[s] != NULL ? steps[s][k] : 0;
        }
    }
}

#endif /* TG_LSTM_PAIRS_X3_DSP_H */
