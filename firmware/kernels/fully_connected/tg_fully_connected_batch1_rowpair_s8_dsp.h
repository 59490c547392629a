/*
 * The row-pair steps of tg_fully_connected_batch1_rowpair_s8_dsp and _rowpair_lean_s8_dsp
 * (tg_fully_connected_batch1_s8_dsp.h holds the loops, the tails and the requantization they
 * share with the int8 kernels; tinygen/kernels/fc_batch1_dsp.py packs their constant).
 *
 * Two output rows A and B share their weight halfwords: h = 256 b + a (a, b: the rows' int8
 * weights at one depth index; h fits int16 unless b = -128 with a < 0, which the build refuses).
 * A pair word H = (h_k, h_k') against the input pair X = (x_k, x_k'):
 *
 *     SMLAD acc1, X, H, acc1           sum h x = 256 S_B + S_A (mod 2^32)
 *     SXTB16 H, H                      (a_k, a_k'): the low byte of h, sign-extended, is a
 *     SMLAD acc2, X, H, acc2           S_A
 *
 * and at the end S_A = acc2, S_B = (acc1 - acc2) >> 8 (arithmetic), exact while every partial
 * 256 S_B stays in int32's range; the build's bound (|b'_B| + 128 sum |b| < 2^23, b'_B the folded
 * bias the accumulators start from: acc1 = 256 b'_B + b'_A, acc2 = b'_A) makes sure of it, since
 * the wrapped sum is exact mod 2^32. Per 4 multiply-accumulates 1 LDR + 1 SXTB16 + 2 SMLAD where
 * int8 weights take 1 LDR + 2 SXTB16 + 2 SMLAD: int16-weight speed at int8 flash.
 *
 * A step of 4 values of depth for a block of 4 rows (pairs P = rows 0, 1 and Q = rows 2, 3), the
 * weight words P(h0, h2), P(h1, h3), Q(h0, h2), Q(h1, h3) in r6, r8, r9, r10 and the input pairs
 * (x0, x2), (x1, x3) in r4, r5 (as tg_fc_b1_widen or SXTB16 / SXTB16 ROR 8 make them):
 * accumulators a0 = P's acc1, a1 = P's acc2, a2 = Q's acc1, a3 = Q's acc2.
 *
 *     widened: 2 LDR x + 4 LDR w + 4 SXTB16 + 8 SMLAD = 18 instructions per 16 MACs (22 with int8)
 *     lean:    1 LDR x + 2 SXTB16 x + 4 LDR w + 4 SXTB16 + 8 SMLAD = 19 (23 with int8)
 *
 * Single-issue cores (M4, M33): the loads back to back (pipelined on the M4), then the arithmetic
 * (19 and 20 cycles a step on the M4 where the int8 steps take 23 and 24; tinygen.cycles). The M7
 * (TG_DUAL_ISSUE): the loads and SXTB16s placed beside the SMLADs (one MAC pipe), an order
 * searched against tinygen.cycles.cortex_m7: 39 and 42 cycles per 4 steps with the loop's
 * SUBS + BNE, against 12 and 13 a step with int8 weights.
 */
#ifndef TG_FULLY_CONNECTED_BATCH1_ROWPAIR_S8_DSP_H
#define TG_FULLY_CONNECTED_BATCH1_ROWPAIR_S8_DSP_H

#include "tg_fully_connected_batch1_steps_s8_dsp.h" /* TG_FC_B1_LOAD_W */

#if defined(TG_DUAL_ISSUE) && TG_DUAL_ISSUE
#define TG_FC_B1_STEP_PAIRS                                                                                  \
    "ldr r6, [%[w]], #4\n\tldrd r4, r5, [%[x]], #8\n\tldr r8, [%[w]], #4\n\tsmlad %[a0], r4, r6, %[a0]\n\t"    \
    "ldr r9, [%[w]], #4\n\tsmlad %[a0], r5, r8, %[a0]\n\tldr r10, [%[w]], #4\n\tsmlad %[a2], r4, r9, %[a2]\n\t" \
    "sxtb16 r9, r9\n\tsmlad %[a2], r5, r10, %[a2]\n\tsmlad %[a3], r4, r9, %[a3]\n\tsxtb16 r8, r8\n\t"           \
    "smlad %[a1], r5, r8, %[a1]\n\tsxtb16 r10, r10\n\tsxtb16 r6, r6\n\tsmlad %[a3], r5, r10, %[a3]\n\t"         \
    "smlad %[a1], r4, r6, %[a1]\n\t"
#define TG_FC_B1_STEP_PAIRS_LEAN                                                                             \
    "ldr r4, [%[x]], #4\n\tldr r6, [%[w]], #4\n\tldr r8, [%[w]], #4\n\tsxtb16 r5, r4, ror #8\n\t"              \
    "smlad %[a0], r5, r8, %[a0]\n\tsxtb16 r4, r4\n\tsmlad %[a0], r4, r6, %[a0]\n\tldr r9, [%[w]], #4\n\t"      \
    "sxtb16 r6, r6\n\tsmlad %[a2], r4, r9, %[a2]\n\tsmlad %[a1], r4, r6, %[a1]\n\tldr r10, [%[w]], #4\n\t"     \
    "sxtb16 r8, r8\n\tsmlad %[a2], r5, r10, %[a2]\n\tsmlad %[a1], r5, r8, %[a1]\n\tsxtb16 r9, r9\n\t"           \
    "sxtb16 r10, r10\n\tsmlad %[a3], r4, r9, %[a3]\n\tsmlad %[a3], r5, r10, %[a3]\n\t"
#else
/* a row pair's two words (raw, then sign-extended in place) against the input pairs r4, r5 */
#define TG_FC_B1_PAIR_MACS(acc1, acc2, even, odd)                                                            \
    "smlad %[" acc1 "], r4, " even ", %[" acc1 "]\n\tsxtb16 " even ", " even "\n\t"                             \
    "smlad %[" acc2 "], r4, " even ", %[" acc2 "]\n\tsmlad %[" acc1 "], r5, " odd ", %[" acc1 "]\n\t"           \
    "sxtb16 " odd ", " odd "\n\tsmlad %[" acc2 "], r5, " odd ", %[" acc2 "]\n\t"
#define TG_FC_B1_PAIRS_MACS TG_FC_B1_PAIR_MACS("a0", "a1", "r6", "r8") TG_FC_B1_PAIR_MACS("a2", "a3", "r9", "r10")
#define TG_FC_B1_STEP_PAIRS TG_FC_B1_LOAD_X TG_FC_B1_LOAD_W TG_FC_B1_PAIRS_MACS
#define TG_FC_B1_STEP_PAIRS_LEAN                                                                             \
    "ldr r4, [%[x]], #4\n\t" TG_FC_B1_LOAD_W "sxtb16 r5, r4, ror #8\n\tsxtb16 r4, r4\n\t" TG_FC_B1_PAIRS_MACS
#if defined(TG_FC_B1_LDM) && TG_FC_B1_LDM
/* TG_FC_B1_LDM: two lean steps with their two input words read by one LDM into r4 and r12 (the row-pair
   steps leave r12 free), 1 + 2 cycles where two LDRs take 2 + 2 and the fitted cycle each (the input
   word-aligned: tg_fc_b1_rows_ldm takes single steps where it is not; about 20.5 cycles a step on the M4
   with the fitted cycles, 22 single) */
#define TG_FC_B1_STEP2_PAIRS_LEAN                                                                            \
    "ldmia %[x]!, {r4, r12}\n\t" TG_FC_B1_LOAD_W "sxtb16 r5, r4, ror #8\n\tsxtb16 r4, r4\n\t"                 \
    TG_FC_B1_PAIRS_MACS TG_FC_B1_LOAD_W "sxtb16 r5, r12, ror #8\n\tsxtb16 r4, r12\n\t" TG_FC_B1_PAIRS_MACS
#endif
#endif

/* Row B's sum from its pair's accumulators, (acc1 - acc2) >> 8 (row A's is acc2; the difference
   wraps mod 2^32; arithmetic shifts of negative values: see tg_requant.h). */
#define TG_FC_B1_PAIR_B(acc1, acc2) ((int32_t)((uint32_t)(acc1) - (uint32_t)(acc2)) >> 8)

#endif /* TG_FULLY_CONNECTED_BATCH1_ROWPAIR_S8_DSP_H */
