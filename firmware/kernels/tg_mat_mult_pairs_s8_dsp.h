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
 * Rows x0, x1 widened doubled into dst (8-byte aligned), the layout of tg_widen_rows_s8
 * with rows == 2: per 4 values, row 0's pairs (x0, x2), (x1, x3), then row 1's; the last
 * depth % 4 values of row i at 2 * (depth & ~3) + 4 * i, in natural order.
 */
static inline __attribute__((always_inline)) void tg_widen_rows2_doubled_s8(const int8_t *x0, const int8_t *x1,
                                                                           int32_t depth, int32_t offset,
                                                                           int16_t *dst)
{
    const int32_t offset2 = (int32_t)(((uint32_t)offset & 0xFFFFu) * 0x00010001u);
    const int32_t body = depth & ~3;
    int32_t *d = (int32_t *)__builtin_assume_aligned(dst, 8);
    int32_t k;
    for (k = 0; k < body; k += 4) {
        const int32_t v0 = tg_dsp_load_s8x4(x0 + k), v1 = tg_dsp_load_s8x4(x1 + k);
        const int32_t a0 = __sxtab16(offset2, v0), b0 = tg_dsp_sxtab16_odd(offset2, v0);
        const int32_t a1 = __sxtab16(offset2, v1), b1 = tg_dsp_sxtab16_odd(offset2, v1);
        d[0] = __sadd16(a0, a0);
        d[1] = __sadd16(b0, b0);
        d[2] = __sadd16(a1, a1);
        d[3] = __sadd16(b1, b1);
        d += 4;
    }
    for (k = body; k < depth; ++k) {
        dst[2 * body + k - body] = (int16_t)(2 * (x0[k] + offset));
        dst[2 * body + 4 + k - body] = (int16_t)(2 * (x1[k] + offset));
    }
}

/*
 * The requantization records of the channel pairs, written to scratch once per layer
 * (before its first block): per pair o, o + 1 (o < cols & ~1) 8 words
 *   2 bias[o], 2 bias[o + 1], multiplier[o], multiplier[o + 1], R[o], R[o + 1], n[o], n[o + 1]
 * with n = -shift and R = (1 + 2 output_offset) 2^(n-1), so that a block reads one pointer
 * (LDRD pairs) instead of three arrays and computes nothing per channel. Out of line: one
 * copy for every layer.
 */
#define TG_PAIRS_RECORD_WORDS 8

static __attribute__((noinline, unused)) void tg_pairs_records(int32_t cols, const int32_t *bias,
                                                              const int32_t *multiplier, const int32_t *shift,
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
    }
}

/* One step: 4 values of depth, 2 rows (xp, stepped 16 bytes) x 2 channels (w, stepped 4
   bytes; the second channel's word `depth` bytes on). */
typedef struct {
    int32_t a00, a01, a10, a11;     /* [row][channel] */
} tg_pairs_acc_t;

static inline __attribute__((always_inline)) void tg_pairs_step_s8(const int32_t **xp, const int8_t **w,
                                                                  int32_t depth, tg_pairs_acc_t *a)
{
    int32_t xa, xb, ya, yb, v, wa;
    __asm__("ldrd   %[xa], %[xb], [%[x]], #8\n\t"
            "ldrd   %[ya], %[yb], [%[x]], #8\n\t"
            "ldr    %[v], [%[w], %[d]]\n\t"
            "sxtb16 %[wa], %[v]\n\t"
            "sxtb16 %[v], %[v], ror #8\n\t"
            "smlad  %[a01], %[xa], %[wa], %[a01]\n\t"
            "smlad  %[a11], %[ya], %[wa], %[a11]\n\t"
            "smlad  %[a01], %[xb], %[v], %[a01]\n\t"
            "smlad  %[a11], %[yb], %[v], %[a11]\n\t"
            "ldr    %[v], [%[w]], #4\n\t"
            "sxtb16 %[wa], %[v]\n\t"
            "sxtb16 %[v], %[v], ror #8\n\t"
            "smlad  %[a00], %[xa], %[wa], %[a00]\n\t"
            "smlad  %[a10], %[ya], %[wa], %[a10]\n\t"
            "smlad  %[a00], %[xb], %[v], %[a00]\n\t"
            "smlad  %[a10], %[yb], %[v], %[a10]\n\t"
            : [x] "+r"(*xp), [w] "+r"(*w), [a00] "+r"(a->a00), [a01] "+r"(a->a01), [a10] "+r"(a->a10),
              [a11] "+r"(a->a11), [xa] "=&r"(xa), [xb] "=&r"(xb), [ya] "=&r"(ya), [yb] "=&r"(yb), [v] "=&r"(v),
              [wa] "=&r"(wa)
            : [d] "r"(depth), "m"(*(const int64_t(*)[2]) * xp)
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

/* The folded requantization of a doubled sum a2 (see the top of this file). */
static inline __attribute__((always_inline)) int32_t tg_pairs_out(int32_t a2, int32_t m, int32_t r, int32_t n,
                                                                 int32_t act_min, int32_t act_max)
{
    /* arithmetic shifts of negative values: see tg_requant.h */
    int32_t y = tg_dsp_ssat8((tg_dsp_smmlar(a2, m, r) + (a2 >> 31)) >> n);
    if (act_min != -128 || act_max != 127) {
        y = y < act_min ? act_min : y > act_max ? act_max : y;
    }
    return y;
}

/*
 * out0[o], out1[o] for o < cols & ~1 (the odd last channel is the caller's) from the rows
 * widened doubled into x (tg_widen_rows2_doubled_s8): weights int8 [cols][depth], rec the
 * layer's records (tg_pairs_records); depth and cols constants of the layer.
 */
static inline __attribute__((always_inline)) void tg_mat_mult_pairs_folded_s8(
    const int16_t *x, int32_t depth, int32_t cols, const int8_t *weights, const int32_t *rec, int32_t act_min,
    int32_t act_max, int8_t *out0, int8_t *out1)
{
    const int32_t body = depth & ~3, trips = body >> 2;
    const int16_t *const tail = x + 2 * body;
    const int32_t gap = (int32_t)(out1 - out0);
    const int32_t *const rec_end = rec + (cols >> 1) * TG_PAIRS_RECORD_WORDS;
    const int8_t *w = weights;
    int8_t *op = out0;
    int32_t k;
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
        for (k = 0; k < depth - body; ++k) {     /* the last depth % 4, in natural order */
            a.a00 += tail[k] * w[k];
            a.a01 += tail[k] * w[depth + k];
            a.a10 += tail[4 + k] * w[k];
            a.a11 += tail[4 + k] * w[depth + k];
        }
        w += 2 * depth - body;
        {   /* every record word read before the first store (an int8 store may alias them) */
            const int32_t m0 = rec[2], m1 = rec[3], r0 = rec[4], r1 = rec[5], n0 = rec[6], n1 = rec[7];
            const int32_t y00 = tg_pairs_out(a.a00, m0, r0, n0, act_min, act_max);
            const int32_t y10 = tg_pairs_out(a.a10, m0, r0, n0, act_min, act_max);
            const int32_t y01 = tg_pairs_out(a.a01, m1, r1, n1, act_min, act_max);
            const int32_t y11 = tg_pairs_out(a.a11, m1, r1, n1, act_min, act_max);
            op[0] = (int8_t)y00;
            op[gap] = (int8_t)y10;
            op[1] = (int8_t)y01;
            op[gap + 1] = (int8_t)y11;
        }
    }
}

#endif /* TG_MAT_MULT_PAIRS_S8_DSP_H */
