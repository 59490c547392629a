/*
 * The 3x3 depthwise path's output rows (ARMv7E-M): the packed records, the folded
 * requantization and the inline-assembly loops that compute one output row from three
 * widened ring rows (two or four output pixels per pass, SMLAD on int16 column pairs).
 * Included by tg_depthwise_conv2d_3x3_s8_dsp.h (the ring of widened rows and the layer
 * loop), whose users (the dense, depth-multiplier and gated 3x3 kernels) take these
 * macros and functions through it.
 *
 * Needs __ARM_FEATURE_DSP (-mcpu=cortex-m4 / cortex-m7).
 */
#ifndef TG_DEPTHWISE_CONV2D_3X3_ROWS_S8_DSP_H
#define TG_DEPTHWISE_CONV2D_3X3_ROWS_S8_DSP_H

#include <stdint.h>

/*
 * The 3x3 path's per-channel records, packed at build time after a header word
 * (tinygen/kernels/depthwise_dsp.py, depthwise_dsp_records) and walked by one pointer,
 * 7 words with the weights doubled, as int16 halves (lo | hi << 16):
 *   0: the doubled bias        1: w[0][0] | w[0][1]     2: w[0][2] | w[1][2]
 *   3: w[1][0] | w[1][1]       4: w[2][0] | w[2][1]
 *   5: (n - 1) | last << 8 | w[2][2] << 16                6: the multiplier
 * (n = -shift; see TG_DW3_REQUANT). Per kernel row one LDRD takes its column pair's
 * weights (one SMLAD against a column pair) and the word holding w[r][2], which the
 * halfword multiplies read from the bottom (row 0) or the top half (rows 1, 2): row 1's
 * LDRD loads words 2, 3 into w1, w0. Shifts by register read only the bottom byte, so
 * n - 1 shares word 5 with w[2][2] and with `last` (TG_DW3_LAST, bit 8), set in the last
 * channel's record only: the channel loops end on it (TST, BEQ), no end pointer. The
 * rounding constant R = k << (n - 1), k = 1 + 2 * output_offset (the layer's), is one LSL
 * by word 5 per channel, not a record word. The header word is the channel count where the
 * layer's shape and constants let the 3x3 path serve it, 0 otherwise.
 */
#define TG_DW3_RECORD_WORDS 7
#define TG_DW3_LAST 0x100

/*
 * The requantization, in the loops below: tg_dw_requant_small (tg_depthwise_conv2d_s8_dsp.c)
 * with the output offset folded in, 4 instructions per output. With x = SMMULR(acc2, multiplier) (|x| < 2^30)
 * and n = -shift, tg_dw_requant_small is
 *   SSAT8(floor((floor((x - [x < 0]) / 2^(n-1)) + 1 + 2 * output_offset) / 2))
 *   = SSAT8(floor((x - [x < 0] + R) / 2^n)),   R = (1 + 2 * output_offset) * 2^(n-1)
 * (nested floors of divisions by powers of two combine, and R is a multiple of
 * 2^(n-1)). SMMLAR(acc2, multiplier, R) gives x + R in one instruction. [x < 0] may be
 * replaced by [acc2 < 0] (the multiplier is >= 0, so x has acc2's sign or is 0, and
 * for x == 0 both give the output offset as R / 2^(n-1) is odd). The records are
 * packed only where the sum stays inside int32 (depthwise_dsp.py checks
 * |x| + |R| + 1 < 2^31 per channel). Then ASR by n - 1 (w1's bottom byte, as R's LSL)
 * and SSAT of that shifted right by 1 more (floor(floor(v / 2^(n-1)) / 2) = floor(v / 2^n)).
 *
 * Registers of the loops: rec walks the records (post-incremented by the first load,
 * the rest addressed below it), a, b, c the ring rows of kernel rows 0..2 (one word
 * per channel, post-incremented), n the channel count (the next column pair is
 * n words on, the step's second output pixel n bytes on), out the output (post-
 * incremented). s0, s1 are the sums, x0, x1 column pairs, w0, w1 record words.
 */
#define TG_DW3_REQUANT(dst, sum)                           \
    "smmlar %[" #dst "], %[" #sum "], %[w0], %[x0]\n\t"   \
    TG_DW3_SIGN(dst, sum)                                  \
    "asr    %[" #dst "], %[" #dst "], %[w1]\n\t"           \
    "ssat   %[" #dst "], #8, %[" #dst "], asr #1\n\t"

/*
 * The sign's ADD (+ (acc2 >> 31), i.e. - [acc2 < 0]). A build defines TG_DW3_SIGN_ADD 0
 * (-DTG_DW3_SIGN_ADD=0, tinygen/codegen/sign_add.py) where every layer it links that runs these
 * loops has act_min >= its output zero point: the ADD only lowers an output at an exact tie
 * below zero, to at most the zero point minus 1, which SSAT (act_min -128) or the clamp pass
 * (tg_dw3_clamp) raises to act_min anyway. 3 instructions per output then.
 */
#ifndef TG_DW3_SIGN_ADD
#define TG_DW3_SIGN_ADD 1
#endif
#if TG_DW3_SIGN_ADD
#define TG_DW3_SIGN(dst, sum) "add    %[" #dst "], %[" #dst "], %[" #sum "], asr #31\n\t"
#else
#define TG_DW3_SIGN(dst, sum) ""
#endif

#define TG_DW3_OPERANDS                                                                          \
    : [rec] "+r"(rec), [a] "+r"(a), [b] "+r"(b), [c] "+r"(c), [out] "+r"(out), [s0] "=&r"(s0), \
      [s1] "=&r"(s1), [x0] "=&r"(x0), [x1] "=&r"(x1), [w0] "=&r"(w0), [w1] "=&r"(w1)            \
    : [n] "r"(channels), [k] "r"(k)                                                              \
    : "memory", "cc"

/* Bytes from one record to the next, as the loops' immediates: the row macros address a
   record's words below rec, which the record's first load has moved TG_DW3_STEP bytes on.
   tg_depthwise_conv2d_3x3_gated_s8_dsp.h redefines it for its longer records after including
   this header (a macro expands where it is used). */
#define TG_DW3_STEP "28"

/* The weights of kernel row 0, 1 or 2 (record words 1, 2; 3, 2; 4, 5; rec one record on),
   and the half of w1 holding w[r][2] (b or t, the last letter of a halfword multiply). */
#define TG_DW3_LOAD_0 "ldrd   %[w0], %[w1], [%[rec], #4-" TG_DW3_STEP "]\n\t"
#define TG_DW3_LOAD_1 "ldrd   %[w1], %[w0], [%[rec], #8-" TG_DW3_STEP "]\n\t"
#define TG_DW3_LOAD_2 "ldrd   %[w0], %[w1], [%[rec], #16-" TG_DW3_STEP "]\n\t"
#define TG_DW3_HALF_0 "b"
#define TG_DW3_HALF_1 "t"
#define TG_DW3_HALF_2 "t"

/* Kernel row k at pointer r, stride 1: output 0 takes columns 0, 1 (SMLAD) and 2; output 1
   columns 1, 2, 3 (three halfword products). s1in is s1, or s0 (the bias) in the first row. */
#define TG_DW3_ROW_S1(r, k, s1in)                              \
    TG_DW3_LOAD_##k                                            \
    "ldr    %[x1], [%[" #r "], %[n], lsl #2]\n\t"              \
    "ldr    %[x0], [%[" #r "]], #4\n\t"                        \
    "smlatb %[s1], %[x0], %[w0], %[" #s1in "]\n\t"             \
    "smlad  %[s0], %[x0], %[w0], %[s0]\n\t"                    \
    "smlab" TG_DW3_HALF_##k " %[s0], %[x1], %[w1], %[s0]\n\t"  \
    "smlabt %[s1], %[x1], %[w0], %[s1]\n\t"                    \
    "smlat" TG_DW3_HALF_##k " %[s1], %[x1], %[w1], %[s1]\n\t"

/* Kernel row, stride 2: output 0 takes columns 0, 1 and 2; output 1 columns 2, 3 and 4. */
#define TG_DW3_ROW_S2(r, k, s1in)                              \
    TG_DW3_LOAD_##k                                            \
    "ldr    %[x1], [%[" #r "], %[n], lsl #2]\n\t"              \
    "ldr    %[x0], [%[" #r "], %[n], lsl #3]\n\t"              \
    "smlad  %[s1], %[x1], %[w0], %[" #s1in "]\n\t"             \
    "smlab" TG_DW3_HALF_##k " %[s0], %[x1], %[w1], %[s0]\n\t"  \
    "smlab" TG_DW3_HALF_##k " %[s1], %[x0], %[w1], %[s1]\n\t"  \
    "ldr    %[x0], [%[" #r "]], #4\n\t"                        \
    "smlad  %[s0], %[x0], %[w0], %[s0]\n\t"

/* Kernel row, one output: columns 0, 1 and 2. */
#define TG_DW3_ROW_1(r, k)                                     \
    TG_DW3_LOAD_##k                                            \
    "ldr    %[x1], [%[" #r "], %[n], lsl #2]\n\t"              \
    "ldr    %[x0], [%[" #r "]], #4\n\t"                        \
    "smlad  %[s0], %[x0], %[w0], %[s0]\n\t"                    \
    "smlab" TG_DW3_HALF_##k " %[s0], %[x1], %[w1], %[s0]\n\t"

/* The requantization constants of the record just walked past (words 5, 6 below rec: n - 1
   into w1, the multiplier into w0) and R = k << (n - 1) into x0, k in a register (the 1- and
   2-pixel loops) or in memory (the 4-pixel loops: all 14 registers are taken). */
#define TG_DW3_CONSTANTS                                       \
    "ldrd   %[w1], %[w0], [%[rec], #20-" TG_DW3_STEP "]\n\t"   \
    "lsl    %[x0], %[k], %[w1]\n\t"
#define TG_DW3_QUAD_CONSTANTS                                  \
    "ldrd   %[w1], %[w0], [%[rec], #20-" TG_DW3_STEP "]\n\t"   \
    "ldr    %[x0], %[k]\n\t"                                  \
    "lsl    %[x0], %[x0], %[w1]\n\t"

/* The channel loop's end: on to the next record unless this one was the last (its word 5,
   still in w1, has TG_DW3_LAST). */
#define TG_DW3_NEXT                                            \
    "tst    %[w1], #0x100\n\t"                                 \
    "beq    1b\n\t"

/* A record's first load: the bias into s0, rec on to the next record. */
#define TG_DW3_FIRST "ldr    %[s0], [%[rec]], #" TG_DW3_STEP "\n\t"

/* Both outputs requantized and stored, out on to the next channel. */
#define TG_DW3_PAIR_OUT                                        \
    TG_DW3_CONSTANTS                                           \
    TG_DW3_REQUANT(x1, s0)                                     \
    TG_DW3_REQUANT(s0, s1)                                     \
    "strb   %[s0], [%[out], %[n]]\n\t"                         \
    "strb   %[x1], [%[out]], #1\n\t"

#define TG_DW3_STORE2                                          \
    TG_DW3_PAIR_OUT                                            \
    TG_DW3_NEXT

/*
 * Two adjacent output pixels of a row, every channel (stride 1 or 2), written to out
 * (the first pixel's channel 0); a, b, c at the first window's column pair.
 */
static inline __attribute__((always_inline)) void
tg_dw3_pairs(const int32_t *rec, const int32_t *a, const int32_t *b, const int32_t *c, int32_t channels,
             int32_t stride, int32_t k, int8_t *out)
{
    int32_t s0, s1, x0, x1, w0, w1;
    if (stride == 1) {
        __asm__ volatile(
            "1:\n\t"
            TG_DW3_FIRST
            TG_DW3_ROW_S1(a, 0, s0)
            TG_DW3_ROW_S1(b, 1, s1)
            TG_DW3_ROW_S1(c, 2, s1)
            TG_DW3_STORE2
            TG_DW3_OPERANDS);
    } else {
        __asm__ volatile(
            "1:\n\t"
            TG_DW3_FIRST
            TG_DW3_ROW_S2(a, 0, s0)
            TG_DW3_ROW_S2(b, 1, s1)
            TG_DW3_ROW_S2(c, 2, s1)
            TG_DW3_STORE2
            TG_DW3_OPERANDS);
    }
}

/* Kernel row k's w1 made the pair of its weights 1 and 2, W12, from w1 (whose HALF_k holds
   w[k][2]) and w0 (w[k][0] | w[k][1] << 16), keeping w[k][2] in HALF_k: row 0 PKHBT gives
   w[k][2] | w[k][1] << 16 (its SMLAD exchanges the halves: SMLADX), rows 1, 2 PKHTB give
   w[k][1] | w[k][2] << 16. The record is unchanged; the row's next LDRD loads w1 again. */
#define TG_DW3_W12_0 "pkhbt  %[w1], %[w1], %[w0]\n\t"
#define TG_DW3_W12_1 "pkhtb  %[w1], %[w1], %[w0], asr #16\n\t"
#define TG_DW3_W12_2 TG_DW3_W12_1
#define TG_DW3_SMLAD12_0 "smladx"
#define TG_DW3_SMLAD12_1 "smlad "
#define TG_DW3_SMLAD12_2 "smlad "

/* Kernel row, stride 1, four outputs: columns 0..5 as three column pairs p01, p23, p45
   (p23 and p45 first, from the row's pointer before p01's post-increment). Outputs 0 and 2
   take a pair times w0 (SMLAD) and column 2 or 4 times w[k][2]; outputs 1 and 3 column 1 or
   3 times w[k][0] and a pair times W12 (one SMLAD for 2 MACs): 8 multiplies for 12 MACs.
   s0in is s0 or, in the first row, s0 for all four sums (the bias, read before s0 takes its
   first product). */
#define TG_DW3_ROW_Q(r, k, s1in, s2in, s3in)                   \
    TG_DW3_LOAD_##k                                            \
    "ldr    %[x1], [%[" #r "], %[n], lsl #2]\n\t"              \
    "ldr    %[x0], [%[" #r "], %[n], lsl #3]\n\t"              \
    TG_DW3_W12_##k                                             \
    "smlad  %[s2], %[x1], %[w0], %[" #s2in "]\n\t"             \
    TG_DW3_SMLAD12_##k " %[s1], %[x1], %[w1], %[" #s1in "]\n\t" \
    "smlatb %[s3], %[x1], %[w0], %[" #s3in "]\n\t"             \
    "smlab" TG_DW3_HALF_##k " %[s0], %[x1], %[w1], %[s0]\n\t"  \
    "smlab" TG_DW3_HALF_##k " %[s2], %[x0], %[w1], %[s2]\n\t"  \
    TG_DW3_SMLAD12_##k " %[s3], %[x0], %[w1], %[s3]\n\t"       \
    "ldr    %[x0], [%[" #r "]], #4\n\t"                        \
    "smlad  %[s0], %[x0], %[w0], %[s0]\n\t"                    \
    "smlatb %[s1], %[x0], %[w0], %[s1]\n\t"

/* Kernel row, stride 2, four outputs: columns 0..8 as the pairs p01, p23, p45, p67 and
   column 8 (the pairs 0..4 column-pair steps of n words on; x0 addresses p67 and p89 from
   p45). Output i takes pair i times w0 (SMLAD) and column 2i + 2 times w[k][2]: every
   widened column used, 5 loads and 8 multiplies for 12 MACs. In the first row (s0in: s0,
   the bias) s3 holds p67 until its own sum starts, and s0 takes its products last. */
#define TG_DW3_ROW_Q2_FIRST(r, k)                              \
    TG_DW3_LOAD_##k                                            \
    "ldr    %[x1], [%[" #r "], %[n], lsl #2]\n\t"              \
    "ldr    %[x0], [%[" #r "], %[n], lsl #3]\n\t"              \
    "smlad  %[s1], %[x1], %[w0], %[s0]\n\t"                    \
    "smlad  %[s2], %[x0], %[w0], %[s0]\n\t"                    \
    "smlab" TG_DW3_HALF_##k " %[s1], %[x0], %[w1], %[s1]\n\t"  \
    "add    %[x0], %[" #r "], %[n], lsl #3\n\t"                \
    "ldr    %[s3], [%[x0], %[n], lsl #2]\n\t"                  \
    "smlab" TG_DW3_HALF_##k " %[s2], %[s3], %[w1], %[s2]\n\t"  \
    "smlad  %[s3], %[s3], %[w0], %[s0]\n\t"                    \
    "ldr    %[x0], [%[x0], %[n], lsl #3]\n\t"                  \
    "smlab" TG_DW3_HALF_##k " %[s3], %[x0], %[w1], %[s3]\n\t"  \
    "smlab" TG_DW3_HALF_##k " %[s0], %[x1], %[w1], %[s0]\n\t"  \
    "ldr    %[x0], [%[" #r "]], #4\n\t"                        \
    "smlad  %[s0], %[x0], %[w0], %[s0]\n\t"

#define TG_DW3_ROW_Q2(r, k)                                    \
    TG_DW3_LOAD_##k                                            \
    "ldr    %[x1], [%[" #r "], %[n], lsl #2]\n\t"              \
    "ldr    %[x0], [%[" #r "], %[n], lsl #3]\n\t"              \
    "smlad  %[s1], %[x1], %[w0], %[s1]\n\t"                    \
    "smlab" TG_DW3_HALF_##k " %[s0], %[x1], %[w1], %[s0]\n\t"  \
    "smlad  %[s2], %[x0], %[w0], %[s2]\n\t"                    \
    "smlab" TG_DW3_HALF_##k " %[s1], %[x0], %[w1], %[s1]\n\t"  \
    "add    %[x0], %[" #r "], %[n], lsl #3\n\t"                \
    "ldr    %[x1], [%[x0], %[n], lsl #2]\n\t"                  \
    "smlab" TG_DW3_HALF_##k " %[s2], %[x1], %[w1], %[s2]\n\t"  \
    "smlad  %[s3], %[x1], %[w0], %[s3]\n\t"                    \
    "ldr    %[x1], [%[x0], %[n], lsl #3]\n\t"                  \
    "smlab" TG_DW3_HALF_##k " %[s3], %[x1], %[w1], %[s3]\n\t"  \
    "ldr    %[x0], [%[" #r "]], #4\n\t"                        \
    "smlad  %[s0], %[x0], %[w0], %[s0]\n\t"

/* A record's four sums over the window (bias included). */
#define TG_DW3_QUAD_SUMS                                       \
    TG_DW3_FIRST                                               \
    TG_DW3_ROW_Q(a, 0, s0, s0, s0)                             \
    TG_DW3_ROW_Q(b, 1, s1, s2, s3)                             \
    TG_DW3_ROW_Q(c, 2, s1, s2, s3)

/* The same at stride 2. */
#define TG_DW3_QUAD2_SUMS                                      \
    TG_DW3_FIRST                                               \
    TG_DW3_ROW_Q2_FIRST(a, 0)                                  \
    TG_DW3_ROW_Q2(b, 1)                                        \
    TG_DW3_ROW_Q2(c, 2)

/* The four outputs requantized and stored, out on to the next channel. */
#define TG_DW3_QUAD_OUT                                        \
    TG_DW3_QUAD_CONSTANTS                                      \
    TG_DW3_REQUANT(x1, s0)                                     \
    TG_DW3_REQUANT(s0, s1)                                     \
    TG_DW3_REQUANT(s1, s2)                                     \
    TG_DW3_REQUANT(s2, s3)                                     \
    "strb   %[s0], [%[out], %[n]]\n\t"                         \
    "strb   %[s1], [%[out], %[n], lsl #1]\n\t"                 \
    "add    %[s3], %[out], %[n], lsl #1\n\t"                   \
    "strb   %[s2], [%[s3], %[n]]\n\t"                          \
    "strb   %[x1], [%[out]], #1\n\t"

/* The registers of the 4-pixel loops (14: every one there is). */
#define TG_DW3_QUAD_REGS                                                                          \
    [rec] "+r"(rec), [a] "+r"(a), [b] "+r"(b), [c] "+r"(c), [out] "+r"(out), [s0] "=&r"(s0),      \
        [s1] "=&r"(s1), [s2] "=&r"(s2), [s3] "=&r"(s3), [x0] "=&r"(x0), [x1] "=&r"(x1), [w0] "=&r"(w0), \
        [w1] "=&r"(w1)

/* A channel loop of 4 output pixels: the sums, then the outputs, until the last record. */
#define TG_DW3_QUAD_LOOP(sums)                                 \
    "1:\n\t"                                                   \
    sums                                                       \
    TG_DW3_QUAD_OUT                                            \
    TG_DW3_NEXT

/*
 * The next 4 output pixels of a row after a channel loop of tg_dw3_quads_row: rec back to
 * the first record (kept in memory), a, b, c on by `more` further
 * column-pair steps (the loop moved them one), out on by 3 more pixels; then the count
 * of 4-pixel steps left (in memory) decremented, and on while it is not 0.
 */
#define TG_DW3_QUAD_NEXT(more)                                 \
    "ldr    %[rec], %[first]\n\t"                             \
    more                                                       \
    "add    %[out], %[out], %[n], lsl #1\n\t"                  \
    "add    %[out], %[out], %[n]\n\t"                          \
    "ldr    %[x0], %[quads]\n\t"                               \
    "subs   %[x0], %[x0], #1\n\t"                              \
    "str    %[x0], %[quads]\n\t"                               \
    "bne    1b\n\t"

/* one column-pair step on (stride 1: the next 4 pixels start 2 pairs on) */
#define TG_DW3_ON_1(r) "add    %[" #r "], %[" #r "], %[n], lsl #2\n\t"
/* three column-pair steps on (stride 2: 4 pairs on) */
#define TG_DW3_ON_3(r) "add    %[" #r "], %[" #r "], %[n], lsl #3\n\t" TG_DW3_ON_1(r)

#define TG_DW3_QUADS_ROW_OPERANDS                                                                 \
    : TG_DW3_QUAD_REGS, [quads] "+m"(quads)                                                       \
    : [n] "r"(channels), [k] "m"(k), [first] "m"(first)                                           \
    : "memory", "cc"

/*
 * The channel loop two channels a pass, for an even channel count (TG_DW3_CHANNEL_PAIRS=1): the
 * last record is then always a pass's second, so the first channel's end test (TST and the
 * taken BEQ back, whose refill a Cortex-M4 pays on each) is left out, one per 2 channels.
 * Twice the loop's code: a board sets it where its code cache holds that (the F446's
 * -DTG_DW3_CHANNEL_PAIRS=1, boards/nucleo-f446re.toml); an odd count runs the loop above.
 */
#ifndef TG_DW3_CHANNEL_PAIRS
#define TG_DW3_CHANNEL_PAIRS 0
#endif
#define TG_DW3_QUAD_LOOP2(sums)                                \
    "1:\n\t"                                                   \
    sums                                                       \
    TG_DW3_QUAD_OUT                                            \
    sums                                                       \
    TG_DW3_QUAD_OUT                                            \
    TG_DW3_NEXT

/* The 4-pixel loops at stride 1 or 2 (a constant where inlined) with the channel loop `loop`
   (TG_DW3_QUAD_LOOP or TG_DW3_QUAD_LOOP2), in tg_dw3_quads_row's variables. */
#define TG_DW3_QUADS_ASM(loop)                                                  \
    do {                                                                        \
        if (stride == 1) {                                                      \
            __asm__ volatile(                                                   \
                loop(TG_DW3_QUAD_SUMS)                                          \
                TG_DW3_QUAD_NEXT(TG_DW3_ON_1(a) TG_DW3_ON_1(b) TG_DW3_ON_1(c))  \
                TG_DW3_QUADS_ROW_OPERANDS);                                     \
        } else {                                                                \
            __asm__ volatile(                                                   \
                loop(TG_DW3_QUAD2_SUMS)                                         \
                TG_DW3_QUAD_NEXT(TG_DW3_ON_3(a) TG_DW3_ON_3(b) TG_DW3_ON_3(c))  \
                TG_DW3_QUADS_ROW_OPERANDS);                                     \
        }                                                                       \
    } while (0)

/*
 * quads (>= 1) times 4 adjacent output pixels of a row, every channel, stride 1 or 2 (a
 * constant where inlined): 66 instructions per channel for 36 MACs at stride 1, 72 at
 * stride 2 (every widened column used: 5 loads per kernel row for 9 columns), and 13 or
 * 17 per 4 pixels. a, b, c at the first window's column pair, out at its first pixel.
 */
static inline __attribute__((always_inline)) void
tg_dw3_quads_row(const int32_t *rec, const int32_t *a, const int32_t *b, const int32_t *c, int32_t channels,
                 int32_t quads, int32_t stride, int32_t k, int8_t *out)
{
    const int32_t *const first = rec;
    int32_t s0, s1, s2, s3, x0, x1, w0, w1;
    if (TG_DW3_CHANNEL_PAIRS && (channels & 1) == 0) {
        TG_DW3_QUADS_ASM(TG_DW3_QUAD_LOOP2);
    } else {
        TG_DW3_QUADS_ASM(TG_DW3_QUAD_LOOP);
    }
}

/* One output pixel, every channel (the last of an odd row). */
static __attribute__((unused)) void
tg_dw3_single(const int32_t *rec, const int32_t *a, const int32_t *b, const int32_t *c, int32_t channels, int32_t k,
              int8_t *out)
{
    int32_t s0, s1, x0, x1, w0, w1;
    __asm__ volatile(
        "1:\n\t"
        TG_DW3_FIRST
        TG_DW3_ROW_1(a, 0)
        TG_DW3_ROW_1(b, 1)
        TG_DW3_ROW_1(c, 2)
        TG_DW3_CONSTANTS
        TG_DW3_REQUANT(x1, s0)
        "strb   %[x1], [%[out]], #1\n\t"
        TG_DW3_NEXT
        TG_DW3_OPERANDS);
    (void)s1;
}

/* One output row, all channels, from the ring rows of kernel rows 0..2 (a, b, c: word 0
   is channel 0's pair of columns 0, 1): four output pixels per step, then two, then an odd
   last one. stride is a constant where inlined; k = 1 + 2 * output_offset. */
static inline __attribute__((always_inline)) void
tg_dw3_row(const int32_t *rec, const int32_t *a, const int32_t *b, const int32_t *c, int32_t channels,
           int32_t out_w, int32_t stride, int32_t k, int8_t *out)
{
    const int32_t step = stride * channels;     /* words between the column pairs of two pixels */
    const int32_t quads = out_w / 4;
    if (quads > 0) {
        tg_dw3_quads_row(rec, a, b, c, channels, quads, stride, k, out);
        a += 2 * quads * step;
        b += 2 * quads * step;
        c += 2 * quads * step;
        out += 4 * quads * channels;
    }
    if (out_w & 2) {
        tg_dw3_pairs(rec, a, b, c, channels, stride, k, out);
        a += step;
        b += step;
        c += step;
        out += 2 * channels;
    }
    if (out_w & 1) {
        tg_dw3_single(rec, a, b, c, channels, k, out);
    }
}

/* tg_dw3_row for stride_w 1 or 2. */
static __attribute__((noinline, unused)) void
tg_dw3_row_any(const int32_t *rec, const int32_t *a, const int32_t *b, const int32_t *c, int32_t channels,
               int32_t out_w, int32_t stride, int32_t k, int8_t *out)
{
    if (stride == 1) {
        tg_dw3_row(rec, a, b, c, channels, out_w, 1, k, out);
    } else {
        tg_dw3_row(rec, a, b, c, channels, out_w, 2, k, out);
    }
}

#endif /* TG_DEPTHWISE_CONV2D_3X3_ROWS_S8_DSP_H */
