/*
 * The matrix product under the 16x8 DSP kernels (tg_fully_connected_s16_dsp,
 * tg_conv2d_1x1_s16_dsp, tg_conv2d_s16_dsp): int16 rows times int8 weights widened to int16 at
 * build time (tinygen/kernels/s16_dsp.py: out_c rows of the depth rounded up to even, the pad
 * value 0), two products per SMLAD, requantized per output channel by tg_s16_requant_s64 (the
 * records packed after the weights, below).
 *
 * Accumulation: each product |x * w| <= 32768 * 128 = 2^22, so a run of TG_S16_DSP_RUN values
 * (256 products, 128 SMLAD) sums to at most 2^30 in magnitude and cannot overflow the int32
 * SMLAD accumulator, whatever the weights. Each run's int32 sum is then added into an int64
 * accumulator: the exact int64 sum TFLite forms, for any depth. tg_s16_requant_s64 adds the
 * int64 bias (folded into its record) and requantizes to the result of tg_requantize_s64, as the
 * portable kernels do (the proof is at the records).
 *
 * Depths of one run at most (the usual 1x1 and fully connected layers) take a narrow path: the
 * run's int32 sum (an odd depth's last products included: 256 of them at most) is requantized with
 * one SMLAL (tg_s16_requant_s32) and saturated to int16, and tg_mat_mult_rows_s16_dsp clamps the
 * whole output to the activation range after, where that range is narrower than int16's.
 *
 * Blocks: two rows by two output channels (4 SMLAD per 4 word loads: 1 load per 2 MACs), or one
 * row by four output channels where a single row is left (5 loads per 8 MACs).
 * Needs __ARM_FEATURE_DSP (-mcpu=cortex-m4 / cortex-m7).
 */
#ifndef TG_MAT_MULT_S16_DSP_H
#define TG_MAT_MULT_S16_DSP_H

#include <arm_acle.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "tg_requant.h"

/* values per int32 run: 256 products of at most 2^22 each sum to at most 2^30 */
#define TG_S16_DSP_RUN 256

/* Two int16 at any 2-byte alignment as one word (Cortex-M4/M7 LDR allows unaligned access). */
static inline int32_t tg_s16_load_pair(const int16_t *p)
{
    int32_t v;
    memcpy(&v, p, sizeof v);
    return v;
}

/*
 * acc[r * cols + c] += sum_{k < depth} x_r[k] * w_c[k] for the rows x_r = x + r * x_stride
 * (r < rows) and the weight rows w_c = w + c * w_stride (c < cols), with (rows, cols) one of
 * (2, 2), (2, 1), (1, 4), (1, 2), (1, 1): constants after inlining, so each block compiles to
 * its own loop. The weight rows are read to depth rounded up to even (their pad is 0); an odd
 * depth's last value of x is read alone.
 */
/* Two int16 at p (any 2-byte alignment), then p += 2 values: LDR with write-back. */
static inline int32_t tg_s16_load_pair_post(const int16_t **p)
{
    int32_t v;
    __asm__("ldr %0, [%1], #4" : "=&r"(v), "+r"(*p) : "m"(*(const int32_t *)(const void *)*p));
    return v;
}

/* The products of an odd depth's last value (index even), t laid out as tg_dot_s16_dsp's acc (the
   unused ones 0). */
static inline __attribute__((always_inline)) void tg_dot_tail_s16_dsp(const int16_t *x, int32_t x_stride,
                                                                     const int16_t *w, int32_t w_stride,
                                                                     int32_t even, int32_t rows, int32_t cols,
                                                                     int32_t t[4])
{
    const int32_t t0 = x[even];
    const int32_t t1 = rows == 2 ? x[x_stride + even] : 0;
    t[0] = t0 * w[even];
    t[1] = cols >= 2 ? t0 * w[w_stride + even] : 0;
    t[2] = rows == 2 ? t1 * w[even] : cols == 4 ? t0 * w[2 * w_stride + even] : 0;
    t[3] = rows == 2 ? (cols == 2 ? t1 * w[w_stride + even] : 0) : cols == 4 ? t0 * w[3 * w_stride + even] : 0;
}

static inline __attribute__((always_inline)) void tg_dot_s16_dsp(const int16_t *x, int32_t x_stride,
                                                                const int16_t *w, int32_t w_stride,
                                                                int32_t depth, int32_t rows, int32_t cols,
                                                                int32_t narrow, int64_t acc[4])
{
    const int32_t even = depth & ~1;
    /* one pointer per row and weight row, each stepped by its load (LDR with write-back) */
    const int16_t *x0 = x, *x1 = x + x_stride;
    const int16_t *w0 = w, *w1 = w + w_stride, *w2 = w + 2 * w_stride, *w3 = w + 3 * w_stride;
    int32_t start, k;

    for (start = 0; start < even; start += TG_S16_DSP_RUN) {
        /* narrow (a constant): one run, the loop's test and the run's clip folded away */
        const int32_t run = narrow ? even : even - start > TG_S16_DSP_RUN ? TG_S16_DSP_RUN : even - start;
        int32_t s0 = 0, s1 = 0, s2 = 0, s3 = 0;
#pragma GCC unroll 4
        for (k = run >> 1; k != 0; --k) {
            const int32_t a0 = tg_s16_load_pair_post(&x0);
            const int32_t b0 = tg_s16_load_pair_post(&w0);
            if (rows == 2) {
                const int32_t a1 = tg_s16_load_pair_post(&x1);
                s0 = __smlad(a0, b0, s0);
                s2 = __smlad(a1, b0, s2);
                if (cols == 2) {
                    const int32_t b1 = tg_s16_load_pair_post(&w1);
                    s1 = __smlad(a0, b1, s1);
                    s3 = __smlad(a1, b1, s3);
                }
            } else {
                s0 = __smlad(a0, b0, s0);
                if (cols >= 2) {
                    s1 = __smlad(a0, tg_s16_load_pair_post(&w1), s1);
                }
                if (cols == 4) {
                    s2 = __smlad(a0, tg_s16_load_pair_post(&w2), s2);
                    s3 = __smlad(a0, tg_s16_load_pair_post(&w3), s3);
                }
            }
        }
        if (narrow && depth != even) {     /* one run's 256 products at most: still inside int32 */
            int32_t t[4];
            tg_dot_tail_s16_dsp(x, x_stride, w, w_stride, even, rows, cols, t);
            s0 += t[0];
            s1 += t[1];
            s2 += t[2];
            s3 += t[3];
        }
        acc[0] += s0;
        acc[1] += s1;
        acc[2] += s2;
        acc[3] += s3;
        if (narrow) {
            return;
        }
    }
    if (depth != even) {
        int32_t t[4];
        tg_dot_tail_s16_dsp(x, x_stride, w, w_stride, even, rows, cols, t);
        acc[0] += t[0];
        acc[1] += t[1];
        acc[2] += t[2];
        acc[3] += t[3];
    }
}

/*
 * The requantization records (tinygen/kernels/s16_dsp.py, s16_requant_records), packed after the
 * weights, TG_S16_RECORD int16 per output channel: offset (int64, halves 0..3), mult (int32,
 * halves 4, 5), rshift (int32, halves 6, 7). With reduced, total = tg_requantize_s64's 16-bit
 * multiplier and 15 - shift, and k = max(0, 32 - total): offset = (bias * reduced +
 * 2^(total - 1)) * 2^k modulo 2^64, mult = reduced * 2^k (an int32: checked at build time),
 * rshift = max(0, total - 32).
 *
 * Why tg_s16_requant equals tg_requant_channel_s16 (the clamp aside): tg_requantize_s64 forms
 * V = (acc + bias) * reduced + 2^(total - 1) in int64 and keeps bits total .. total + 31 of V
 * (its shift, then the cast to int32; above bit 63 the sign). Here W = offset + acc * mult =
 * V * 2^k modulo 2^64 (the same sum with every term times 2^k; two's complement sums and
 * products are exact modulo 2^64). For total <= 32 (k = 32 - total, rshift 0) W's high word is
 * bits total .. total + 31 of V, all below bit 64. For total > 32 (k 0) W = V, and its high word
 * shifted right arithmetically by total - 32 is bits total .. 63 of V sign-extended: again the
 * int32 that tg_requantize_s64 returns. An int32 acc makes the product one SMLAL.
 */
#define TG_S16_RECORD 8

typedef struct {
    uint64_t offset;
    int32_t mult, rshift;
} tg_s16_record_t;

/* A record's fields, read word by word (the records are 4-byte aligned, LDR takes any). */
static inline tg_s16_record_t tg_s16_record(const int16_t *rec)
{
    tg_s16_record_t r;
    r.offset = (uint64_t)(uint32_t)tg_s16_load_pair(rec) | (uint64_t)(uint32_t)tg_s16_load_pair(rec + 2) << 32;
    r.mult = tg_s16_load_pair(rec + 4);
    r.rshift = tg_s16_load_pair(rec + 6);
    return r;
}

/* offset + acc * mult modulo 2^64 in one SMLAL (defined for every value, unlike int64_t's +). */
static inline int32_t tg_s16_requant_rec(int32_t acc, tg_s16_record_t r)
{
    uint64_t v = r.offset;
    __asm__("smlal %Q0, %R0, %1, %2" : "+r"(v) : "r"(acc), "r"(r.mult));
    return (int32_t)(uint32_t)(v >> 32) >> r.rshift;
}

static inline int32_t tg_s16_requant_s32(int32_t acc, const int16_t *rec)
{
    return tg_s16_requant_rec(acc, tg_s16_record(rec));
}

/* The same for an int64 sum (a 64 x 64-bit product modulo 2^64: UMULL and two MLA). */
static inline int32_t tg_s16_requant_s64(int64_t acc, const int16_t *rec)
{
    const tg_s16_record_t r = tg_s16_record(rec);
    const uint64_t v = r.offset + (uint64_t)acc * (uint64_t)(int64_t)r.mult;
    return (int32_t)(uint32_t)(v >> 32) >> r.rshift;
}

static inline int16_t tg_s16_clamp(int32_t v, int32_t act_min, int32_t act_max)
{
    v = v < act_min ? act_min : v;
    return (int16_t)(v > act_max ? act_max : v);
}

/* v saturated to int16: SSAT (GCC's __ssat macro trips -Wsign-conversion). */
static inline int16_t tg_s16_sat(int32_t v)
{
    __asm__("ssat %0, #16, %0" : "+r"(v));
    return (int16_t)v;
}

/*
 * count int16 values clamped to [act_min, act_max] (a range inside int16's), two at a time with
 * SIMD (SSUB16 sets a GE flag per half, SEL picks by them): for kernels that saturate their
 * outputs to int16 (SSAT) first, which with this pass equals the clamp of the value itself.
 */
static __attribute__((noinline, unused)) void tg_s16_clamp_span(int16_t *out, int32_t count, int32_t act_min,
                                                               int32_t act_max)
{
    const int16x2_t lo = (int16x2_t)(((uint32_t)act_min & 0xFFFFu) * 0x10001u);
    const int16x2_t hi = (int16x2_t)(((uint32_t)act_max & 0xFFFFu) * 0x10001u);
    int32_t i;
    if (act_min == INT16_MIN && act_max == INT16_MAX) {
        return;
    }
    for (i = 0; i + 2 <= count; i += 2) {
        int16x2_t v = (int16x2_t)tg_s16_load_pair(out + i);
        (void)__ssub16(v, lo);              /* GE per half where v >= act_min */
        v = (int16x2_t)__sel((uint8x4_t)v, (uint8x4_t)lo);
        (void)__ssub16(hi, v);              /* GE where act_max >= v */
        v = (int16x2_t)__sel((uint8x4_t)v, (uint8x4_t)hi);
        memcpy(out + i, &v, sizeof v);
    }
    for (; i < count; ++i) {
        out[i] = (int16_t)(out[i] < act_min ? act_min : out[i] > act_max ? act_max : out[i]);
    }
}

/* The requantization and clamp of what a tg_mat_mult_s16_dsp call shares. */
typedef struct {
    const int16_t *rec;            /* [out_c][TG_S16_RECORD] */
    int32_t act_min, act_max;
} tg_s16_dsp_quant_t;

/* Output channel oc's sum acc requantized and clamped; `narrow`: a depth of one run at most
   (depth <= TG_S16_DSP_RUN), so acc is one int32 run's sum and fits int32, and the result is only
   saturated to int16: the caller clamps the whole output after (tg_s16_clamp_span). */
static inline int16_t tg_s16_out(int64_t acc, const tg_s16_dsp_quant_t *q, int32_t oc, int32_t narrow)
{
    const int16_t *const rec = q->rec + oc * TG_S16_RECORD;
    if (narrow) {
        return tg_s16_sat(tg_s16_requant_s32((int32_t)acc, rec));
    }
    return tg_s16_clamp(tg_s16_requant_s64(acc, rec), q->act_min, q->act_max);
}

/*
 * Every output channel of `rows` rows (1 or 2) of x (x_stride int16 apart, depth values each):
 * out[r * out_stride + oc] = requant(sum_k x_r[k] * w[oc * w_stride + k] + bias[oc]), w the
 * packed weights (w_stride: depth rounded up to even). narrow, a constant where inlined: depth
 * <= TG_S16_DSP_RUN, one int32 run whose sum is the whole (exact) sum, requantized with one SMLAL
 * (tg_s16_requant_s32), the int64 work folded away.
 */
static inline __attribute__((always_inline)) void tg_mat_mult_s16_dsp(const int16_t *x, int32_t x_stride,
                                                                      int32_t rows, int32_t depth,
                                                                      const int16_t *w, int32_t out_c,
                                                                      const tg_s16_dsp_quant_t *q,
                                                                      int16_t *out, int32_t out_stride,
                                                                      int32_t narrow)
{
    const int32_t w_stride = (depth + 1) & ~1;
    int32_t oc = 0;

    if (rows == 2) {
        for (; oc + 2 <= out_c; oc += 2) {
            int64_t acc[4] = {0, 0, 0, 0};
            tg_dot_s16_dsp(x, x_stride, w + oc * w_stride, w_stride, depth, 2, 2, narrow, acc);
            out[oc] = tg_s16_out(acc[0], q, oc, narrow);
            out[oc + 1] = tg_s16_out(acc[1], q, oc + 1, narrow);
            out[out_stride + oc] = tg_s16_out(acc[2], q, oc, narrow);
            out[out_stride + oc + 1] = tg_s16_out(acc[3], q, oc + 1, narrow);
        }
        if (oc < out_c) {
            int64_t acc[4] = {0, 0, 0, 0};
            tg_dot_s16_dsp(x, x_stride, w + oc * w_stride, w_stride, depth, 2, 1, narrow, acc);
            out[oc] = tg_s16_out(acc[0], q, oc, narrow);
            out[out_stride + oc] = tg_s16_out(acc[2], q, oc, narrow);
        }
        return;
    }
    for (; oc + 4 <= out_c; oc += 4) {
        int64_t acc[4] = {0, 0, 0, 0};
        int32_t c;
        tg_dot_s16_dsp(x, x_stride, w + oc * w_stride, w_stride, depth, 1, 4, narrow, acc);
        for (c = 0; c < 4; ++c) {
            out[oc + c] = tg_s16_out(acc[c], q, oc + c, narrow);
        }
    }
    if (oc + 2 <= out_c) {
        int64_t acc[4] = {0, 0, 0, 0};
        tg_dot_s16_dsp(x, x_stride, w + oc * w_stride, w_stride, depth, 1, 2, narrow, acc);
        out[oc] = tg_s16_out(acc[0], q, oc, narrow);
        out[oc + 1] = tg_s16_out(acc[1], q, oc + 1, narrow);
        oc += 2;
    }
    if (oc < out_c) {
        int64_t acc[4] = {0, 0, 0, 0};
        tg_dot_s16_dsp(x, x_stride, w + oc * w_stride, w_stride, depth, 1, 1, narrow, acc);
        out[oc] = tg_s16_out(acc[0], q, oc, narrow);
    }
}

/*
 * tg_mat_mult_s16_dsp over n rows of x, row after row: the 1x1 convolution's pixels and the
 * fully connected layer's rows, both read in place (any alignment), in_depth values each.
 */
static inline __attribute__((always_inline)) void tg_mat_mult_rows_s16_dsp(const int16_t *x, int32_t n,
                                                                           int32_t depth, const int16_t *w,
                                                                           int32_t out_c,
                                                                           const tg_s16_dsp_quant_t *q,
                                                                           int16_t *out)
{
    int32_t r;

    if (depth <= TG_S16_DSP_RUN) {
        for (r = 0; r + 2 <= n; r += 2) {
            tg_mat_mult_s16_dsp(x + r * depth, depth, 2, depth, w, out_c, q, out + r * out_c, out_c, 1);
        }
        if (r < n) {
            tg_mat_mult_s16_dsp(x + r * depth, depth, 1, depth, w, out_c, q, out + r * out_c, out_c, 1);
        }
        tg_s16_clamp_span(out, n * out_c, q->act_min, q->act_max);     /* the narrow path saturates only */
        return;
    }
    for (r = 0; r + 2 <= n; r += 2) {
        tg_mat_mult_s16_dsp(x + r * depth, depth, 2, depth, w, out_c, q, out + r * out_c, out_c, 0);
    }
    if (r < n) {
        tg_mat_mult_s16_dsp(x + r * depth, depth, 1, depth, w, out_c, q, out + r * out_c, out_c, 0);
    }
}

#endif /* TG_MAT_MULT_S16_DSP_H */
