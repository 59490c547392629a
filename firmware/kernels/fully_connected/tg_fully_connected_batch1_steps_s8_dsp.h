/*
 * The int8 and int16-weight steps of tg_fully_connected_batch1_s8_dsp, _lean_s8_dsp and
 * _w16_s8_dsp (tg_fully_connected_batch1_s8_dsp.h holds the loops that repeat them, its header
 * comment what a step does and costs): the dual-issue order (TG_DUAL_ISSUE, the M7) and the
 * single-issue one (M4, M33). A step: 4 values of depth for a block of 4 rows, the input pairs in
 * r4, r5, the weight words in r6, r8, r9, r10, r12 a temporary, accumulators %[a0]..%[a3].
 */
#ifndef TG_FULLY_CONNECTED_BATCH1_STEPS_S8_DSP_H
#define TG_FULLY_CONNECTED_BATCH1_STEPS_S8_DSP_H

#if defined(TG_DUAL_ISSUE) && TG_DUAL_ISSUE
/*
 * TG_DUAL_ISSUE=1 (the Cortex-M7 boards' cflags): the same steps with the weight words read by
 * single LDRs placed between the SMLADs and SXTB16s, so that each SMLAD issues beside another
 * instruction and none waits on a just-loaded register (tinygen.cycles.cortex_m7: 12, 13 and 10
 * cycles a step against 16, 18 and 15 with LDM, which issues alone), for 12 (24 with int16 weights)
 * more bytes of code a step.
 * x: "ldrd r4, r5, [x], #8" (widened) or the input word in r4 (lean), widened between the loads.
 */
#define TG_FC_B1_MACS_DUAL(x, widen_x)                                                                       \
    x "ldr r6, [%[w]], #4\n\t" widen_x "ldr r8, [%[w]], #4\n\t"                                                 \
    "sxtb16 r12, r6, ror #8\n\tsxtb16 r6, r6\n\tsmlad %[a0], r4, r6, %[a0]\n\tldr r9, [%[w]], #4\n\t"           \
    "smlad %[a0], r5, r12, %[a0]\n\tsxtb16 r12, r8, ror #8\n\tsxtb16 r8, r8\n\tldr r10, [%[w]], #4\n\t"       \
    "smlad %[a1], r4, r8, %[a1]\n\tsxtb16 r6, r9, ror #8\n\tsmlad %[a1], r5, r12, %[a1]\n\tsxtb16 r9, r9\n\t"   \
    "smlad %[a2], r4, r9, %[a2]\n\tsxtb16 r12, r10, ror #8\n\tsmlad %[a2], r5, r6, %[a2]\n\tsxtb16 r10, r10\n\t" \
    "smlad %[a3], r4, r10, %[a3]\n\tsmlad %[a3], r5, r12, %[a3]\n\t"
#define TG_FC_B1_STEP_WIDENED TG_FC_B1_MACS_DUAL("ldrd r4, r5, [%[x]], #8\n\t", "")
#define TG_FC_B1_STEP_LEAN TG_FC_B1_MACS_DUAL("ldr r4, [%[x]], #4\n\t", "sxtb16 r5, r4, ror #8\n\tsxtb16 r4, r4\n\t")
#define TG_FC_B1_STEP_W16                                                                                    \
    "ldrd r4, r5, [%[x]], #8\n\tldr r6, [%[w]], #4\n\tldr r8, [%[w]], #4\n\t"                                  \
    "smlad %[a0], r4, r6, %[a0]\n\tldr r9, [%[w]], #4\n\tsmlad %[a0], r5, r8, %[a0]\n\tldr r10, [%[w]], #4\n\t" \
    "smlad %[a1], r4, r9, %[a1]\n\tldr r6, [%[w]], #4\n\tsmlad %[a1], r5, r10, %[a1]\n\tldr r8, [%[w]], #4\n\t" \
    "smlad %[a2], r4, r6, %[a2]\n\tldr r9, [%[w]], #4\n\tsmlad %[a2], r5, r8, %[a2]\n\tldr r10, [%[w]], #4\n\t" \
    "smlad %[a3], r4, r9, %[a3]\n\tsmlad %[a3], r5, r10, %[a3]\n\t"
#else
/*
 * Single-issue cores (Cortex-M4, M33): a step's words read by single LDRs back to back, then the
 * arithmetic. A load right after a load pipelines on the M4 (1 cycle, not 2: TRM 3.3.2), so 5 or
 * 6 words take 6 or 7 cycles where LDR + LDM (1 + N) or LDRD + LDM took 7 or 8; the M33 issues a
 * load a cycle and stalls only where the next instruction reads it, which none here does. The
 * lean step then costs what the scratch one did with LDRD + LDM (tinygen.cycles: 24 cycles a
 * step on the M4, 23 on the M33).
 */
#if defined(TG_FC_B1_LDM) && TG_FC_B1_LDM
/*
 * TG_FC_B1_LDM=1 (the Cortex-M4 boards' cflags): a step's weight words by one LDM (1 + 4 cycles, as the
 * 4 pipelined LDRs take) and the widened row's pairs by one LDM (1 + 2), where the calibrated M4 model
 * charges each executed load instruction about a cycle more, an LDM once (tinygen/cycles/fit.py;
 * cortex_m4.FIT's load_extra, 0.989): the int8 steps about 26 and 28 cycles (widened, lean) where the
 * single loads take 29 and 29, the row-pair ones 22 and 24 where they take 25 and 25 (the lean pairs of steps: tg_fully_connected_batch1_rowpair_s8_dsp.h). By
 * the TRM's timings alone a step costs a cycle more (an LDM is 1 + N, as is a run of N pipelined
 * LDRs: two of them one more than one run). The scratch row is 8-byte aligned, the packed constant
 * word-aligned.
 */
#define TG_FC_B1_LOAD_W "ldmia %[w]!, {r6, r8, r9, r10}\n\t"
#define TG_FC_B1_LOAD_X "ldmia %[x]!, {r4, r5}\n\t"
#else
/* the 4 rows' weight words of a step into r6, r8, r9, r10; the widened row's pairs into r4, r5 */
#define TG_FC_B1_LOAD_W "ldr r6, [%[w]], #4\n\tldr r8, [%[w]], #4\n\tldr r9, [%[w]], #4\n\tldr r10, [%[w]], #4\n\t"
#define TG_FC_B1_LOAD_X "ldr r4, [%[x]], #4\n\tldr r5, [%[x]], #4\n\t"
#endif
/* One step for the 4 rows from the input pairs in r4, r5 and the weight words in r6, r8, r9, r10. */
#define TG_FC_B1_MACS                                                                                        \
    "sxtb16 r12, r6, ror #8\n\tsxtb16 r6, r6\n\tsmlad %[a0], r4, r6, %[a0]\n\tsmlad %[a0], r5, r12, %[a0]\n\t"  \
    "sxtb16 r12, r8, ror #8\n\tsxtb16 r8, r8\n\tsmlad %[a1], r4, r8, %[a1]\n\tsmlad %[a1], r5, r12, %[a1]\n\t"  \
    "sxtb16 r12, r9, ror #8\n\tsxtb16 r9, r9\n\tsmlad %[a2], r4, r9, %[a2]\n\tsmlad %[a2], r5, r12, %[a2]\n\t"  \
    "sxtb16 r12, r10, ror #8\n\tsxtb16 r10, r10\n\tsmlad %[a3], r4, r10, %[a3]\n\tsmlad %[a3], r5, r12, %[a3]\n\t"
/* the input pairs of a step: from the widened row, or an input word widened after the loads */
#define TG_FC_B1_STEP_WIDENED TG_FC_B1_LOAD_X TG_FC_B1_LOAD_W TG_FC_B1_MACS
#define TG_FC_B1_STEP_LEAN                                                                                   \
    "ldr r4, [%[x]], #4\n\t" TG_FC_B1_LOAD_W "sxtb16 r5, r4, ror #8\n\tsxtb16 r4, r4\n\t" TG_FC_B1_MACS
/* a step with int16 weights: per row its pair words (w0, w2), (w1, w3), two rows per 4 loads */
#define TG_FC_B1_STEP_W16                                                                                    \
    TG_FC_B1_LOAD_X TG_FC_B1_LOAD_W                                                                          \
    "smlad %[a0], r4, r6, %[a0]\n\tsmlad %[a0], r5, r8, %[a0]\n\t"                                             \
    "smlad %[a1], r4, r9, %[a1]\n\tsmlad %[a1], r5, r10, %[a1]\n\t" TG_FC_B1_LOAD_W                             \
    "smlad %[a2], r4, r6, %[a2]\n\tsmlad %[a2], r5, r8, %[a2]\n\t"                                             \
    "smlad %[a3], r4, r9, %[a3]\n\tsmlad %[a3], r5, r10, %[a3]\n\t"

#endif

#endif /* TG_FULLY_CONNECTED_BATCH1_STEPS_S8_DSP_H */
