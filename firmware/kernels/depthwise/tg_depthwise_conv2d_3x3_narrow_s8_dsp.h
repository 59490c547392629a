/*
 * The loops of tg_depthwise_conv2d_3x3_narrow_s8_dsp (ARMv7E-M): a whole output row of
 * TG_DW3N_LINE (5) pixels per channel, channel after channel, and the widening of an input
 * row into the ring they read.
 *
 * The ring: 3 widened input rows (input row r in slot r mod 3), a channel's 3 slots together,
 * 4 words a slot (phase 0, pad_left 0: word k holds padded columns 2k, 2k + 1) or 3 (phase 1,
 * pad_left 1 or 2, padded column 0 always padding: word k holds columns 2k + 1, 2k + 2), the
 * input offset added, as int16 halves (padding columns 0). One LDM takes a channel's slot and
 * leaves the pointer at its next slot, then at the next channel's first.
 *
 * A channel's output row (records: tinygen/kernels/depthwise_narrow_dsp.py, 10 words: the
 * doubled bias, per kernel row k the weight pairs C0 = w[k][0] | w[k][1] << 16 and
 * C1 = w[k][1] | w[k][2] << 16, the multiplier, R and n), per kernel row, phase 0 with the
 * words p01, p23, p45, p67:
 *     out0 += SMLAD(p01, C0) + SMLABT(p23, C1)        columns 0 1 | 2
 *     out1 += SMLATB(p01, C0) + SMLAD(p23, C1)        columns 1 | 2 3
 *     out2 += SMLAD(p23, C0) + SMLABT(p45, C1)        columns 2 3 | 4
 *     out3 += SMLATB(p23, C0) + SMLAD(p45, C1)        columns 3 | 4 5
 *     out4 += SMLAD(p45, C0) + SMLABT(p67, C1)        columns 4 5 | 6
 * 10 multiplies for 15 MACs after one LDRD (C0, C1) and one LDM; phase 1 (below) drops out0's
 * padding column: 9. Then per output the 3x3 path's requantization (TG_DW3_REQUANT in
 * tg_depthwise_conv2d_3x3_rows_s8_dsp.h, its proof there): SMMLAR, the sign's ADD, ASR, SSAT,
 * and STRB.
 *
 * Instructions per channel and output row (5 outputs, 45 MACs), phase 1: the bias 1,
 * 3 x (LDRD + LDM + 9 multiplies) = 33, LDMDB of M, R, n 1, 5 x 3 to requantize (4 with the
 * sign's ADD), 5 STRB and an ADD (out3's address), the loop 2 (TST of the last record's flag,
 * BEQ): 58, 11.6 per output. Phase 0: 3 more multiplies and the output step loaded per channel
 * (r3 holds p67): 62. The floor of this instruction set: 9 MACs need 5 multiplies (4 SMLAD and
 * a halfword one), and each output 4 to requantize and store (SMMLAR, ASR, SSAT, STRB: the sign's
 * ADD is left out on the ReLU layers), 9 per output; a row of 3 taps pairs its third tap with
 * a neighbour output's only (6, 5.4 in phase 1), and the 14 registers hold one channel's 5 sums,
 * a kernel row's 2 weight words and 3..4 data words, so the weights and the data are loaded
 * per kernel row (0.4 per output) and the requantization constants per channel: 11.6. The
 * widening adds 22 instructions per 16 values (TG_DW3N_WIDEN_PAIRS; 14 per 8 for a lone pair):
 * on MLPerf KWS's rows (5 pixels, padding 1) 36 per 4 channels and input row, 1.8 per output.
 *
 * Registers of the channel loop (all 14): r0..r3 the column pairs (then M, R, n; r3 the output
 * step in phase 1), r4..r8 the five sums, r9, lr the weights (then the requantized output, an
 * address), r10 the output, r11 the ring, r12 the records. Kernel row k's weights are at byte
 * 4 + 8 k of a record; which kernel row a slot holds turns with the output row (slot s holds
 * kernel row (s - top) mod 3), so each phase's loop comes in 3 forms, one per turn.
 *
 * Needs __ARM_FEATURE_DSP (-mcpu=cortex-m4 / cortex-m7).
 */
#ifndef TG_DEPTHWISE_CONV2D_3X3_NARROW_S8_DSP_H
#define TG_DEPTHWISE_CONV2D_3X3_NARROW_S8_DSP_H

#include <stdint.h>

#define TG_DW3N_LINE 5
#define TG_DW3N_RECORD_WORDS 10
#define TG_DW3N_LAST 256

/*
 * The sign's ADD (+ (acc2 >> 31)), as TG_DW3_SIGN_ADD: a build defines TG_DW3N_SIGN_ADD 0
 * (tinygen/codegen/sign_add.py) where every layer running this kernel has act_min >= its output
 * zero point.
 */
#ifndef TG_DW3N_SIGN_ADD
#define TG_DW3N_SIGN_ADD 1
#endif
#if TG_DW3N_SIGN_ADD
#define TG_DW3N_SIGN(y, sum) "add    " y ", " y ", " sum ", asr #31\n\t"
#else
#define TG_DW3N_SIGN(y, sum) ""
#endif

/* ---- phase 0 (pad_left 0): slot word k holds padded columns 2k, 2k + 1 (4 words) ---- */

/* Kernel row C1 products (after the C0 ones). */
#define TG_DW3N_C1                                             \
    "smlabt r4, r1, lr, r4\n\t"                                \
    "smlad  r5, r1, lr, r5\n\t"                                \
    "smlabt r6, r2, lr, r6\n\t"                                \
    "smlad  r7, r2, lr, r7\n\t"                                \
    "smlabt r8, r3, lr, r8\n\t"

/* The first slot's kernel row (its weights `off` bytes from r12): every sum starts from the
   bias in r4, out0's last. */
#define TG_DW3N_ROW_FIRST(off)                                 \
    "ldrd   r9, lr, [r12, #" off "]\n\t"                       \
    "ldmia  r11!, {r0, r1, r2, r3}\n\t"                        \
    "smlatb r5, r0, r9, r4\n\t"                                \
    "smlad  r6, r1, r9, r4\n\t"                                \
    "smlatb r7, r1, r9, r4\n\t"                                \
    "smlad  r8, r2, r9, r4\n\t"                                \
    "smlad  r4, r0, r9, r4\n\t"                                \
    TG_DW3N_C1

#define TG_DW3N_ROW(off)                                       \
    "ldrd   r9, lr, [r12, #" off "]\n\t"                       \
    "ldmia  r11!, {r0, r1, r2, r3}\n\t"                        \
    "smlad  r4, r0, r9, r4\n\t"                                \
    "smlatb r5, r0, r9, r5\n\t"                                \
    "smlad  r6, r1, r9, r6\n\t"                                \
    "smlatb r7, r1, r9, r7\n\t"                                \
    "smlad  r8, r2, r9, r8\n\t"                                \
    TG_DW3N_C1

/* ---- phase 1 (pad_left 1 or 2: padded column 0 is padding): slot word k holds padded
   columns 2k + 1, 2k + 2 (3 words q0..q2, r0..r2); out0's column 0 drops:
       out0 += SMLAD(q0, C1)                            columns (0) | 1 2
       out1 += SMLAD(q0, C0) + SMLABT(q1, C1)           columns 1 2 | 3
       out2 += SMLATB(q0, C0) + SMLAD(q1, C1)           columns 2 | 3 4
       out3 += SMLAD(q1, C0) + SMLABT(q2, C1)           columns 3 4 | 5
       out4 += SMLATB(q1, C0) + SMLAD(q2, C1)           columns 4 | 5 6
   9 multiplies per kernel row; r3 keeps the output step. ---- */

#define TG_DW3N_C1_P1                                          \
    "smlabt r5, r1, lr, r5\n\t"                                \
    "smlad  r6, r1, lr, r6\n\t"                                \
    "smlabt r7, r2, lr, r7\n\t"                                \
    "smlad  r8, r2, lr, r8\n\t"

#define TG_DW3N_ROW_FIRST_P1(off)                              \
    "ldrd   r9, lr, [r12, #" off "]\n\t"                       \
    "ldmia  r11!, {r0, r1, r2}\n\t"                            \
    "smlad  r5, r0, r9, r4\n\t"                                \
    "smlatb r6, r0, r9, r4\n\t"                                \
    "smlad  r7, r1, r9, r4\n\t"                                \
    "smlatb r8, r1, r9, r4\n\t"                                \
    "smlad  r4, r0, lr, r4\n\t"                                \
    TG_DW3N_C1_P1

#define TG_DW3N_ROW_P1(off)                                    \
    "ldrd   r9, lr, [r12, #" off "]\n\t"                       \
    "ldmia  r11!, {r0, r1, r2}\n\t"                            \
    "smlad  r4, r0, lr, r4\n\t"                                \
    "smlad  r5, r0, r9, r5\n\t"                                \
    "smlatb r6, r0, r9, r6\n\t"                                \
    "smlad  r7, r1, r9, r7\n\t"                                \
    "smlatb r8, r1, r9, r8\n\t"                                \
    TG_DW3N_C1_P1

/*
 * The five outputs requantized (M r0, R r1, n r2) and stored to r10 + i * r3, r10 one on; on to
 * the next record until the last (its flag in n). Two outputs, then three, in flight (into r9,
 * lr, then r9 and the sums' registers r5, r6 once read), so that the Cortex-M7 pairs each
 * SMMLAR, ASR, SSAT and STRB with another output's (14 cycles against 20 one output after the
 * other, by tinygen.cycles.cortex_m7; the same instructions).
 */
#define TG_DW3N_STORE                                          \
    "ldmdb  r12, {r0, r1, r2}\n\t"                             \
    "smmlar r9, r5, r0, r1\n\t"                               \
    "smmlar lr, r6, r0, r1\n\t"                               \
    TG_DW3N_SIGN("r9", "r5")                                   \
    TG_DW3N_SIGN("lr", "r6")                                   \
    "asr    r9, r9, r2\n\t"                                    \
    "asr    lr, lr, r2\n\t"                                    \
    "ssat   r9, #8, r9\n\t"                                    \
    "ssat   lr, #8, lr\n\t"                                    \
    "strb   r9, [r10, r3]\n\t"                                 \
    "smmlar r9, r8, r0, r1\n\t"                               \
    "strb   lr, [r10, r3, lsl #1]\n\t"                         \
    "smmlar r5, r7, r0, r1\n\t"                               \
    "add    lr, r10, r3, lsl #1\n\t"                           \
    "smmlar r6, r4, r0, r1\n\t"                               \
    TG_DW3N_SIGN("r9", "r8")                                   \
    TG_DW3N_SIGN("r5", "r7")                                   \
    TG_DW3N_SIGN("r6", "r4")                                   \
    "asr    r9, r9, r2\n\t"                                    \
    "asr    r5, r5, r2\n\t"                                    \
    "asr    r6, r6, r2\n\t"                                    \
    "ssat   r9, #8, r9\n\t"                                    \
    "ssat   r5, #8, r5\n\t"                                    \
    "strb   r9, [r10, r3, lsl #2]\n\t"                         \
    "ssat   r6, #8, r6\n\t"                                    \
    "strb   r5, [lr, r3]\n\t"                                  \
    "tst    r2, #256\n\t"                                      \
    "strb   r6, [r10], #1\n\t"                                 \
    "beq    1b\n\t"

/*
 * The channel loop for one turn of the ring: s0, s1, s2 the record offsets (after the bias
 * load moved r12 a record on) of the kernel rows in slots 0, 1, 2. Phase 0 loads the output
 * step (the channel count, the memory operand %[step]) per channel: r3 holds a column pair.
 */
#define TG_DW3N_LOOP(s0, s1, s2)                               \
    "1:\n\t"                                                   \
    "ldr    r4, [r12], #40\n\t"                                \
    TG_DW3N_ROW_FIRST(s0)                                      \
    TG_DW3N_ROW(s1)                                            \
    TG_DW3N_ROW(s2)                                            \
    "ldr    r3, %[step]\n\t"                                   \
    TG_DW3N_STORE

#define TG_DW3N_LOOP_P1(s0, s1, s2)                            \
    "ldr    r3, %[step]\n\t"                                   \
    "1:\n\t"                                                   \
    "ldr    r4, [r12], #40\n\t"                                \
    TG_DW3N_ROW_FIRST_P1(s0)                                   \
    TG_DW3N_ROW_P1(s1)                                         \
    TG_DW3N_ROW_P1(s2)                                         \
    TG_DW3N_STORE

/* Kernel row k's weights: byte 4 + 8 k of a record, 40 bytes behind r12 in the loop. */
#define TG_DW3N_W0 "-36"
#define TG_DW3N_W1 "-28"
#define TG_DW3N_W2 "-20"

#define TG_DW3N_ASM(loop)                                                                        \
    __asm__ volatile(loop                                                                        \
                     : "+r"(r11), "+r"(r12), "+r"(r10)                                           \
                     : [step] "m"(step)                                                          \
                     : "r0", "r1", "r2", "r3", "r4", "r5", "r6", "r7", "r8", "r9", "lr", "cc", "memory")

/*
 * One output row, every channel: ring at channel 0's slot 0, rec the first record, out the
 * row's first pixel (channel 0), step the channel count; turn: the slot of kernel row 0;
 * phase 1 where padded column 0 is padding.
 */
static __attribute__((noinline, unused)) void
tg_dw3n_row(const int32_t *ring, const int32_t *rec, int8_t *out, int32_t step, int32_t turn, int32_t phase)
{
    register const int32_t *r11 __asm__("r11") = ring;
    register const int32_t *r12 __asm__("r12") = rec;
    register int8_t *r10 __asm__("r10") = out;
    if (phase) {
        if (turn == 0) {
            TG_DW3N_ASM(TG_DW3N_LOOP_P1(TG_DW3N_W0, TG_DW3N_W1, TG_DW3N_W2));
        } else if (turn == 1) {
            TG_DW3N_ASM(TG_DW3N_LOOP_P1(TG_DW3N_W2, TG_DW3N_W0, TG_DW3N_W1));
        } else {
            TG_DW3N_ASM(TG_DW3N_LOOP_P1(TG_DW3N_W1, TG_DW3N_W2, TG_DW3N_W0));
        }
    } else if (turn == 0) {
        TG_DW3N_ASM(TG_DW3N_LOOP(TG_DW3N_W0, TG_DW3N_W1, TG_DW3N_W2));
    } else if (turn == 1) {
        TG_DW3N_ASM(TG_DW3N_LOOP(TG_DW3N_W2, TG_DW3N_W0, TG_DW3N_W1));
    } else {
        TG_DW3N_ASM(TG_DW3N_LOOP(TG_DW3N_W1, TG_DW3N_W2, TG_DW3N_W0));
    }
}

/*
 * Two column pairs k, k + 1 of a ring slot, every channel, 4 channels a pass: a, b, c, d the
 * padded columns they hold (channel 0 of an input pixel, or the zero-point row), dst channel
 * 0's word k; c1, c2, c3, c4: 1 .. 4 channels' bytes in the ring (3 slots), as immediates.
 * PKHBT / PKHTB put channels 0, 1 (2, 3) of two columns in a word, SXTAB16 and its rotated
 * form give each channel's pair with the offset; STRD stores a channel's words k, k + 1.
 * 22 instructions for 16 values.
 */
#define TG_DW3N_WIDEN_PAIRS(c1, c2, c3, c4)                                                      \
    __asm__ volatile(                                                                            \
        "1:\n\t"                                                                                 \
        "ldr     %[va], [%[a]], #4\n\t"                                                          \
        "ldr     %[vb], [%[b]], #4\n\t"                                                          \
        "ldr     %[vc], [%[c]], #4\n\t"                                                          \
        "ldr     %[vd], [%[d]], #4\n\t"                                                          \
        "pkhbt   %[t], %[va], %[vb], lsl #16\n\t"                                                \
        "pkhtb   %[vb], %[vb], %[va], asr #16\n\t"                                               \
        "pkhbt   %[va], %[vc], %[vd], lsl #16\n\t"                                               \
        "pkhtb   %[vd], %[vd], %[vc], asr #16\n\t"                                               \
        "sxtab16 %[vc], %[off], %[t], ror #8\n\t"                                                \
        "sxtab16 %[u], %[off], %[va], ror #8\n\t"                                                \
        "strd    %[vc], %[u], [%[dst], #" c1 "]\n\t"                                             \
        "sxtab16 %[vc], %[off], %[vb]\n\t"                                                       \
        "sxtab16 %[u], %[off], %[vd]\n\t"                                                        \
        "strd    %[vc], %[u], [%[dst], #" c2 "]\n\t"                                             \
        "sxtab16 %[vc], %[off], %[vb], ror #8\n\t"                                               \
        "sxtab16 %[u], %[off], %[vd], ror #8\n\t"                                                \
        "strd    %[vc], %[u], [%[dst], #" c3 "]\n\t"                                             \
        "sxtab16 %[vc], %[off], %[t]\n\t"                                                        \
        "sxtab16 %[u], %[off], %[va]\n\t"                                                        \
        "strd    %[vc], %[u], [%[dst]], #" c4 "\n\t"                                             \
        "cmp     %[a], %[end]\n\t"                                                               \
        "bne     1b\n\t"                                                                         \
        : [a] "+r"(a), [b] "+r"(b), [c] "+r"(c), [d] "+r"(d), [dst] "+r"(dst), [va] "=&r"(va),   \
          [vb] "=&r"(vb), [vc] "=&r"(vc), [vd] "=&r"(vd), [t] "=&r"(t), [u] "=&r"(u)             \
        : [off] "r"(offset2), [end] "r"(end)                                                     \
        : "memory", "cc")

/* One column pair k of a ring slot (as TG_DW3N_WIDEN_PAIRS): 14 instructions for 8 values. */
#define TG_DW3N_WIDEN_PAIR(c1, c2, c3, c4)                                                       \
    __asm__ volatile(                                                                            \
        "1:\n\t"                                                                                 \
        "ldr     %[va], [%[a]], #4\n\t"                                                          \
        "ldr     %[vb], [%[b]], #4\n\t"                                                          \
        "pkhbt   %[t], %[va], %[vb], lsl #16\n\t"                                                \
        "pkhtb   %[vb], %[vb], %[va], asr #16\n\t"                                               \
        "sxtab16 %[va], %[off], %[t], ror #8\n\t"                                                \
        "str     %[va], [%[dst], #" c1 "]\n\t"                                                   \
        "sxtab16 %[va], %[off], %[vb]\n\t"                                                       \
        "str     %[va], [%[dst], #" c2 "]\n\t"                                                   \
        "sxtab16 %[va], %[off], %[vb], ror #8\n\t"                                               \
        "str     %[va], [%[dst], #" c3 "]\n\t"                                                   \
        "sxtab16 %[va], %[off], %[t]\n\t"                                                        \
        "str     %[va], [%[dst]], #" c4 "\n\t"                                                   \
        "cmp     %[a], %[end]\n\t"                                                               \
        "bne     1b\n\t"                                                                         \
        : [a] "+r"(a), [b] "+r"(b), [dst] "+r"(dst), [va] "=&r"(va), [vb] "=&r"(vb), [t] "=&r"(t) \
        : [off] "r"(offset2), [end] "r"(end)                                                     \
        : "memory", "cc")

/* Columns a, b, c, d (b, d null: one pair) widened into dst, `words` words a ring slot. */
static __attribute__((noinline, unused)) void
tg_dw3n_widen_run(const int8_t *a, const int8_t *b, const int8_t *c, const int8_t *d, int32_t channels,
                  int32_t offset2, int32_t *dst, int32_t words)
{
    const int8_t *const end = a + channels;
    int32_t va, vb, vc, vd, t, u;
    if (c == 0) {
        if (words == 4) {
            TG_DW3N_WIDEN_PAIR("48", "96", "144", "192");
        } else {
            TG_DW3N_WIDEN_PAIR("36", "72", "108", "144");
        }
        (void)c, (void)d, (void)vc, (void)vd, (void)u;
    } else if (words == 4) {
        TG_DW3N_WIDEN_PAIRS("48", "96", "144", "192");
    } else {
        TG_DW3N_WIDEN_PAIRS("36", "72", "108", "144");
    }
}

#endif /* TG_DEPTHWISE_CONV2D_3X3_NARROW_S8_DSP_H */
