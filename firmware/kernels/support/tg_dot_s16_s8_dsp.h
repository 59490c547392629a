/*
 * The int16 x int8 dot-product steps under the DSP matrix multiply (tg_mat_mult_s8_dsp.h) and
 * the kernels built on its pieces: rows widened to int16 in groups of 4, the aliasing loads
 * the inline assembly declares, and the 2 rows x 2 columns dot product with SMLAD.
 * Needs __ARM_FEATURE_DSP (-mcpu=cortex-m4 / cortex-m7).
 */
#ifndef TG_DOT_S16_S8_DSP_H
#define TG_DOT_S16_S8_DSP_H

#include <arm_acle.h>
#include <stdint.h>

#include "tg_dsp_s8.h"

/*
 * The types the loads in inline assembly declare they read: may_alias, because
 * the words they read were stored with other types (int16 pairs stored as
 * int32 by tg_widen_rows_s8, int8 activations). Without it, type-based alias
 * analysis lets the compiler move those stores after the loads: with a layer's
 * addresses constant (specialization) it did, for a row widened in scratch.
 */
typedef int32_t tg_s32_alias_t __attribute__((may_alias));
typedef int64_t tg_s64_alias_t __attribute__((may_alias));

/*
 * Two int32 from an 8-byte aligned p, then p += 8 bytes: one LDRD with
 * write-back (GCC 12 splits an int64 load into two LDR and an add).
 */
static inline void tg_load_pair_post(const int32_t **p, int32_t *lo, int32_t *hi)
{
    __asm__("ldrd %0, %1, [%2], #8" : "=&r"(*lo), "=&r"(*hi), "+r"(*p) : "m"(*(const tg_s64_alias_t *)*p));
}

/* An int8 x 4 word at p (any alignment), then p += 4: LDR with write-back. */
static inline int32_t tg_dsp_load_s8x4_post(const int8_t **p)
{
    int32_t v;
    __asm__("ldr %0, [%1], #4" : "=&r"(v), "+r"(*p) : "m"(*(const tg_s32_alias_t *)(const void *)*p));
    return v;
}

/*
 * The rows x_i (i < rows, rows 1 or 2) widened into dst, 8-byte aligned, in
 * groups of 4 values: for each group, row 0's pairs (x0, x2), (x1, x3), then
 * row 1's, so that one pointer walks both rows with LDRD. The last depth % 4
 * values of row i follow all groups, at rows * (depth & ~3) + 4 * i, in
 * natural order.
 */
static inline __attribute__((always_inline)) void tg_widen_rows_s8(const int8_t *x0, const int8_t *x1,
                                                                   int32_t rows, int32_t depth,
                                                                   int32_t offset, int16_t *dst)
{
    const int32_t offset2 = (int32_t)(((uint32_t)offset & 0xFFFFu) * 0x00010001u);
    const int32_t body = depth & ~3;
    int32_t *d = (int32_t *)__builtin_assume_aligned(dst, 8);
    int32_t k;
    for (k = 0; k < body; k += 4) {
        const int32_t v0 = tg_dsp_load_s8x4(x0 + k);
        d[0] = __sxtab16(offset2, v0);
        d[1] = tg_dsp_sxtab16_odd(offset2, v0);
        if (rows == 2) {
            const int32_t v1 = tg_dsp_load_s8x4(x1 + k);
            d[2] = __sxtab16(offset2, v1);
            d[3] = tg_dsp_sxtab16_odd(offset2, v1);
        }
        d += 2 * rows;
    }
    for (k = body; k < depth; ++k) {
        dst[rows * body + k - body] = (int16_t)(x0[k] + offset);
        if (rows == 2) {
            dst[rows * body + 4 + k - body] = (int16_t)(x1[k] + offset);
        }
    }
}

/*
 * One step of tg_dot_s16_s8: 4 values of depth for rows x cols sums, the
 * pointers stepped on (xp by rows * 8 bytes, w0 by 4).
 */
static inline __attribute__((always_inline)) void tg_dot_step_s16_s8(const int32_t **xpp, const int8_t **w0p,
                                                                     int32_t depth, int32_t rows, int32_t cols,
                                                                     int32_t *a)
{
    const int32_t *xp = *xpp;
    const int8_t *w0 = *w0p;
    int32_t a00 = a[0], a01 = a[1], a10 = a[2], a11 = a[3];
    int32_t x0a, x0b, x1a = 0, x1b = 0;
    /* the second column's word first: the first one's load steps w0 on */
    int32_t vw1 = cols == 2 ? tg_dsp_load_s8x4(w0 + depth) : 0;
    int32_t vw = tg_dsp_load_s8x4_post(&w0);
    int32_t wa = __sxtb16(vw), wb = tg_dsp_sxtb16_odd(vw);
    tg_load_pair_post(&xp, &x0a, &x0b);
    if (rows == 2) {
        tg_load_pair_post(&xp, &x1a, &x1b);
    }
    a00 = __smlad(x0a, wa, a00);
    a00 = __smlad(x0b, wb, a00);
    if (rows == 2) {
        a10 = __smlad(x1a, wa, a10);
        a10 = __smlad(x1b, wb, a10);
    }
    if (cols == 2) {
        wa = __sxtb16(vw1);
        wb = tg_dsp_sxtb16_odd(vw1);
        a01 = __smlad(x0a, wa, a01);
        a01 = __smlad(x0b, wb, a01);
        if (rows == 2) {
            a11 = __smlad(x1a, wa, a11);
            a11 = __smlad(x1b, wb, a11);
        }
    }
    a[0] = a00;
    a[1] = a01;
    a[2] = a10;
    a[3] = a11;
    *xpp = xp;
    *w0p = w0;
}

/* trips steps of tg_dot_step_s16_s8, the loop unrolled n times (a literal: GCC's pragma takes no macro). */
#define TG_DOT_PRAGMA(x) _Pragma(#x)
#define TG_DOT_STEPS(n, trips, ...)                       \
    do {                                                  \
        int32_t t_;                                       \
        TG_DOT_PRAGMA(GCC unroll n)                       \
        for (t_ = (trips); t_ != 0; --t_) {               \
            tg_dot_step_s16_s8(__VA_ARGS__);              \
        }                                                 \
    } while (0)

/*
 * acc[2 * i + j] += sum_k x_i[k] * w_j[k] over the whole depth for the rows
 * widened into x by tg_widen_rows_s8 (i < rows) and the weight rows
 * w_j = w + j * depth (j < cols); rows and cols are 1 or 2 (constants after
 * inlining, so each combination compiles to its own loop with no dead branches).
 */
static inline __attribute__((always_inline)) void tg_dot_s16_s8(const int16_t *x, const int8_t *w,
                                                                int32_t depth, int32_t rows, int32_t cols,
                                                                int32_t acc[4])
{
    const int32_t *xp = (const int32_t *)__builtin_assume_aligned(x, 8);
    const int8_t *w0 = w;
    const int32_t body = depth & ~3;
    const int8_t *const w_end = w + body;
    const int16_t *const tail = x + rows * body;
    int32_t a[4] = {acc[0], acc[1], acc[2], acc[3]};
    int32_t a00, a01, a10, a11;
    int32_t k;

    if (__builtin_constant_p(body)) {
        /* a layer's constant depth (specialization): the trip count is known, unrolled copies
           need no exit test. The loop is counted because the loads step their pointers in
           assembly, invisible to the compiler. Unrolled by a factor that divides the trip
           count where 4, 5, 3 or 2 does: a remainder would take up to 3 more copies of the
           step (VWW's compacted depths 62, 41, 42, 60, 74: 15, 10, 10, 15, 18 steps). */
        const int32_t trips = body >> 2;
        if (trips % 4 == 0) {
            TG_DOT_STEPS(4, trips, &xp, &w0, depth, rows, cols, a);
        } else if (trips % 5 == 0) {
            TG_DOT_STEPS(5, trips, &xp, &w0, depth, rows, cols, a);
        } else if (trips % 3 == 0) {
            TG_DOT_STEPS(3, trips, &xp, &w0, depth, rows, cols, a);
        } else if (trips % 2 == 0) {
            TG_DOT_STEPS(2, trips, &xp, &w0, depth, rows, cols, a);
        } else {
            TG_DOT_STEPS(4, trips, &xp, &w0, depth, rows, cols, a);
        }
    } else {
        while (w0 != w_end) {
            tg_dot_step_s16_s8(&xp, &w0, depth, rows, cols, a);
        }
    }
    a00 = a[0];
    a01 = a[1];
    a10 = a[2];
    a11 = a[3];
    for (k = body; k < depth; ++k) {    /* the last depth % 4, in natural order */
        a00 += tail[k - body] * w[k];
        if (rows == 2) {
            a10 += tail[4 + k - body] * w[k];
        }
        if (cols == 2) {
            a01 += tail[k - body] * w[depth + k];
            if (rows == 2) {
                a11 += tail[4 + k - body] * w[depth + k];
            }
        }
    }
    acc[0] = a00;
    acc[1] = a01;
    acc[2] = a10;
    acc[3] = a11;
}

#endif /* TG_DOT_S16_S8_DSP_H */
