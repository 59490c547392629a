/*
 * The 3-row block of tg_conv2d_1x1_rows3_s8_dsp: a specialized pointwise layer with the
 * folded requantization (TG_REQUANT_FOLDED, tg_mat_mult_pairs_s8_dsp.h, where the doubled
 * rows, doubled biases and the records are explained) computed 3 rows (output pixels) by 2
 * output channels at a time.
 *
 * One step takes 4 values of depth: per channel an LDR of its weight word and SXTB16,
 * SXTB16 ROR 8 (the 4 widened weight pairs stay in registers through the step), then per row
 * an LDRD of its widened pairs and 4 SMLAD: 2 + 4 + 3 x (1 + 4) = 21 instructions for 24
 * multiply-accumulates, against the 2-row block's 16 for 16. Registers: 6 accumulators, 4
 * weight pairs, 2 input pairs, the rows' and the weights' pointers: all 14 (r0-r12, lr); the
 * records' and outputs' pointers and the loop's end live in memory, reloaded once per
 * channel pair (6 outputs).
 *
 * The other block shapes that fit 14 registers with int8 weights (each weight word
 * sign-extended once per step by 2 SXTB16, each input pair read once per channel group):
 *   r rows x c channels: c LDR + 2c SXTB16 + r LDRD + 2rc SMLAD for 4rc MACs,
 *   registers 2rc + 2c + 2 + 2 (the inputs loaded one row at a time):
 *   2 x 2: 16 / 16 = 1.00   3 x 2: 21 / 24 = 0.875   2 x 3 (rows held, 4 + 6 + 2 + 2 = 14):
 *   23 / 24 = 0.96   6 x 1: 21 / 24   7 x 1: 24 / 28 = 0.857   8 x 1: 27 / 32 = 0.84;
 *   4 x 2 needs 16 registers. Per row a block keeps a widened row in scratch (2 bytes per
 *   value): 7 or 8 rows would add 4 or 5 rows' scratch (KWS's arena has no room for it) and
 *   lose more to the rows left over, for 2-3% fewer instructions in the steps; 6 x 1 equals
 *   3 x 2 with twice the scratch. 3 x 2 is the block here.
 *
 * Rows: blocks of 3 in increasing order; where rows % 3 != 0 the last block is the last 3
 * rows, overlapping the one before by 1 or 2 rows (computed again, written again with the
 * same values): one copy of the asm serves every block. A block widens its 3 input rows into
 * scratch before writing any output (the in-place planner's model: tinygen/passes/inplace.py).
 *
 * Needs __ARM_FEATURE_DSP (-mcpu=cortex-m4 / cortex-m7).
 */
#ifndef TG_MAT_MULT_ROWS3_S8_DSP_H
#define TG_MAT_MULT_ROWS3_S8_DSP_H

#include <arm_acle.h>
#include <stdint.h>

#include "tg_dsp_s8.h"
#include "tg_mat_mult_pairs_s8_dsp.h"
#include "tg_mat_mult_s8_dsp.h"

/* 24 bytes of widened rows per 4 values of depth: 3 rows x 2 pair words. */
#define TG_ROWS3_GROUP_WORDS 6

/* The doubled sums of one channel (weights w, int8 [depth]) over the 3 widened rows, added
   to a[0..2]: the odd last channel. */
static inline __attribute__((always_inline)) void tg_rows3_one_channel(const int16_t *x, int32_t depth,
                                                                      const int8_t *w, int32_t a[3])
{
    const int32_t *xw = (const int32_t *)__builtin_assume_aligned(x, 8);
    const int32_t groups = (depth + 3) >> 2, body = depth & ~3;
    int32_t a0 = a[0], a1 = a[1], a2 = a[2], g;
    for (g = 0; g < groups; ++g, xw += TG_ROWS3_GROUP_WORDS) {
        const int32_t v = tg_dsp_load_s8x4(w + (4 * g < body ? 4 * g : depth - 4));
        const int32_t wa = __sxtb16(v), wb = tg_dsp_sxtb16_odd(v);
        a0 = __smlad(xw[1], wb, __smlad(xw[0], wa, a0));
        a1 = __smlad(xw[3], wb, __smlad(xw[2], wa, a1));
        a2 = __smlad(xw[5], wb, __smlad(xw[4], wa, a2));
    }
    a[0] = a0;
    a[1] = a1;
    a[2] = a2;
}

/*
 * One step: 4 values of depth, rows at r0, r1, r2 (LDRD addressing) x 2 channels, the second
 * channel's weight word at ch1, the first's at ch0 (which may step %[w] on). The first row's
 * LDRD comes before the SXTB16s and its SMLADs between them, so that the Cortex-M7 pairs them
 * (17 cycles a step against 18 by tinygen.cycles.cortex_m7; the M4's 28 unchanged).
 */
#define TG_ROWS3_ROW(r, a0, a1)                                 \
    "ldrd   %[xa], %[xb], " r "\n\t"                           \
    "smlad  %[" #a0 "], %[xa], %[wa0], %[" #a0 "]\n\t"         \
    "smlad  %[" #a1 "], %[xa], %[wa1], %[" #a1 "]\n\t"         \
    "smlad  %[" #a0 "], %[xb], %[wb0], %[" #a0 "]\n\t"         \
    "smlad  %[" #a1 "], %[xb], %[wb1], %[" #a1 "]\n\t"

#define TG_ROWS3_STEP_X(r0, r1, r2, ch1, ch0)   \
    "ldr    %[wb1], " ch1 "\n\t"               \
    "ldr    %[wb0], " ch0 "\n\t"               \
    "ldrd   %[xa], %[xb], " r0 "\n\t"          \
    "sxtb16 %[wa1], %[wb1]\n\t"                \
    "sxtb16 %[wb1], %[wb1], ror #8\n\t"        \
    "sxtb16 %[wa0], %[wb0]\n\t"                \
    "smlad  %[a01], %[xa], %[wa1], %[a01]\n\t" \
    "sxtb16 %[wb0], %[wb0], ror #8\n\t"        \
    "smlad  %[a00], %[xa], %[wa0], %[a00]\n\t" \
    "smlad  %[a01], %[xb], %[wb1], %[a01]\n\t" \
    "smlad  %[a00], %[xb], %[wb0], %[a00]\n\t" \
    TG_ROWS3_ROW(r1, a10, a11)                 \
    TG_ROWS3_ROW(r2, a20, a21)

/* The step reading the rows at %[x], stepping it 24 bytes on. */
#define TG_ROWS3_STEP(ch1, ch0) TG_ROWS3_STEP_X("[%[x]], #8", "[%[x]], #8", "[%[x]], #8", ch1, ch0)

/* The step reading the rows at %[x] + .Ltg_r3o (an assembler symbol), %[x] kept. */
#define TG_ROWS3_STEP_AT(ch1, ch0) \
    TG_ROWS3_STEP_X("[%[x], #.Ltg_r3o]", "[%[x], #.Ltg_r3o+8]", "[%[x], #.Ltg_r3o+16]", ch1, ch0)

/*
 * An output's saturation in register y: to int8, or by USAT #ub where the activation is
 * [0, 2^ub - 1], then clamped to [lo, hi] by compares where it clips otherwise.
 */
#define TG_ROWS3_SAT(y)                                                 \
    ".if    %c[ub]\n\t"                                                \
    "usat   %[" y "], #%c[ub], %[" y "]\n\t"                            \
    ".else\n\t"                                                        \
    "ssat   %[" y "], #8, %[" y "]\n\t"                                 \
    ".if    %c[lo] > -128\n\t"                                         \
    "cmp    %[" y "], #%c[lo]\n\t"                                      \
    "it     lt\n\t"                                                    \
    "movlt  %[" y "], #%c[lo]\n\t"                                      \
    ".endif\n\t"                                                       \
    ".if    %c[hi] < 127\n\t"                                          \
    "cmp    %[" y "], #%c[hi]\n\t"                                      \
    "it     gt\n\t"                                                    \
    "movgt  %[" y "], #%c[hi]\n\t"                                      \
    ".endif\n\t"                                                       \
    ".endif\n\t"

/* The sign's ADD of sum a into y, left out where %[pos]. */
#define TG_ROWS3_SIGN(y, a)                                             \
    ".if    !%c[pos]\n\t"                                              \
    "add    %[" y "], %[" y "], %[" a "], asr #31\n\t"                  \
    ".endif\n\t"

/*
 * One channel's three outputs: sums a, b, c, multiplier m, R r, n from register n (its low
 * byte), requantized into ya, yb and a (free once its sum's ADD has read it); TG_ROWS3_OUT3 takes
 * %[wa0], %[wb0] and stores the three to da, db, dc. The three side by side, so that the Cortex-M7
 * pairs one's SMMLAR, ADD, ASR and SSAT with another's (tinygen.cycles.cortex_m7); the same
 * instructions as one after the other.
 */
#define TG_ROWS3_REQ3(a, b, c, m, r, n, ya, yb)                         \
    "smmlar %[" #ya "], %[" #a "], %[" #m "], %[" #r "]\n\t"          \
    "smmlar %[" #yb "], %[" #b "], %[" #m "], %[" #r "]\n\t"          \
    TG_ROWS3_SIGN(#ya, #a)                                              \
    TG_ROWS3_SIGN(#yb, #b)                                              \
    "smmlar %[" #a "], %[" #c "], %[" #m "], %[" #r "]\n\t"            \
    TG_ROWS3_SIGN(#a, #c)                                               \
    "asr    %[" #ya "], %[" #ya "], %[" #n "]\n\t"                     \
    "asr    %[" #yb "], %[" #yb "], %[" #n "]\n\t"                     \
    "asr    %[" #a "], %[" #a "], %[" #n "]\n\t"                        \
    TG_ROWS3_SAT(#ya)                                                   \
    TG_ROWS3_SAT(#yb)                                                   \
    TG_ROWS3_SAT(#a)

#define TG_ROWS3_OUT3(a, b, c, m, r, n, da, db, dc)                     \
    TG_ROWS3_REQ3(a, b, c, m, r, n, wa0, wb0)                           \
    "strb   %[wa0], " da "\n\t"                                        \
    "strb   %[wb0], " db "\n\t"                                        \
    "strb   %[" #a "], " dc "\n\t"

/* TG_PAIR_STRH=1 (the F446's cflags, boards/nucleo-f446re.toml): a row's two outputs of the channel
   pair, adjacent bytes, joined by one BFI and written by one STRH (3 cycles on a Cortex-M4) instead of
   two STRB (2 cycles each: a store after a store does not pipeline); the first channel's 3 results are
   held in wa0, wb0 and its first sum's register while the second's are requantized into the first's
   spent second and third sums' registers; the 4-pixel blocks likewise (tg_rows4_loop_dsp.h). Off
   elsewhere: those cores' objects stay as they were. */
#ifndef TG_PAIR_STRH
#define TG_PAIR_STRH 0
#endif

/* The channel pair's 6 outputs, the first channel's constants already in xa, xb, wb1, the outputs'
   pointer in wa1. */
#if TG_PAIR_STRH
#define TG_ROWS3_OUTPUTS                                                                 \
    TG_ROWS3_REQ3(a00, a10, a20, xa, xb, wb1, wa0, wb0)                                  \
    "ldr    %[xa], [%[x], #12]\n\t"               /* the second channel's */            \
    "ldr    %[xb], [%[x], #20]\n\t"                                                     \
    "ldr    %[wb1], [%[x], #28]\n\t"                                                    \
    TG_ROWS3_REQ3(a01, a11, a21, xa, xb, wb1, a10, a20)                                  \
    "bfi    %[wa0], %[a10], #8, #8\n\t"                                                 \
    "strh   %[wa0], [%[wa1]]\n\t"                                                       \
    "bfi    %[wb0], %[a20], #8, #8\n\t"                                                 \
    "strh   %[wb0], [%[wa1], #%c[gap]]\n\t"                                             \
    "bfi    %[a00], %[a01], #8, #8\n\t"                                                 \
    "strh   %[a00], [%[wa1], #2*%c[gap]]\n\t"
#else
#define TG_ROWS3_OUTPUTS                                                                 \
    TG_ROWS3_OUT3(a00, a10, a20, xa, xb, wb1, "[%[wa1]]", "[%[wa1], #%c[gap]]", "[%[wa1], #2*%c[gap]]") \
    "ldr    %[xa], [%[x], #12]\n\t"               /* the second channel's */            \
    "ldr    %[xb], [%[x], #20]\n\t"                                                     \
    "ldr    %[wb1], [%[x], #28]\n\t"                                                    \
    TG_ROWS3_OUT3(a01, a11, a21, xa, xb, wb1, "[%[wa1], #1]", "[%[wa1], #%c[gap]+1]",    \
                  "[%[wa1], #2*%c[gap]+1]")
#endif

/* depth % 4 (the last group's values) as an assembler expression of the operand dep, and a
   macro's value as a string: the asm's operands are at GCC's limit of 30. */
#define TG_ROWS3_T "(%c[dep]&3)"
#define TG_ROWS3_STR_(x) #x
#define TG_ROWS3_STR(x) TG_ROWS3_STR_(x)

/* Up to this many steps run unrolled whole (the rows read at offsets), more in a loop of 4, 5, 3 or
   2 steps per pass (a divisor of the trip count where one is), as tg_pairs_loop_asm's: 5 before 3
   and 2 so that depth 40 (KWS's first conv, 10 x 4 x 1) runs 2 passes of 5 steps, not 5 of 2 (9
   instructions of loop control fewer per channel pair, 3 steps more of code). A loop of 8
   steps would leave out half the passes' 3 instructions of loop control (KWS's pointwise layers:
   6 per channel pair) for 4 more steps of code per layer (84 B each, every instruction 32-bit):
   over VWW's 11 such layers its flash would pass the CMSIS-NN build's. A board whose code cache
   6 steps unrolled overflow sets its own in its cflags: the F446's 1 KB ART (-DTG_ROWS3_WHOLE=4,
   boards/nucleo-f446re.toml) keeps IC's first conv (depth 27) a loop of 3 steps that fits it. */
#ifndef TG_ROWS3_WHOLE
#define TG_ROWS3_WHOLE 6
#endif

/* TG_ROWS3_UNROLL8=1 (the F446's cflags, boards/nucleo-f446re.toml): where the steps are a multiple of
   8, a loop of 8 steps a pass before 4 (KWS's pointwise layers, depth 64: 2 passes, not 4), so half
   the passes' loop control (LDR, CMP and the taken BNE, whose refill a Cortex-M4 pays) is left
   out, for 4 more steps of code. */
#ifndef TG_ROWS3_UNROLL8
#define TG_ROWS3_UNROLL8 0
#endif

/* TG_BIAS_MOVS=1 (the F446's cflags, boards/nucleo-f446re.toml): a channel pair's doubled biases loaded
   once by one LDRD and copied to the other rows' accumulators by MOVs (1 cycle each on a Cortex-M4)
   instead of one more LDRD per row (3 cycles each, and a load); here and in the 4-pixel blocks
   (tg_rows4_loop_dsp.h). Off elsewhere: those cores' objects stay as they were. */
#ifndef TG_BIAS_MOVS
#define TG_BIAS_MOVS 0
#endif
#if TG_BIAS_MOVS
#define TG_ROWS3_BIASES                   \
    "mov    %[a10], %[a00]\n\t"          \
    "mov    %[a11], %[a01]\n\t"          \
    "mov    %[a20], %[a00]\n\t"          \
    "mov    %[a21], %[a01]\n\t"
#else
#define TG_ROWS3_BIASES                   \
    "ldrd   %[a10], %[a11], [%[xa]]\n\t" \
    "ldrd   %[a20], %[a21], [%[xa]]\n\t"
#endif

/*
 * The pair loop of one 3-row block as one asm block: per pair the record's doubled biases
 * (an LDRD per row, or one and MOVs: TG_BIAS_MOVS), the steps, the last group where depth % 4,
 * then the 6 outputs with the record's constants, until the record whose n carries TG_PAIRS_LAST. x: the 3 rows widened
 * (tg_widen_rows_doubled_s8, 3 rows); rec: the layer's records (tg_pairs_records); op: row 0's
 * outputs, the rows gap bytes apart. depth, gap, lo, hi, ub, pos: constants.
 */
static inline __attribute__((always_inline)) void tg_rows3_loop_asm(const int16_t *x, int32_t depth, int32_t gap,
                                                                   const int8_t *weights, const int32_t *rec,
                                                                   int8_t *op, int32_t lo, int32_t hi, int32_t ub,
                                                                   int32_t pos)
{
    const int32_t *const xbase = (const int32_t *)__builtin_assume_aligned(x, 8);
    const int32_t trips = depth >> 2;
    const int32_t unroll = trips <= TG_ROWS3_WHOLE ? 1 : TG_ROWS3_UNROLL8 && trips % 8 == 0 ? 8
                           : trips % 4 == 0 ? 4 : trips % 5 == 0 ? 5 : trips % 3 == 0 ? 3 : trips % 2 == 0 ? 2 : 4;
    const int32_t pre = trips <= TG_ROWS3_WHOLE ? trips : trips % unroll;
    const int32_t loops = trips <= TG_ROWS3_WHOLE ? 0 : trips / unroll;
    const int32_t *const xend = xbase + TG_ROWS3_GROUP_WORDS * trips;
    const int32_t *recm = rec;
    int8_t *opm = op;
    const int8_t *wr = weights;
    const int32_t *xr;
    int32_t a00, a01, a10, a11, a20, a21, wa0, wb0, wa1, wb1, xa, xb;
    __asm__ volatile(
        "1:\n\t"
        "ldr    %[x], %[xbase]\n\t"
        "ldr    %[xa], %[rec]\n\t"
        "ldrd   %[a00], %[a01], [%[xa]]\n\t"
        TG_ROWS3_BIASES
        ".if    %c[loops]\n\t"
        ".rept  %c[pre]\n\t"
        TG_ROWS3_STEP("[%[w], #%c[dep]]", "[%[w]], #4")
        ".endr\n\t"
        "2:\n\t"
        ".rept  %c[unroll]\n\t"
        TG_ROWS3_STEP("[%[w], #%c[dep]]", "[%[w]], #4")
        ".endr\n\t"
        ".if    %c[loops] - 1\n\t"
        "ldr    %[xa], %[xend]\n\t"
        "cmp    %[x], %[xa]\n\t"
        "bne    2b\n\t"
        ".endif\n\t"
        ".if    " TG_ROWS3_T "\n\t"
        TG_ROWS3_STEP("[%[w], #%c[dep]+" TG_ROWS3_T "-4]", "[%[w], #" TG_ROWS3_T "-4]")
        ".endif\n\t"
        ".else\n\t"                                   /* whole: the rows at offsets of %[x] */
        ".set   .Ltg_r3o, 0\n\t"
        ".rept  %c[pre]\n\t"
        TG_ROWS3_STEP_AT("[%[w], #%c[dep]]", "[%[w]], #4")
        ".set   .Ltg_r3o, .Ltg_r3o + 24\n\t"
        ".endr\n\t"
        ".if    " TG_ROWS3_T "\n\t"
        TG_ROWS3_STEP_AT("[%[w], #%c[dep]+" TG_ROWS3_T "-4]", "[%[w], #" TG_ROWS3_T "-4]")
        ".endif\n\t"
        ".endif\n\t"
        "add    %[w], %[w], #%c[dep]+" TG_ROWS3_T "\n\t"       /* the next pair's weights */
        "ldr    %[x], %[rec]\n\t"
        "ldr    %[wa1], %[op]\n\t"
        "ldr    %[xa], [%[x], #8]\n\t"                /* the first channel's multiplier, R, n */
        "ldr    %[xb], [%[x], #16]\n\t"
        "ldr    %[wb1], [%[x], #24]\n\t"
        TG_ROWS3_OUTPUTS
        "adds   %[wa1], %[wa1], #2\n\t"
        "str    %[wa1], %[op]\n\t"
        "adds   %[x], %[x], #32\n\t"
        "str    %[x], %[rec]\n\t"
        "tst    %[wb1], #" TG_ROWS3_STR(TG_PAIRS_LAST) "\n\t"
        "beq    1b\n\t"
        : [x] "=&r"(xr), [w] "+r"(wr), [a00] "=&r"(a00), [a01] "=&r"(a01), [a10] "=&r"(a10), [a11] "=&r"(a11),
          [a20] "=&r"(a20), [a21] "=&r"(a21), [wa0] "=&r"(wa0), [wb0] "=&r"(wb0), [wa1] "=&r"(wa1),
          [wb1] "=&r"(wb1), [xa] "=&r"(xa), [xb] "=&r"(xb), [rec] "+m"(recm), [op] "+m"(opm)
        : [pre] "i"(pre), [loops] "i"(loops), [unroll] "i"(unroll), [xend] "m"(xend),
          [dep] "i"(depth), [gap] "i"(gap), [lo] "i"(lo), [hi] "i"(hi), [ub] "i"(ub), [pos] "i"(pos != 0), [xbase] "m"(xbase)
        : "memory", "cc");
}

/*
 * Whether a layer's product takes the 3-row blocks: a specialized layer (every size and bound
 * a constant) with the folded requantization, at least 3 rows and 2 channels, depth 4..1999,
 * the rows' outputs within an STRB's offset of each other. Else the 2-row product runs.
 */
static inline __attribute__((always_inline)) int32_t tg_rows3_on(const tg_mat_mult_quant_t *q, int32_t rows,
                                                                 int32_t depth, int32_t cols)
{
    return TG_REQUANT_KIND(q->bounded) == TG_REQUANT_FOLDED && __builtin_constant_p(rows) &&
           __builtin_constant_p(depth) && __builtin_constant_p(cols) && __builtin_constant_p(q->act_min) &&
           __builtin_constant_p(q->act_max) && rows >= 3 && depth >= 4 && depth < 2000 && cols >= 2 &&
           2 * cols + 1 < 4096;
}

/*
 * Bytes of scratch: three rows widened doubled (depth rounded up to 4, 2 bytes a value), then
 * the channel pairs' records (4 words per channel). The 2-row product (tg_mat_mult_s8_dsp.h,
 * what the generic entry point runs) needs less.
 */
static inline int32_t tg_conv2d_1x1_rows3_s8_dsp_buffer_size(int32_t depth, int32_t cols)
{
    return 3 * ((depth + 3) & ~3) * (int32_t)sizeof(int16_t) + 4 * cols * (int32_t)sizeof(int32_t);
}

/* The activation [lo, hi] as USAT's bit count where it is [0, 2^ub - 1], else 0. */
static inline __attribute__((always_inline)) int32_t tg_rows3_usat_bits(int32_t lo, int32_t hi)
{
    return lo == 0 && hi > 0 && hi < 128 && (hi & (hi + 1)) == 0 ? 32 - __builtin_clz((uint32_t)hi) : 0;
}

/*
 * One 3-row block: rows x0, x1, x2 (int8 [depth]) widened into buf, then their outputs at out
 * (the rows cols bytes apart) from the records rec (tg_pairs_records), the odd last channel
 * after the pairs. Shared by the pointwise product and the im2col convolution
 * (tg_conv2d_rows3_s8_dsp.h).
 */
static inline __attribute__((always_inline)) void tg_rows3_block(
    const int8_t *x0, const int8_t *x1, const int8_t *x2, int32_t depth, int32_t cols, const int8_t *weights,
    const int32_t *bias, const int32_t *multiplier, const int8_t *shift, const tg_mat_mult_quant_t *q,
    int16_t *buf, const int32_t *rec, int8_t *out)
{
    const int32_t pos = TG_REQUANT_POS_OF(q->bounded);
    const int32_t lo = q->act_min, hi = q->act_max;
    tg_widen_rows_doubled_s8(x0, x1, x2, 3, depth, q->input_offset, buf);
    tg_rows3_loop_asm(buf, depth, cols, weights, rec, out, lo, hi, tg_rows3_usat_bits(lo, hi), pos);
    if (cols & 1) {     /* the last channel of an odd count */
        const int32_t once = TG_REQUANT_ONCE_OF(q->bounded);
        const int32_t o = cols - 1, n = once ? 0 : -shift[o];
        const int32_t b = bias != NULL ? 2 * bias[o] : 0;
        const int32_t rr = tg_folded_round(q->output_offset, n, once);
        int32_t a[3] = {b, b, b}, i;
        tg_rows3_one_channel(buf, depth, &weights[o * depth], a);
        for (i = 0; i < 3; ++i) {
            out[i * cols + o] = (int8_t)tg_pairs_out(a[i], multiplier[o], rr, n, lo, hi, pos);
        }
    }
}

/* The product of rows x depth by cols in 3-row blocks (tg_rows3_on holds). */
static inline __attribute__((always_inline)) void tg_mat_mult_rows3_s8_dsp(
    int32_t rows, int32_t depth, int32_t cols, const int8_t *input, const int8_t *weights, const int32_t *bias,
    const int32_t *multiplier, const int8_t *shift, const tg_mat_mult_quant_t *q, int8_t *scratch, int8_t *output)
{
    int16_t *const buf = (int16_t *)__builtin_assume_aligned(scratch, 8);
    int32_t *const rec = (int32_t *)(void *)(buf + 3 * ((depth + 3) & ~3));
    int32_t r = 0;
    tg_pairs_records_of(q->bounded, cols, bias, multiplier, shift, q->output_offset, rec);
    for (;;) {      /* one copy of the block: the last block is the last 3 rows */
        const int8_t *x0 = &input[r * depth];
        tg_rows3_block(x0, x0 + depth, x0 + 2 * depth, depth, cols, weights, bias, multiplier, shift, q, buf, rec,
                       &output[r * cols]);
        if (r + 3 >= rows) {
            break;
        }
        r = r + 6 <= rows ? r + 3 : rows - 3;
    }
}

/*
 * A specialized layer of tg_conv2d_1x1_rows3_s8_dsp (tinygen.kernels.specialize): its
 * constants folded, the 3-row blocks where tg_rows3_on holds, else the 2-row product
 * tg_conv2d_1x1_s8_dsp_inline runs.
 */
static inline __attribute__((always_inline)) void tg_conv2d_1x1_rows3_s8_dsp_inline(
    const tg_conv2d_params_t *p, int32_t bounded, const int8_t *input, const int8_t *weights,
    const int32_t *bias, const int32_t *multiplier, const int8_t *shift, int8_t *scratch, int8_t *output)
{
    const tg_mat_mult_quant_t q = {p->input_offset, p->output_offset, p->act_min, p->act_max, bounded};
    const int32_t rows = p->out_h * p->out_w;
    if (tg_rows3_on(&q, rows, p->in_c, p->out_c)) {
        tg_mat_mult_rows3_s8_dsp(rows, p->in_c, p->out_c, input, weights, bias, multiplier, shift, &q, scratch,
                                 output);
    } else {
        tg_mat_mult_s8_dsp_with(rows, p->in_c, p->out_c, input, weights, bias, multiplier, shift, &q, scratch,
                                output, 1);
    }
}

#endif /* TG_MAT_MULT_ROWS3_S8_DSP_H */
