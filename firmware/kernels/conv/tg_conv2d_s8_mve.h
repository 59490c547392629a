/*
 * The receptive fields of tg_conv2d_s8_mve and tg_conv2d_add_s8_mve (Helium): output
 * pixels' input windows gathered into rows of the matrix product (tg_mat_mult_s8_mve.h),
 * tg_conv_mve_rows pixels per pass.
 *
 * A field is the window in the weights' order (kernel row, kernel column, input channel:
 * OHWI), kernel_h * kernel_w * in_c bytes, at a stride of whole 16-byte steps. Padded
 * positions hold the input zero point (-input_offset), which contributes nothing once the
 * packed biases fold the input offset in. With dilation_w 1, a kernel row whose window
 * lies inside the input along x is contiguous there and copied 16 bytes at a time, the
 * last copy predicated to the row's end (the loads may read up to 15 bytes past an input
 * row, inside the RAM that holds it); the bytes of a field past its depth are not
 * written (the weights there are zero).
 */
#ifndef TG_CONV2D_S8_MVE_H
#define TG_CONV2D_S8_MVE_H

#include <arm_mve.h>
#include <stdint.h>
#include <string.h>

#include "tg_kernels.h"
#include "tg_mat_mult_s8_mve.h"


/* n bytes (n > 0) from src to dst exactly: whole vectors, then a predicated one (it reads
 * up to 15 bytes past src's end, inside the RAM that holds it). */
static inline void tg_mve_copy(int8_t *dst, const int8_t *src, int32_t n)
{
    for (; n > 16; n -= 16, dst += 16, src += 16) {
        vstrbq_s8(dst, vldrbq_s8(src));
    }
    vstrbq_p_s8(dst, vldrbq_s8(src), vctp8q((uint32_t)n));
}

/* n bytes (n > 0) of value v, exactly. */
static inline void tg_mve_fill(int8_t *dst, int8x16_t v, int32_t n)
{
    for (; n > 16; n -= 16, dst += 16) {
        vstrbq_s8(dst, v);
    }
    vstrbq_p_s8(dst, v, vctp8q((uint32_t)n));
}

/* A layer's geometry in locals: stores through int8_t pointers may alias *p, which the
 * compiler would then read again after each. */
typedef struct {
    int32_t in_h, in_w, in_c, out_w, kernel_h, kernel_w, stride_h, stride_w, dil_h, dil_w, pad_top, pad_left;
    int32_t run;        /* kernel_w * in_c: a kernel row's bytes */
    int32_t stride;     /* bytes from a field to the next: whole steps */
    int32_t ox_lo, ox_hi;   /* the output columns whose window lies inside the input along x */
    int8x16_t pad;      /* the input zero point in every lane */
} tg_conv_mve_geometry_t;

static inline tg_conv_mve_geometry_t tg_conv_mve_geometry(const tg_conv2d_params_t *p)
{
    tg_conv_mve_geometry_t g;
    g.in_h = p->in_h;
    g.in_w = p->in_w;
    g.in_c = p->in_c;
    g.out_w = p->out_w;
    g.kernel_h = p->kernel_h;
    g.kernel_w = p->kernel_w;
    g.stride_h = p->stride_h;
    g.stride_w = p->stride_w;
    g.dil_h = p->dilation_h;
    g.dil_w = p->dilation_w;
    g.pad_top = p->pad_top;
    g.pad_left = p->pad_left;
    g.run = p->kernel_w * p->in_c;
    g.stride = TG_MVE_STEP * ((p->kernel_h * g.run + TG_MVE_STEP - 1) / TG_MVE_STEP);
    /* ox * stride_w - pad_left >= 0 and ox * stride_w - pad_left + (kernel_w - 1) * dil_w < in_w */
    g.ox_lo = (p->pad_left + p->stride_w - 1) / p->stride_w;
    const int32_t last = p->in_w - 1 - (p->kernel_w - 1) * p->dilation_w + p->pad_left;
    g.ox_hi = last < 0 ? 0 : last / p->stride_w + 1;
    g.ox_hi = g.ox_hi > p->out_w ? p->out_w : g.ox_hi;
    g.ox_lo = g.ox_lo > g.ox_hi ? g.ox_hi : g.ox_lo;
    g.pad = vdupq_n_s8((int8_t)(-p->input_offset));
    return g;
}

/* Kernel row ky of output pixel ox's field at dst, input row `row` (NULL: outside the input). */
static inline void tg_conv_mve_field_row(const tg_conv_mve_geometry_t *g, const int8_t *row, int32_t ox, int8_t *dst)
{
    if (row == NULL) {
        tg_mve_fill(dst, g->pad, g->run);
        return;
    }
    const int32_t x0 = ox * g->stride_w - g->pad_left;
    if (ox >= g->ox_lo && ox < g->ox_hi && g->dil_w == 1) {
        tg_mve_copy(dst, row + x0 * g->in_c, g->run);
        return;
    }
    for (int32_t kx = 0; kx < g->kernel_w; kx++, dst += g->in_c) {
        const int32_t ix = x0 + kx * g->dil_w;
        if (ix < 0 || ix >= g->in_w) {
            tg_mve_fill(dst, g->pad, g->in_c);
        } else {
            tg_mve_copy(dst, row + ix * g->in_c, g->in_c);
        }
    }
}

/* Gather the fields of `count` consecutive output pixels from pixel `first` on, g->stride
 * bytes apart: row segment by row segment, kernel row by kernel row, the interior columns
 * (window inside the input along x, dilation 1) as one strided copy. */
static __attribute__((noinline)) void tg_conv_mve_fields(const tg_conv_mve_geometry_t *geometry, const int8_t *input,
                                                         int32_t first, int32_t count, int8_t *scratch)
{
    const tg_conv_mve_geometry_t g = *geometry;
    const int32_t row_bytes = g.in_w * g.in_c, step = g.stride_w * g.in_c;
    while (count > 0) {
        const int32_t oy = first / g.out_w, ox0 = first % g.out_w;
        const int32_t n = count < g.out_w - ox0 ? count : g.out_w - ox0;
        /* the segment's interior columns [a, b) */
        int32_t a = ox0 > g.ox_lo ? ox0 : g.ox_lo, b = ox0 + n < g.ox_hi ? ox0 + n : g.ox_hi;
        if (g.dil_w != 1 || a > b) {
            a = b = ox0;
        }
        int32_t iy = oy * g.stride_h - g.pad_top;
        for (int32_t ky = 0; ky < g.kernel_h; ky++, iy += g.dil_h) {
            const int8_t *row = iy >= 0 && iy < g.in_h ? input + iy * row_bytes : NULL;
            int8_t *dst = scratch + ky * g.run;
            for (int32_t ox = ox0; ox < a; ox++) {
                tg_conv_mve_field_row(&g, row, ox, dst + (ox - ox0) * g.stride);
            }
            if (row != NULL) {
                const int8_t *s = row + (a * g.stride_w - g.pad_left) * g.in_c;
                int8_t *d = dst + (a - ox0) * g.stride;
                if (g.run <= 16) {
                    const mve_pred16_t pred = vctp8q((uint32_t)g.run);
                    for (int32_t ox = a; ox < b; ox++, s += step, d += g.stride) {
                        vstrbq_p_s8(d, vldrbq_s8(s), pred);
                    }
                } else {
                    for (int32_t ox = a; ox < b; ox++, s += step, d += g.stride) {
                        tg_mve_copy(d, s, g.run);
                    }
                }
            } else {
                for (int32_t ox = a; ox < b; ox++) {
                    tg_conv_mve_field_row(&g, row, ox, dst + (ox - ox0) * g.stride);
                }
            }
            for (int32_t ox = b; ox < ox0 + n; ox++) {
                tg_conv_mve_field_row(&g, row, ox, dst + (ox - ox0) * g.stride);
            }
        }
        scratch += n * g.stride;
        first += n;
        count -= n;
    }
}

/* The receptive fields per pass, from their stride (mve_pack.py conv2d_mve_rows): as many
 * as fill TG_CONV_MVE_BYTES, 2 to TG_CONV_MVE_MAX_ROWS, at most the output's pixels. */
#define TG_CONV_MVE_BYTES 4096
#define TG_CONV_MVE_MAX_ROWS 32
static inline int32_t tg_conv_mve_rows(int32_t stride, int32_t pixels)
{
    int32_t rows = TG_CONV_MVE_BYTES / stride;
    rows = rows < 2 ? 2 : rows > TG_CONV_MVE_MAX_ROWS ? TG_CONV_MVE_MAX_ROWS : rows;
    return rows < pixels ? rows : pixels;
}

#endif /* TG_CONV2D_S8_MVE_H */
