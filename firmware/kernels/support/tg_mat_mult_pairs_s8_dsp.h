/*
 * The 2-row block of tg_mat_mult_s8_dsp.h for a specialized layer whose requantization
 * folds the output offset into the rounding (TG_REQUANT_FOLDED): per pair of output
 * channels the sums of both rows are computed and requantized at once, with no int32
 * sums stored in scratch and read back.
 *
 * The rows are widened doubled, 2 (x + input_offset) (SXTAB16 then SADD16; |.| <= 510),
 * and the bias doubled, so each sum is 2 acc, the value SMMLAR takes in
 * TG_REQUANT_FOLDED's y = SSAT8((SMMLAR(2 acc, multiplier, R) - [acc < 0]) >> n)
 * (|2 acc| < 2^31: the layer is bounded, |acc| < 2^30). One step of 4 values of depth
 * is one asm statement: 2 LDRD of the rows' pairs, per channel one LDR of its weight
 * word, SXTB16 and SXTB16 ROR 8, 4 SMLAD: 16 instructions for 16 multiply-accumulates,
 * the accumulators kept in registers through the step.
 *
 * Same block order as tg_mat_mult_s8_dsp.h: both input rows are read (widened into
 * scratch) before any output of the block is written. Bit-exact with the other paths
 * (numpy twin: tinygen.ref.kernels.conv2d_s8 / fully_connected_s8).
 *
 * Needs __ARM_FEATURE_DSP (-mcpu=cortex-m4 / cortex-m7).
 */
#ifndef TG_MAT_MULT_PAIRS_S8_DSP_H
#define TG_MAT_MULT_PAIRS_S8_DSP_H

#include <arm_acle.h>
#include <stdint.h>

#include "tg_dsp_s8.h"

/*
 * The 4 int8 values of v plus offset, doubled, as int16 pairs: (v0, v2) in *a, (v1, v3) in *b.
 * Where the offset is the constant 128 (zero point -128), x + 128 is x's byte with its top
 * bit flipped, read unsigned, so one EOR and two ANDs of shifted operands do it; else
 * SXTAB16 and SADD16 per pair.
 */
static inline __attribute__((always_inline)) void tg_widen_doubled_s8x4(int32_t v, int32_t offset, int32_t *a,
                                                                       int32_t *b)
{
    if (__builtin_constant_p(offset) && offset == 128) {
        const uint32_t t = (uint32_t)v ^ 0x80808080u;
        *a = (int32_t)((t << 1) & 0x01FE01FEu);
        *b = (int32_t)((t >> 7) & 0x01FE01FEu);
    } else {
        const int32_t offset2 = (int32_t)(((uint32_t)offset & 0xFFFFu) * 0x00010001u);
        const int32_t x = __sxtab16(offset2, v), y = tg_dsp_sxtab16_odd(offset2, v);
        *a = __sadd16(x, x);
        *b = __sadd16(y, y);
    }
}

/* TG_WIDEN3_ASM=1 (the F446's cflags, boards/nucleo-f446re.toml): 3 rows with the input offset 128 (after a
   ReLU) widened by one asm loop, a group of 4 values of each row per pass: 3 LDR, the EOR and two ANDs per
   row with the mask in a register, 3 STRD. GCC's loop (inlined beside the 3-row blocks' asm, which takes
   every register) reloads the mask and the end from the literal pool every pass and stores word by word:
   2 loads and 3 stores a pass more. Off elsewhere: those cores' objects stay as they were. */
#ifndef TG_WIDEN3_ASM
#define TG_WIDEN3_ASM 0
#endif

#if TG_WIDEN3_ASM
/* The first body (a multiple of 4, at least 4) values of rows x0, x1, x2 widened doubled with offset 128
   into d in tg_widen_rows_doubled_s8's layout; returns the word after the last written. */
static inline __attribute__((always_inline)) int32_t *tg_widen3_offset128_asm(const int8_t *x0, const int8_t *x1,
                                                                             const int8_t *x2, int32_t body,
                                                                             int32_t *d)
{
    int32_t *const end = d + 6 * (body >> 2);
    const uint32_t mask = 0x01FE01FEu;
    uint32_t a0, b0, a1, b1, a2, b2;
    __asm__ volatile(
        "1:\n\t"
        "ldr    %[b0], [%[x0]], #4\n\t"
        "ldr    %[b1], [%[x1]], #4\n\t"
        "ldr    %[b2], [%[x2]], #4\n\t"
        "eor    %[b0], %[b0], #0x80808080\n\t"
        "eor    %[b1], %[b1], #0x80808080\n\t"
        "eor    %[b2], %[b2], #0x80808080\n\t"
        "and    %[a0], %[m], %[b0], lsl #1\n\t"
        "and    %[b0], %[m], %[b0], lsr #7\n\t"
        "and    %[a1], %[m], %[b1], lsl #1\n\t"
        "and    %[b1], %[m], %[b1], lsr #7\n\t"
        "and    %[a2], %[m], %[b2], lsl #1\n\t"
        "and    %[b2], %[m], %[b2], lsr #7\n\t"
        "strd   %[a0], %[b0], [%[d]], #8\n\t"
        "strd   %[a1], %[b1], [%[d]], #8\n\t"
        "strd   %[a2], %[b2], [%[d]], #8\n\t"
        "cmp    %[d], %[end]\n\t"
        "bne    1b\n\t"
        : [x0] "+r"(x0), [x1] "+r"(x1), [x2] "+r"(x2), [d] "+r"(d), [a0] "=&r"(a0), [b0] "=&r"(b0),
          [a1] "=&r"(a1), [b1] "=&r"(b1), [a2] "=&r"(a2), [b2] "=&r"(b2)
        : [m] "r"(mask), [end] "r"(end)
        : "memory", "cc");
    return d;
}
#endif

/*
 * Rows x0, x1 and, for rows == 3, x2 (rows 2 or 3, a constant after inlining) widened doubled into dst
 * (8-byte aligned), in groups of 4 values: per group, row 0's pairs (v0, v2), (v1, v3), then
 * row 1's, then row 2's (tg_widen_rows_s8's layout for 2 rows). The last depth % 4 = t
 * values, if any, make a last group with 4 - t zeros before them: (0.., x[depth - t]..),
 * which a weight word read at the row's last 4 bytes (w[depth - 4 .. depth - 1]) meets with
 * its own last t weights, the zeros with the others. depth >= 4.
 */
static inline __attribute__((always_inline)) void tg_widen_rows_doubled_s8(const int8_t *x0, const int8_t *x1,
                                                                          const int8_t *x2, int32_t rows,
                                                                          int32_t depth, int32_t offset,
                                                                          int16_t *dst)
{
    const int32_t body = depth & ~3, t = depth - body;
    int32_t *d = (int32_t *)__builtin_assume_aligned(dst, 8);
    int32_t k = 0;
#if TG_WIDEN3_ASM
    if (rows == 3 && __builtin_constant_p(offset) && offset == 128) {
        d = tg_widen3_offset128_asm(x0, x1, x2, body, d);
        k = body;
    }
#endif
    for (; k < body; k += 4) {
        tg_widen_doubled_s8x4(tg_dsp_load_s8x4(x0 + k), offset, &d[0], &d[1]);
        tg_widen_doubled_s8x4(tg_dsp_load_s8x4(x1 + k), offset, &d[2], &d[3]);
        if (rows == 3) {
            tg_widen_doubled_s8x4(tg_dsp_load_s8x4(x2 + k), offset, &d[4], &d[5]);
        }
        d += 2 * rows;
    }
    if (t != 0) {
        /* the rows' last 4 values as a group, its first 4 - t positions (the body's last
           values) cleared: pairs (v0, v2), (v1, v3), so t = 1 keeps v3, t = 2 v2, v3, t = 3 v1..v3 */
        const uint32_t keep_a = t == 1 ? 0u : 0xFFFF0000u, keep_b = t == 3 ? 0xFFFFFFFFu : 0xFFFF0000u;
        int32_t a0, b0, a1, b1;
        tg_widen_doubled_s8x4(tg_dsp_load_s8x4(x0 + depth - 4), offset, &a0, &b0);
        if (rows == 3) {
            /* row by row here, both rows' reads first below: the orders each block's code and
               instruction counts were measured with (either order gives the same values) */
            d[0] = (int32_t)((uint32_t)a0 & keep_a);
            d[1] = (int32_t)((uint32_t)b0 & keep_b);
            tg_widen_doubled_s8x4(tg_dsp_load_s8x4(x1 + depth - 4), offset, &a1, &b1);
            d[2] = (int32_t)((uint32_t)a1 & keep_a);
            d[3] = (int32_t)((uint32_t)b1 & keep_b);
            tg_widen_doubled_s8x4(tg_dsp_load_s8x4(x2 + depth - 4), offset, &a0, &b0);
            d[4] = (int32_t)((uint32_t)a0 & keep_a);
            d[5] = (int32_t)((uint32_t)b0 & keep_b);
        } else {
            tg_widen_doubled_s8x4(tg_dsp_load_s8x4(x1 + depth - 4), offset, &a1, &b1);
            d[0] = (int32_t)((uint32_t)a0 & keep_a);
            d[1] = (int32_t)((uint32_t)b0 & keep_b);
            d[2] = (int32_t)((uint32_t)a1 & keep_a);
            d[3] = (int32_t)((uint32_t)b1 & keep_b);
        }
    }
}

/*
 * The sums of one channel (its weights w, int8 [depth]) over both rows widened by
 * tg_widen_rows_doubled_s8, added to a[0] (row 0), a[1] (row 1): the odd last channel.
 */
static inline __attribute__((always_inline)) void tg_pairs_one_channel(const int16_t *x, int32_t depth,
                                                                      const int8_t *w, int32_t a[2])
{
    const int32_t *xw = (const int32_t *)__builtin_assume_aligned(x, 8);
    const int32_t groups = (depth + 3) >> 2, body = depth & ~3;
    int32_t a0 = a[0], a1 = a[1], g;
    for (g = 0; g < groups; ++g, xw += 4) {
        const int32_t v = tg_dsp_load_s8x4(w + (4 * g < body ? 4 * g : depth - 4));
        const int32_t wa = __sxtb16(v), wb = tg_dsp_sxtb16_odd(v);
        a0 = __smlad(xw[0], wa, a0);
        a0 = __smlad(xw[1], wb, a0);
        a1 = __smlad(xw[2], wa, a1);
        a1 = __smlad(xw[3], wb, a1);
    }
    a[0] = a0;
    a[1] = a1;
}

/*
 * The requantization records of the channel pairs, written to scratch once per layer
 * (before its first block): per pair o, o + 1 (o < cols & ~1) 8 words
 *   2 bias[o], 2 bias[o + 1], multiplier[o], multiplier[o + 1], R[o], R[o + 1], n[o], n[o + 1]
 * with n = -shift and R = (1 + 2 output_offset) 2^(n-1), so that a block reads one pointer
 * (LDRD pairs) instead of three arrays and computes nothing per channel. The last pair's
 * n[o + 1] carries TG_PAIRS_LAST (bit 8), which ends the asm loop below: ASR by a register
 * takes its low byte only, and the C path masks it (TG_PAIRS_N). Out of line: one copy for
 * every layer.
 */
#define TG_PAIRS_RECORD_WORDS 8
#define TG_PAIRS_LAST 0x100
#define TG_PAIRS_N(word) ((word) & 0xFF)

static __attribute__((noinline, unused)) void tg_pairs_records(int32_t cols, const int32_t *bias,
                                                              const int32_t *multiplier, const int8_t *shift,
                                                              int32_t output_offset, int32_t *rec)
{
    const uint32_t round = (uint32_t)(1 + 2 * output_offset);
    int32_t o, j;
    for (o = 0; o + 2 <= cols; o += 2, rec += TG_PAIRS_RECORD_WORDS) {
        for (j = 0; j < 2; ++j) {
            const int32_t n = -shift[o + j];
            rec[j] = bias != NULL ? 2 * bias[o + j] : 0;
            rec[2 + j] = multiplier[o + j];
            rec[4 + j] = (int32_t)(round << (n - 1));
            rec[6 + j] = n;
        }
        if (o + 4 > cols) {     /* the last pair */
            rec[7] |= TG_PAIRS_LAST;
        }
    }
}

/* The records of a layer of single-rounding pairs (TG_REQUANT_ONCE in tg_mat_mult_s8_dsp.h): R
   the output zero point and n 0 (shift 0 for every channel). */
static __attribute__((noinline, unused)) void tg_pairs_records_once(int32_t cols, const int32_t *bias,
                                                                   const int32_t *multiplier, int32_t output_offset,
                                                                   int32_t *rec)
{
    int32_t o, j;
    for (o = 0; o + 2 <= cols; o += 2, rec += TG_PAIRS_RECORD_WORDS) {
        for (j = 0; j < 2; ++j) {
            rec[j] = bias != NULL ? 2 * bias[o + j] : 0;
            rec[2 + j] = multiplier[o + j];
            rec[4 + j] = output_offset;
            rec[6 + j] = 0;
        }
        if (o + 4 > cols) {     /* the last pair */
            rec[7] |= TG_PAIRS_LAST;
        }
    }
}

/* One step: 4 values of depth, 2 rows (xp, stepped 16 bytes) x 2 channels (w, stepped 4
   bytes; the second channel's word `depth` bytes on). */
typedef struct {
    int32_t a00, a01, a10, a11;     /* [row][channel] */
} tg_pairs_acc_t;

/*
 * One step: 4 values of depth, 2 rows (words at x0, then x1: %[x] stepped 16 bytes, or at an
 * offset) x 2 channels; ch1 / ch0 the addressing of the channels' weight words (the first
 * channel's may step %[w] on). Ordered so that no instruction reads a register loaded just
 * before it and the SXTB16s and the second weight load sit beside SMLADs (the Cortex-M7 pairs
 * them: 13 cycles a step against 15 by tinygen.cycles.cortex_m7; the M4's 22 unchanged).
 * Operands: x, w, a00, a01, a10, a11 and the scratch registers xa, xb, ya, yb, v, wa.
 */
#define TG_PAIRS_STEP_X(x0, x1, ch1, ch0)                  \
    "ldr    %[v], " ch1 "\n\t"                             \
    "ldrd   %[xa], %[xb], " x0 "\n\t"                     \
    "sxtb16 %[wa], %[v]\n\t"                               \
    "sxtb16 %[v], %[v], ror #8\n\t"                        \
    "ldrd   %[ya], %[yb], " x1 "\n\t"                     \
    "smlad  %[a01], %[xa], %[wa], %[a01]\n\t"              \
    "smlad  %[a11], %[ya], %[wa], %[a11]\n\t"              \
    "ldr    %[wa], " ch0 "\n\t"                            \
    "smlad  %[a01], %[xb], %[v], %[a01]\n\t"               \
    "smlad  %[a11], %[yb], %[v], %[a11]\n\t"               \
    "sxtb16 %[v], %[wa], ror #8\n\t"                       \
    "sxtb16 %[wa], %[wa]\n\t"                              \
    "smlad  %[a00], %[xa], %[wa], %[a00]\n\t"              \
    "smlad  %[a10], %[ya], %[wa], %[a10]\n\t"              \
    "smlad  %[a00], %[xb], %[v], %[a00]\n\t"               \
    "smlad  %[a10], %[yb], %[v], %[a10]\n\t"

/* The step reading the rows at %[x], stepping it 16 bytes on. */
#define TG_PAIRS_STEP(ch1, ch0) TG_PAIRS_STEP_X("[%[x]], #8", "[%[x]], #8", ch1, ch0)

/* The step reading the rows at %[x] + .Ltg_xo (an assembler symbol), %[x] kept: the steps of
   a pair unrolled whole, then its rows' address needs no reload. */
#define TG_PAIRS_STEP_AT(ch1, ch0) TG_PAIRS_STEP_X("[%[x], #.Ltg_xo]", "[%[x], #.Ltg_xo+8]", ch1, ch0)

#define TG_PAIRS_STEP_OPERANDS(a)                                                                             \
    [x] "+r"(*xp), [w] "+r"(*w), [a00] "+r"((a)->a00), [a01] "+r"((a)->a01), [a10] "+r"((a)->a10),          \
        [a11] "+r"((a)->a11), [xa] "=&r"(xa), [xb] "=&r"(xb), [ya] "=&r"(ya), [yb] "=&r"(yb), [v] "=&r"(v), \
        [wa] "=&r"(wa)

/* A step of the body: the channels' words at w + depth and w (w stepped 4 bytes on). */
static inline __attribute__((always_inline)) void tg_pairs_step_s8(const int32_t **xp, const int8_t **w,
                                                                  int32_t depth, tg_pairs_acc_t *a)
{
    int32_t xa, xb, ya, yb, v, wa;
    __asm__(TG_PAIRS_STEP("[%[w], %[d]]", "[%[w]], #4")
            : TG_PAIRS_STEP_OPERANDS(a)
            : [d] "r"(depth), "m"(*(const int64_t(*)[2]) * xp)
            : "memory");
}

/* The last group of t = depth % 4 values (w at the first channel's value depth - t): the
   words of each channel's last 4 weights, at w + t - 4 and w + depth + t - 4. */
static inline __attribute__((always_inline)) void tg_pairs_tail_s8(const int32_t **xp, const int8_t **w,
                                                                  int32_t depth, tg_pairs_acc_t *a)
{
    const int32_t t = depth & 3;
    int32_t xa, xb, ya, yb, v, wa;
    __asm__(TG_PAIRS_STEP("[%[w], %[d1]]", "[%[w], %[d0]]")
            : TG_PAIRS_STEP_OPERANDS(a)
            : [d1] "r"(depth + t - 4), [d0] "r"(t - 4), "m"(*(const int64_t(*)[2]) * xp)
            : "memory");
}

/* trips steps, unrolled by a literal n (GCC's pragma takes no macro). */
#define TG_PAIRS_PRAGMA(x) _Pragma(#x)
#define TG_PAIRS_STEPS(n, trips, xp, w, depth, a)   \
    do {                                            \
        int32_t t_;                                 \
        TG_PAIRS_PRAGMA(GCC unroll n)               \
        for (t_ = (trips); t_ != 0; --t_) {         \
            tg_pairs_step_s8(xp, w, depth, a);      \
        }                                           \
    } while (0)

/* The folded requantization of a doubled sum a2 (see the top of this file); pos: without the
   sign's ADD (act_min >= the output zero point: TG_REQUANT_POS in tg_mat_mult_s8_dsp.h). */
static inline __attribute__((always_inline)) int32_t tg_pairs_out(int32_t a2, int32_t m, int32_t r, int32_t n,
                                                                 int32_t act_min, int32_t act_max, int32_t pos)
{
    /* arithmetic shifts of negative values: see tg_requant.h */
    int32_t y = tg_dsp_ssat8((tg_dsp_smmlar(a2, m, r) + (pos ? 0 : a2 >> 31)) >> n);
    if (act_min != -128 || act_max != 127) {
        y = y < act_min ? act_min : y > act_max ? act_max : y;
    }
    return y;
}

/* An output's saturation in register y: to int8, or to [0, 2^ub - 1] (USAT) where the
   activation is that range (ub > 0). */
#define TG_PAIRS_SAT(y)                                    \
    ".if    %c[ub]\n\t"                                    \
    "usat   %[" y "], #%c[ub], %[" y "]\n\t"                \
    ".else\n\t"                                            \
    "ssat   %[" y "], #8, %[" y "]\n\t"                     \
    ".endif\n\t"

/* The sign's ADD of sum a into y, left out where %[pos] (act_min >= the output zero point:
   TG_REQUANT_POS). */
#define TG_PAIRS_SIGN(y, a)                                \
    ".if    !%c[pos]\n\t"                                  \
    "add    %[" y "], %[" y "], %[" a "], asr #31\n\t"      \
    ".endif\n\t"

/* Two outputs of the asm loop below: sums a, b, multiplier m, R r, n from register n,
   requantized into %[v] and a (free once its sum's ADD has read it), stored to da, db. On a
   dual-issue core (TG_DUAL_ISSUE=1: the Cortex-M7 boards' cflags) side by side, so that it pairs
   one's instructions with the other's (the same instructions); elsewhere one after the other
   into %[v], the order whose code the M4's ART was measured with. */
#if defined(TG_DUAL_ISSUE) && TG_DUAL_ISSUE
#define TG_PAIRS_OUT2(a, b, m, r, n, da, db)               \
    "smmlar %[v], %[" #a "], %[" #m "], %[" #r "]\n\t"     \
    TG_PAIRS_SIGN("v", #a)                                 \
    "smmlar %[" #a "], %[" #b "], %[" #m "], %[" #r "]\n\t" \
    TG_PAIRS_SIGN(#a, #b)                                  \
    "asr    %[v], %[v], %[" #n "]\n\t"                     \
    "asr    %[" #a "], %[" #a "], %[" #n "]\n\t"           \
    TG_PAIRS_SAT("v")                                      \
    TG_PAIRS_SAT(#a)                                       \
    "strb   %[v], " da "\n\t"                              \
    "strb   %[" #a "], " db "\n\t"
#else
#define TG_PAIRS_OUT1(a, m, r, n, dst)                     \
    "smmlar %[v], %[" #a "], %[" #m "], %[" #r "]\n\t"     \
    TG_PAIRS_SIGN("v", #a)                                 \
    "asr    %[v], %[v], %[" #n "]\n\t"                     \
    TG_PAIRS_SAT("v")                                      \
    "strb   %[v], " dst "\n\t"
#define TG_PAIRS_OUT2(a, b, m, r, n, da, db) TG_PAIRS_OUT1(a, m, r, n, da) TG_PAIRS_OUT1(b, m, r, n, db)
#endif

/* Up to this many steps run unrolled whole, more in a loop: 8 saved VWW 108,000 instructions
   (1.6%) for 684 B of code, which took its flash past the CMSIS-NN build's; 6 (from 4) takes
   VWW's first conv (depth 27: 6 steps and the tail) whole, 32,000 instructions for 184 B. A
   board whose code cache those bytes overflow sets its own in its cflags: the F446's 1 KB ART
   (-DTG_PAIRS_WHOLE=4, boards/nucleo-f446re.toml) keeps that layer's loop in a loop of 3 steps,
   so the loop fits the cache. */
#ifndef TG_PAIRS_WHOLE
#define TG_PAIRS_WHOLE 6
#endif

/*
 * The pair loop as one asm block, where every size is a constant it can take as an
 * immediate (a specialized layer) and the activation is the full int8 range: per pair
 * the record's doubled biases (an LDRD per row), the steps (up to TG_PAIRS_WHOLE alone, more in a loop of 4,
 * 3 or 2 steps per pass, ended by comparing the rows' pointer), the last group where depth % 4,
 * then the 4 outputs with the record's constants (2 LDRD, 2 LDR) in the registers the
 * steps used, until the record whose n carries TG_PAIRS_LAST. 14 registers: the steps'
 * loop end and the rows' address live in memory.
 */
static inline __attribute__((always_inline)) void tg_pairs_loop_asm(const int16_t *x, int32_t depth, int32_t gap,
                                                                   const int8_t *weights, const int32_t *rec,
                                                                   int8_t *op, int32_t ub, int32_t pos)
{
    const int32_t *xp0 = (const int32_t *)__builtin_assume_aligned(x, 8);
    const int32_t *xr = xp0;
    /* the steps: pre alone, then loops times unroll of them (a loop where loops > 1) */
    const int32_t trips = depth >> 2;
    const int32_t unroll = trips <= TG_PAIRS_WHOLE ? 1 : trips % 4 == 0 ? 4 : trips % 3 == 0 ? 3 : trips % 2 == 0 ? 2 : 4;
    const int32_t pre = trips <= TG_PAIRS_WHOLE ? trips : trips % unroll;
    const int32_t loops = trips <= TG_PAIRS_WHOLE ? 0 : trips / unroll;
    const int32_t *const xend = xp0 + 4 * trips;
    const int8_t *wr = weights;
    int32_t a00, a01, a10, a11, xa, xb, ya, yb, v, wa;
    __asm__ volatile(
        "1:\n\t"
        "ldrd   %[a00], %[a01], [%[rec]]\n\t"
        "ldrd   %[a10], %[a11], [%[rec]], #32\n\t"
        ".if    %c[loops]\n\t"
        ".rept  %c[pre]\n\t"
        TG_PAIRS_STEP("[%[w], %[dep]]", "[%[w]], #4")
        ".endr\n\t"
        "2:\n\t"
        ".rept  %c[unroll]\n\t"
        TG_PAIRS_STEP("[%[w], %[dep]]", "[%[w]], #4")
        ".endr\n\t"
        ".if    %c[loops] - 1\n\t"
        "ldr    %[v], %[xend]\n\t"
        "cmp    %[x], %[v]\n\t"
        "bne    2b\n\t"
        ".endif\n\t"
        ".if    %c[t]\n\t"
        TG_PAIRS_STEP("[%[w], #%c[dep]+%c[t]-4]", "[%[w], #%c[t]-4]")
        ".endif\n\t"
        "ldr    %[x], %[xbase]\n\t"
        ".else\n\t"                                   /* whole: the rows at offsets of %[x] */
        ".set   .Ltg_xo, 0\n\t"
        ".rept  %c[pre]\n\t"
        TG_PAIRS_STEP_AT("[%[w], %[dep]]", "[%[w]], #4")
        ".set   .Ltg_xo, .Ltg_xo + 16\n\t"
        ".endr\n\t"
        ".if    %c[t]\n\t"
        TG_PAIRS_STEP_AT("[%[w], #%c[dep]+%c[t]-4]", "[%[w], #%c[t]-4]")
        ".endif\n\t"
        ".endif\n\t"
        "add    %[w], %[w], #%c[dep]+%c[t]\n\t"         /* the next pair's weights */
        "ldrd   %[xa], %[xb], [%[rec], #-24]\n\t"      /* multipliers */
        "ldrd   %[ya], %[yb], [%[rec], #-16]\n\t"      /* R */
        "ldr    %[wa], [%[rec], #-8]\n\t"              /* n of the first channel */
        TG_PAIRS_OUT2(a00, a10, xa, ya, wa, "[%[op]]", "[%[op], %[gap]]")
        "ldr    %[wa], [%[rec], #-4]\n\t"
        TG_PAIRS_OUT2(a01, a11, xb, yb, wa, "[%[op], #1]", "[%[op], #%c[gap]+1]")
        "adds   %[op], %[op], #2\n\t"
        "tst    %[wa], #%c[last]\n\t"
        "beq    1b\n\t"
        : [x] "+r"(xr), [w] "+r"(wr), [rec] "+r"(rec), [op] "+r"(op), [a00] "=&r"(a00), [a01] "=&r"(a01),
          [a10] "=&r"(a10), [a11] "=&r"(a11), [xa] "=&r"(xa), [xb] "=&r"(xb), [ya] "=&r"(ya), [yb] "=&r"(yb),
          [v] "=&r"(v), [wa] "=&r"(wa)
        : [pre] "i"(pre), [loops] "i"(loops), [unroll] "i"(unroll), [xend] "m"(xend), [t] "i"(depth & 3), [dep] "i"(depth), [gap] "i"(gap),
          [ub] "i"(ub), [pos] "i"(pos != 0), [xbase] "m"(xp0), [last] "i"(TG_PAIRS_LAST)
        : "memory", "cc");
}

/*
 * out0[o], out1[o] for o < cols & ~1 (the odd last channel is the caller's) from the rows
 * widened doubled into x (tg_widen_rows_doubled_s8): weights int8 [cols][depth], rec the
 * layer's records (tg_pairs_records); depth and cols constants of the layer, depth >= 4; pos:
 * without the sign's ADD (a constant, TG_REQUANT_POS_OF).
 */
static inline __attribute__((always_inline)) void tg_mat_mult_pairs_folded_s8(
    const int16_t *x, int32_t depth, int32_t cols, const int8_t *weights, const int32_t *rec, int32_t act_min,
    int32_t act_max, int32_t pos, int8_t *out0, int8_t *out1)
{
    const int32_t body = depth & ~3, trips = body >> 2;
    const int32_t gap = (int32_t)(out1 - out0);
    const int32_t *const rec_end = rec + (cols >> 1) * TG_PAIRS_RECORD_WORDS;
    const int8_t *w = weights;
    int8_t *op = out0;
    if (cols < 2) {
        return;
    }
    if (__builtin_constant_p(gap) && gap >= 0 && gap < 4095 && depth < 2000 && act_min == -128 &&
        act_max == 127) {
        tg_pairs_loop_asm(x, depth, gap, weights, rec, op, 0, pos);
        return;
    }
    /* a k-bit activation [0, 2^k - 1] (sub-byte layers' inputs): USAT #k is the clamp */
    if (__builtin_constant_p(gap) && gap >= 0 && gap < 4095 && depth < 2000 && __builtin_constant_p(act_max) &&
        act_min == 0 && act_max > 0 && act_max < 128 && (act_max & (act_max + 1)) == 0) {
        tg_pairs_loop_asm(x, depth, gap, weights, rec, op, 32 - __builtin_clz((uint32_t)act_max), pos);
        return;
    }
    for (; rec != rec_end; rec += TG_PAIRS_RECORD_WORDS, op += 2) {
        const int32_t *xp = (const int32_t *)__builtin_assume_aligned(x, 8);
        tg_pairs_acc_t a;
        a.a00 = a.a10 = rec[0];
        a.a01 = a.a11 = rec[1];
        /* unrolled by a factor dividing the trip count where one does (no remainder copies) */
        if (trips % 4 == 0) {
            TG_PAIRS_STEPS(4, trips, &xp, &w, depth, &a);
        } else if (trips % 3 == 0) {
            TG_PAIRS_STEPS(3, trips, &xp, &w, depth, &a);
        } else if (trips % 5 == 0) {
            TG_PAIRS_STEPS(5, trips, &xp, &w, depth, &a);
        } else if (trips % 2 == 0) {
            TG_PAIRS_STEPS(2, trips, &xp, &w, depth, &a);
        } else {
            TG_PAIRS_STEPS(1, trips, &xp, &w, depth, &a);
        }
        if (depth & 3) {
            tg_pairs_tail_s8(&xp, &w, depth, &a);
        }
        w += 2 * depth - body;
        {   /* every record word read before the first store (an int8 store may alias them) */
            const int32_t m0 = rec[2], m1 = rec[3], r0 = rec[4], r1 = rec[5];
            const int32_t n0 = TG_PAIRS_N(rec[6]), n1 = TG_PAIRS_N(rec[7]);
            const int32_t y00 = tg_pairs_out(a.a00, m0, r0, n0, act_min, act_max, pos);
            const int32_t y10 = tg_pairs_out(a.a10, m0, r0, n0, act_min, act_max, pos);
            const int32_t y01 = tg_pairs_out(a.a01, m1, r1, n1, act_min, act_max, pos);
            const int32_t y11 = tg_pairs_out(a.a11, m1, r1, n1, act_min, act_max, pos);
            op[0] = (int8_t)y00;
            op[gap] = (int8_t)y10;
            op[1] = (int8_t)y01;
            op[gap + 1] = (int8_t)y11;
        }
    }
}

#endif /* TG_MAT_MULT_PAIRS_S8_DSP_H */
