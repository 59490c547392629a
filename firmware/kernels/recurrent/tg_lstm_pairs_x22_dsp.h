/*
 * tg_lstm_pairs_x22_dsp.h: tg_lstm_s8_pairs_dsp's input side, two steps at a time and both gate pairs of a unit
 * together. A unit's input record (tinygen.kernels.recurrent_pairs_dsp._input_side) holds its four starts, then
 * per two columns the word of gates (0, 1) and the word of gates (2, 3) side by side (h = 256 b + a per
 * halfword); the two steps' widened inputs lie side by side too (per two columns a word of the first step's,
 * then one of the second's). Per two columns: 2 weight words and 2 input words loaded, 2 SXTB16 and 8 SMLAD
 * (16 MACs), each loaded word serving four SMLADs, into 8 accumulators (per gate pair and step acc1 over the
 * halfwords, acc2 over their low bytes). A sequence's last step, where the steps are odd, runs alone
 * (tg_lstm_pairs_inputs1). numpy twin: tinygen.ref.recurrent.lstm_s8.
 */
#ifndef TG_LSTM_PAIRS_X22_DSP_H
#define TG_LSTM_PAIRS_X22_DSP_H

#include <stdint.h>

#include "tg_lstm_pairs_unit_dsp.h"

/*
 * A unit's sums out of the two-step loop, in registers freed by its end (Q, Z, MA, MB). Where no input-side record
 * shifts (qx, in memory, the records; else NULL) per step and gate pair gate A = acc2 and gate B = (acc1 - acc2)
 * >> 8 requantized (SMMLAR by the record's m2, then SSAT #16: tg_lstm_xpre), packed (gate A in the low halfword:
 * PKHBT) and stored at z, the step's gates (0, 1) then (2, 3) (tg_lstm_pairs_inputs2's layout), z moved on 4
 * words; else the 8 raw sums stored at z, z moved on 8 words (tg_lstm_pairs_inputs2 packs them after the pass).
 */
#define TG_LSTM_X22_REQ(A, B, M)                                                                               \
    "sub %[" A "0], %[" A "0], %[" B "0]\n\t"                                                                   \
    "sub %[" A "1], %[" A "1], %[" B "1]\n\t"                                                                   \
    "smmlar %[" B "0], %[" B "0], " M ", %[" B "0]\n\t"                                                         \
    "asr %[" A "0], %[" A "0], #8\n\t"                                                                         \
    "smmlar %[" B "1], %[" B "1], " M ", %[" B "1]\n\t"                                                         \
    "asr %[" A "1], %[" A "1], #8\n\t"
#define TG_LSTM_X22_OUT(Q, Z, MA, MB)                                                                          \
    "ldr " Q ", %[qx]\n\t"                                                                                     \
    "ldr " Z ", %[zp]\n\t"                                                                                     \
    "cmp " Q ", #0\n\t"                                                                                        \
    "beq 3f\n\t"                                                                                               \
    "ldr " MA ", [" Q ", %[X0]]\n\t"                                                                           \
    "ldr " MB ", [" Q ", %[X1]]\n\t"                                                                           \
    TG_LSTM_X22_REQ("a", "b", MA)                                                                              \
    "ldr " MA ", [" Q ", %[X2]]\n\t"                                                                           \
    "smmlar %[a0], %[a0], " MB ", %[a0]\n\t"                                                                    \
    "smmlar %[a1], %[a1], " MB ", %[a1]\n\t"                                                                    \
    "ldr " MB ", [" Q ", %[X3]]\n\t"                                                                           \
    TG_LSTM_X22_REQ("c", "d", MA)                                                                              \
    "ssat %[b0], #16, %[b0]\n\t"                                                                               \
    "smmlar %[c0], %[c0], " MB ", %[c0]\n\t"                                                                    \
    "ssat %[a0], #16, %[a0]\n\t"                                                                               \
    "smmlar %[c1], %[c1], " MB ", %[c1]\n\t"                                                                    \
    "ssat %[b1], #16, %[b1]\n\t"                                                                               \
    "ssat %[a1], #16, %[a1]\n\t"                                                                               \
    "ssat %[d0], #16, %[d0]\n\t"                                                                               \
    "ssat %[c0], #16, %[c0]\n\t"                                                                               \
    "ssat %[d1], #16, %[d1]\n\t"                                                                               \
    "ssat %[c1], #16, %[c1]\n\t"                                                                               \
    "pkhbt %[b0], %[b0], %[a0], lsl #16\n\t"                                                                   \
    "pkhbt %[d0], %[d0], %[c0], lsl #16\n\t"                                                                   \
    "pkhbt %[b1], %[b1], %[a1], lsl #16\n\t"                                                                   \
    "pkhbt %[d1], %[d1], %[c1], lsl #16\n\t"                                                                   \
    "strd %[b0], %[d0], [" Z "]\n\t"                                                                           \
    "strd %[b1], %[d1], [" Z ", #8]\n\t"                                                                       \
    "b 4f\n\t"                                                                                                 \
    "3:\n\t"                                                                                                   \
    "strd %[a0], %[b0], [" Z "]\n\t"                                                                           \
    "strd %[c0], %[d0], [" Z ", #8]\n\t"                                                                       \
    "strd %[a1], %[b1], [" Z ", #16]\n\t"                                                                      \
    "strd %[c1], %[d1], [" Z ", #24]\n\t"                                                                      \
    "add " Z ", " Z ", #16\n\t"                                                                                \
    "4:\n\t"                                                                                                   \
    "add " Z ", " Z ", #16\n\t"                                                                                \
    "str " Z ", %[zp]\n\t"
#define TG_LSTM_X22_OUT_OPERANDS                                                                               \
    [end] "m"(end), [qx] "m"(qx), [X0] "i"(TG_LSTM_REC(0, 0)),                  \
        [X1] "i"(TG_LSTM_REC(1, 0)), [X2] "i"(TG_LSTM_REC(2, 0)), [X3] "i"(TG_LSTM_REC(3, 0))

#if defined(TG_LSTM_LDM) && TG_LSTM_LDM
/*
 * Two columns by LDMs (-DTG_LSTM_LDM=1: the Cortex-M4, whose fitted model charges each load instruction about a
 * cycle beyond its TRM timing): the two weight words in r8, r9 and the two steps' inputs in r4, r5 by one LDM
 * each, w and v moved on by them; each word's SXTB16 in place once its halfwords' SMLADs are done.
 */
#define TG_LSTM_X22_COLUMNS                                                                                    \
    "ldmia %[w]!, {r8, r9}\n\t"                                                                                \
    "ldmia %[v]!, {r4, r5}\n\t"                                                                                \
    "smlad %[a0], r8, r4, %[a0]\n\t"                                                                           \
    "smlad %[a1], r8, r5, %[a1]\n\t"                                                                           \
    "smlad %[c0], r9, r4, %[c0]\n\t"                                                                           \
    "smlad %[c1], r9, r5, %[c1]\n\t"                                                                           \
    "sxtb16 r8, r8\n\t"                                                                                        \
    "sxtb16 r9, r9\n\t"                                                                                        \
    "smlad %[b0], r8, r4, %[b0]\n\t"                                                                           \
    "smlad %[b1], r8, r5, %[b1]\n\t"                                                                           \
    "smlad %[d0], r9, r4, %[d0]\n\t"                                                                           \
    "smlad %[d1], r9, r5, %[d1]\n\t"
#define TG_LSTM_X22_HALF TG_LSTM_X22_COLUMNS TG_LSTM_X22_COLUMNS TG_LSTM_X22_COLUMNS TG_LSTM_X22_COLUMNS
/* Two 16-column blocks, the second at label 2 (an odd count of blocks enters there: ODD). */
#define TG_LSTM_X22_BLOCKS(ODD)                                                                                \
    ODD("b 2f\n\t")                                                                                            \
    "1:\n\t" TG_LSTM_X22_HALF TG_LSTM_X22_HALF "2:\n\t" TG_LSTM_X22_HALF TG_LSTM_X22_HALF
/* One unit: the starts by two LDRDs, then 32 columns a pass until v reaches the inputs' end (in r4, which is
 * free between passes). */
#define TG_LSTM_X22_UNIT(ODD)                                                                                  \
    __asm__ volatile(                                                                                          \
        "ldrd %[a0], %[b0], [%[w]], #8\n\t"                                                                    \
        "ldrd %[c0], %[d0], [%[w]], #8\n\t"                                                                    \
        "mov %[a1], %[a0]\n\t"                                                                                 \
        "mov %[b1], %[b0]\n\t"                                                                                 \
        "mov %[c1], %[c0]\n\t"                                                                                 \
        "mov %[d1], %[d0]\n\t"                                                                                 \
        TG_LSTM_X22_BLOCKS(ODD)                                                                                \
        "ldr r4, %[end]\n\t"                                                                                   \
        "cmp %[v], r4\n\t"                                                                                     \
        "bne 1b\n\t"                                                                                           \
        TG_LSTM_X22_OUT("%[v]", "r4", "r8", "r9")                                                             \
        : [a0] "=&r"(a0), [a1] "=&r"(a1), [b0] "=&r"(b0), [b1] "=&r"(b1), [c0] "=&r"(c0), [c1] "=&r"(c1),      \
          [d0] "=&r"(d0), [d1] "=&r"(d1), [w] "+r"(w), [v] "+r"(v), [zp] "+m"(z)                               \
        : TG_LSTM_X22_OUT_OPERANDS                                                                             \
        : "r4", "r5", "r8", "r9", "cc", "memory")
#else
/*
 * Two columns, column pair k of a pass (the Cortex-M7's pairing where TG_DUAL_ISSUE, and the M33's: no load
 * read by the instruction after it): the two weight words (wa: gates (0, 1), wb: gates (2, 3)) and the first
 * step's input (xa) already loaded. The second step's input comes with the first SMLAD and is first read two
 * instructions later; each word's SXTB16 in place once its halfwords' two SMLADs are done; the next column
 * pair's input and words loaded beside the last three SMLADs, each once its register is read for the last
 * time, and first read at least one instruction pair later. Two SMLADs go without a partner: 8 cycles for
 * 16 MACs by the M7's pairing. The pass's last pair moves w and v on by write-back (WB: the loads at OX, OW).
 */
#define TG_LSTM_X22_PIPE(OXB, OX, OW, OW4, WB)                                                                  \
    "smlad %[a0], %[wa], %[xa], %[a0]\n\t"                                                                     \
    "ldr %[xb], [%[v], #" OXB "]\n\t"                                                                          \
    "smlad %[c0], %[wb], %[xa], %[c0]\n\t"                                                                     \
    "smlad %[a1], %[wa], %[xb], %[a1]\n\t"                                                                     \
    "sxtb16 %[wa], %[wa]\n\t"                                                                                  \
    "smlad %[c1], %[wb], %[xb], %[c1]\n\t"                                                                     \
    "sxtb16 %[wb], %[wb]\n\t"                                                                                  \
    "smlad %[b0], %[wa], %[xa], %[b0]\n\t"                                                                     \
    "smlad %[d0], %[wb], %[xa], %[d0]\n\t"                                                                     \
    "ldr %[xa], [%[v], #" OX "]" WB "\n\t"                                                                     \
    "smlad %[b1], %[wa], %[xb], %[b1]\n\t"                                                                     \
    "ldr %[wa], [%[w], #" OW "]" WB "\n\t"                                                                     \
    "smlad %[d1], %[wb], %[xb], %[d1]\n\t"                                                                     \
    "ldr %[wb], [%[w], #" OW4 "]\n\t"
#define TG_LSTM_X22(k) TG_LSTM_X22_PIPE("(" #k ")*8+4", "(" #k ")*8+8", "(" #k ")*8+8", "(" #k ")*8+12", "")
#define TG_LSTM_X22_4(k) TG_LSTM_X22(k) TG_LSTM_X22(k + 1) TG_LSTM_X22(k + 2) TG_LSTM_X22(k + 3)
/* Two 16-column blocks, the second at label 2: an odd count of blocks enters there (ODD) with w and v set back
 * a block, so that its offsets hold (the first column pair's words and input are loaded already). */
#define TG_LSTM_X22_BLOCKS(ODD)                                                                                \
    ODD("sub %[w], %[w], #64\n\t"                                                                              \
        "sub %[v], %[v], #64\n\t"                                                                              \
        "b 2f\n\t")                                                                                            \
    "1:\n\t" TG_LSTM_X22_4(0) TG_LSTM_X22_4(4) "2:\n\t" TG_LSTM_X22_4(8) TG_LSTM_X22(12) TG_LSTM_X22(13)      \
    TG_LSTM_X22(14) TG_LSTM_X22_PIPE("15*8+4", "128", "128", "4", "!")
/* One unit: the starts by two LDRDs and the first column pair's words and input, then 32 columns a pass until
 * v reaches the inputs' end (in xb, which the next pass loads again before reading it). */
#define TG_LSTM_X22_UNIT(ODD)                                                                                  \
    __asm__ volatile(                                                                                          \
        "ldrd %[a0], %[b0], [%[w]], #8\n\t"                                                                    \
        "ldrd %[c0], %[d0], [%[w]], #8\n\t"                                                                    \
        "ldr %[wa], [%[w]]\n\t"                                                                                \
        "ldr %[wb], [%[w], #4]\n\t"                                                                            \
        "ldr %[xa], [%[v]]\n\t"                                                                                \
        "mov %[a1], %[a0]\n\t"                                                                                 \
        "mov %[b1], %[b0]\n\t"                                                                                 \
        "mov %[c1], %[c0]\n\t"                                                                                 \
        "mov %[d1], %[d0]\n\t"                                                                                 \
        TG_LSTM_X22_BLOCKS(ODD)                                                                                \
        "ldr %[xb], %[end]\n\t"                                                                                \
        "cmp %[v], %[xb]\n\t"                                                                                  \
        "bne 1b\n\t"                                                                                           \
        TG_LSTM_X22_OUT("%[v]", "%[xb]", "%[wa]", "%[wb]")                                                     \
        : [a0] "=&r"(a0), [a1] "=&r"(a1), [b0] "=&r"(b0), [b1] "=&r"(b1), [c0] "=&r"(c0), [c1] "=&r"(c1),      \
          [d0] "=&r"(d0), [d1] "=&r"(d1), [wa] "=&r"(wa), [wb] "=&r"(wb), [xa] "=&r"(xa), [xb] "=&r"(xb),      \
          [w] "+r"(w), [v] "+r"(v), [zp] "+m"(z)                                                               \
        : TG_LSTM_X22_OUT_OPERANDS                                                                             \
        : "cc", "memory")
#endif
#define TG_LSTM_X22_ODD(text) text
#define TG_LSTM_X22_EVEN(text) ""

/*
 * Every unit's input-side products for two steps: the records at w (tinygen.kernels.recurrent_pairs_dsp's
 * _input_side: per unit 4 starts, then per two columns the two gate pairs' words, over xc columns, a multiple
 * of 16, 32 a loop pass), times the two steps' widened inputs at xv (tg_lstm_pairs_widen2); per unit 4 words at
 * z: the first step's input-side pre-activations of gates (0, 1) and of (2, 3), then the second step's
 * (TG_LSTM_X22_OUT where xp: tg_lstm_x_unshifted, else its raw sums packed after the pass by the records q, z
 * holding 8 words a unit meanwhile: recurrent_pairs_dsp.pairs_dsp_scratch). The pipelined loads read a word past xv's inputs
 * and two past the records (scratch and packed hold them).
 */
static void tg_lstm_pairs_inputs2(const int32_t *w, const int16_t *xv, int32_t xc, int32_t hid, int32_t *z,
                                  const tg_lstm_dsp_requant_t *q, int32_t xp)
{
    int32_t a0, a1, b0, b1, c0, c1, d0, d1;
#if !(defined(TG_LSTM_LDM) && TG_LSTM_LDM)
    int32_t wa, wb, xa, xb;     /* the two weight words and the two steps' inputs (the LDM version's in r4-r9) */
#endif
    const int16_t *const end = xv + 2 * xc;
    int32_t *const z0 = z, *const zend = z + (xp ? 4 : 8) * hid;
    const tg_lstm_dsp_requant_t *const qx = xp ? q : NULL;
    const int16_t *v;
    int32_t j;
    if ((xc >> 4) & 1) {        /* an odd count of 16-column blocks: each unit enters the loop at its second */
        while (z != zend) {
            v = xv;
            TG_LSTM_X22_UNIT(TG_LSTM_X22_ODD);
        }
    } else {
        while (z != zend) {
            v = xv;
            TG_LSTM_X22_UNIT(TG_LSTM_X22_EVEN);
        }
    }
    /* the raw sums (8 words a unit) packed in place, each unit's 4 words after the last's (tg_lstm_xpre_any) */
    for (j = 0; !xp && j < hid; ++j) {
        tg_lstm_xpre_any(z0 + 4 * j, q, z0 + 8 * j, 2);
    }
}

/*
 * One step's input side (a sequence's last step where the steps are odd), four columns a group: the four
 * words (gates (0, 1) and (2, 3) at columns 0-1, then at 2-3) in r4, r5, r6, r8 and the step's two input
 * words in r2, r3, by one LDM each where TG_LSTM_LDM (the Cortex-M4's fitted model), else by LDRDs (the M33:
 * a cycle a word either way), all loaded before the first SMLAD (no load read by the next instruction); each
 * word's SXTB16 in place once its halfwords' SMLAD is done. Per unit its 2 words at z (TG_LSTM_X22_OUT's
 * first step), z moving on 4 words a unit (the two-step layout).
 */
#if defined(TG_LSTM_LDM) && TG_LSTM_LDM
#define TG_LSTM_X1_LOADS "ldmia %[w]!, {r4, r5, r6, r8}\n\t" "ldmia %[v]!, {r2, r3}\n\t"
#else
#define TG_LSTM_X1_LOADS                                                                                      \
    "ldrd r4, r5, [%[w]], #8\n\t"                                                                              \
    "ldrd r6, r8, [%[w]], #8\n\t"                                                                              \
    "ldrd r2, r3, [%[v]], #8\n\t"
#endif
#define TG_LSTM_X1_HALF(WA, WB, X)                                                                            \
    "smlad %[a0], " WA ", " X ", %[a0]\n\t"                                                                    \
    "sxtb16 " WA ", " WA "\n\t"                                                                                \
    "smlad %[c0], " WB ", " X ", %[c0]\n\t"                                                                    \
    "sxtb16 " WB ", " WB "\n\t"                                                                                \
    "smlad %[b0], " WA ", " X ", %[b0]\n\t"                                                                    \
    "smlad %[d0], " WB ", " X ", %[d0]\n\t"
#define TG_LSTM_X1_GROUP TG_LSTM_X1_LOADS TG_LSTM_X1_HALF("r4", "r5", "r2") TG_LSTM_X1_HALF("r6", "r8", "r3")

static void tg_lstm_pairs_inputs1(const int32_t *w, const int16_t *xv, int32_t xc, int32_t hid, int32_t *z,
                                  const tg_lstm_dsp_requant_t *q, int32_t xp)
{
    int32_t j, a0, b0, c0, d0, n;
    const int16_t *v;
    for (j = 0; j < hid; ++j, z += 4) {
        n = xc >> 2;
        v = xv;
        __asm__ volatile("ldrd %[a0], %[b0], [%[w]], #8\n\t"
                         "ldrd %[c0], %[d0], [%[w]], #8\n\t"
                         "1:\n\t" TG_LSTM_X1_GROUP
                         "subs %[n], %[n], #1\n\t"
                         "bne 1b\n\t"
                         : [a0] "=&r"(a0), [b0] "=&r"(b0), [c0] "=&r"(c0), [d0] "=&r"(d0), [w] "+r"(w), [v] "+r"(v),
                           [n] "+r"(n)
                         :
                         : "r2", "r3", "r4", "r5", "r6", "r8", "cc", "memory");
        if (xp) {
            z[0] = tg_lstm_xpre2(b0, (a0 - b0) >> 8, q, 0, 1);
            z[1] = tg_lstm_xpre2(d0, (c0 - d0) >> 8, q, 2, 1);
        } else {
            const int32_t acc[4] = {a0, b0, c0, d0};
            tg_lstm_xpre_any(z, q, acc, 1);
        }
    }
}

#endif /* TG_LSTM_PAIRS_X22_DSP_H */
