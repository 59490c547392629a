/*
 * The body of tg_conv2d_s8_dsp (general 2-D convolution by partial im2col on
 * ARMv7E-M, see tg_conv2d_s8_dsp.c for the method, the loop order in-place
 * planning relies on and the scratch layout), shared by the generic kernel and
 * the per-layer specialization tg_conv2d_s8_dsp_inline, which a generated layer
 * calls with its static const parameters so that the compiler folds the shape,
 * strides, padding and quantization into the code.
 */
#ifndef TG_CONV2D_S8_DSP_H
#define TG_CONV2D_S8_DSP_H

#include "tg_conv2d_s8_c3_dsp.h"
#include "tg_kernels.h"
#include "tg_mat_mult_s8_dsp.h"

/* bytes of the two int8 receptive fields, kept a multiple of 8 */
static inline int32_t tg_conv2d_s8_dsp_im2col_size(int32_t depth)
{
    return (2 * depth + 7) & ~7;
}

/*
 * n bytes from src to dst, a word at a time (LDR/STR allow any alignment on
 * Cortex-M4/M7): the rows of a receptive field are a few bytes long, where a
 * call to memcpy costs more than the copy.
 */
static inline __attribute__((always_inline)) void tg_copy_s8(int8_t *dst, const int8_t *src, int32_t n)
{
    int32_t k = 0;
    for (; k + 4 <= n; k += 4) {
        int32_t v;
        memcpy(&v, src + k, sizeof v);
        memcpy(dst + k, &v, sizeof v);
    }
    for (; k < n; ++k) {
        dst[k] = src[k];
    }
}

/* n bytes of value at dst, a word at a time. */
static inline __attribute__((always_inline)) void tg_fill_s8(int8_t *dst, int8_t value, int32_t n)
{
    const uint32_t v4 = (uint32_t)(uint8_t)value * 0x01010101u;
    int32_t k = 0;
    for (; k + 4 <= n; k += 4) {
        memcpy(dst + k, &v4, sizeof v4);
    }
    for (; k < n; ++k) {
        dst[k] = value;
    }
}

/* The receptive field of output pixel (oy, ox): int8 [kernel_h][kernel_w][in_c] at dst. */
static inline __attribute__((always_inline)) void tg_conv2d_s8_dsp_im2col(const tg_conv2d_params_t *p,
                                                                         const int8_t *input, int32_t oy,
                                                                         int32_t ox, int8_t *dst)
{
    const int32_t in_c = p->in_c;
    const int8_t zero_point = (int8_t)(-p->input_offset);
    const int32_t y0 = oy * p->stride_h - p->pad_top;
    const int32_t x0 = ox * p->stride_w - p->pad_left;
    const int32_t row_bytes = p->kernel_w * in_c;
    int32_t ky, kx;

    for (ky = 0; ky < p->kernel_h; ++ky) {
        const int32_t iy = y0 + ky * p->dilation_h;
        const int32_t x_last = x0 + (p->kernel_w - 1) * p->dilation_w;
        if (iy < 0 || iy >= p->in_h) {
            tg_fill_s8(dst, zero_point, row_bytes);
        } else if (p->dilation_w == 1 && x0 >= 0 && x_last < p->in_w) {
            /* the whole row of taps is inside and contiguous: one copy */
            tg_copy_s8(dst, &input[(iy * p->in_w + x0) * in_c], row_bytes);
        } else {
            for (kx = 0; kx < p->kernel_w; ++kx) {
                const int32_t ix = x0 + kx * p->dilation_w;
                if (ix < 0 || ix >= p->in_w) {
                    tg_fill_s8(dst + kx * in_c, zero_point, in_c);
                } else {
                    tg_copy_s8(dst + kx * in_c, &input[(iy * p->in_w + ix) * in_c], in_c);
                }
            }
        }
        dst += row_bytes;
    }
}

/* The generic kernel's im2col: one out-of-line copy for its three calls. */
static __attribute__((noinline)) void tg_conv2d_s8_dsp_im2col_any(const tg_conv2d_params_t *p,
                                                                  const int8_t *input, int32_t oy,
                                                                  int32_t ox, int8_t *dst)
{
    tg_conv2d_s8_dsp_im2col(p, input, oy, ox, dst);
}

/* im2col inlined (specialization, p constant) or out of line (the generic kernel). */
static inline __attribute__((always_inline)) void tg_conv2d_s8_dsp_field(const tg_conv2d_params_t *p,
                                                                         const int8_t *input, int32_t oy,
                                                                         int32_t ox, int8_t *dst,
                                                                         int32_t inline_bodies)
{
    if (inline_bodies) {
        tg_conv2d_s8_dsp_im2col(p, input, oy, ox, dst);
    } else {
        tg_conv2d_s8_dsp_im2col_any(p, input, oy, ox, dst);
    }
}

/*
 * A specialized 3x3 layer over 3 input channels, dilation 1, on the pair path: its blocks
 * widen the fields straight from the input (tg_conv2d_s8_c3_dsp.h).
 */
static inline __attribute__((always_inline)) int32_t tg_conv2d_s8_c3_on(const tg_conv2d_params_t *p,
                                                                        const tg_mat_mult_quant_t *q)
{
    return p->kernel_h == 3 && p->kernel_w == 3 && p->in_c == 3 && p->dilation_h == 1 && p->dilation_w == 1 &&
           tg_mat_mult_pairs_on(q, TG_C3_DEPTH, p->out_c);
}

/*
 * The field of pixel (oy, ox) widened into d (tg_c3_widen_field): read in the input where
 * every tap is inside, else from its im2col copy at col (out of line: edge pixels only).
 * One copy of the widening for both: the empty asm hides which one it reads.
 */
static inline __attribute__((always_inline)) void tg_conv2d_s8_c3_field(const tg_conv2d_params_t *p,
                                                                       const int8_t *input, int32_t oy,
                                                                       int32_t ox, int8_t *col, int32_t *d)
{
    const int32_t y0 = oy * p->stride_h - p->pad_top, x0 = ox * p->stride_w - p->pad_left;
    const int8_t *f = col;
    int32_t s = 9;
    if (y0 >= 0 && y0 + 3 <= p->in_h && x0 >= 0 && x0 + 3 <= p->in_w) {
        f = &input[(y0 * p->in_w + x0) * 3];
        s = p->in_w * 3;
    } else {
        tg_conv2d_s8_dsp_im2col_any(p, input, oy, ox, col);
    }
    __asm__("" : "+r"(f), "+r"(s), "+r"(d));
    tg_c3_widen_field(f, s, p->input_offset, d);
}

/* tg_conv2d_s8_dsp_with for tg_conv2d_s8_c3_on's layers: same blocks, order and scratch. */
static inline __attribute__((always_inline)) void tg_conv2d_s8_c3_with(
    const tg_conv2d_params_t *p, const tg_mat_mult_quant_t *q, const int8_t *input, const int8_t *weights,
    const int32_t *bias, const int32_t *multiplier, const int8_t *shift, int8_t *scratch, int8_t *output)
{
    const int32_t pixels = p->out_h * p->out_w, out_c = p->out_c;
    int16_t *const buf = (int16_t *)(void *)(scratch + tg_conv2d_s8_dsp_im2col_size(TG_C3_DEPTH));
    int32_t *const d = (int32_t *)__builtin_assume_aligned(buf, 8);
    int32_t oy = 0, ox = 0;     /* output pixel of the block's next field */
    int32_t n, k;

    tg_mat_mult_pairs_prepare(TG_C3_DEPTH, out_c, bias, multiplier, shift, q, buf);
#pragma GCC unroll 1
    for (n = 0; n + 2 <= pixels; n += 2) {
        /* a loop of the block's 2 fields (one copy of the code; k: the field's words 2 k on) */
#pragma GCC unroll 1
        for (k = 0; k < 2; ++k) {
            tg_conv2d_s8_c3_field(p, input, oy, ox, scratch, d + 2 * k);
            if (++ox == p->out_w) {
                ox = 0;
                ++oy;
            }
        }
        tg_mat_mult_pairs_widened_s8(buf, TG_C3_DEPTH, out_c, weights, bias, multiplier, shift, q,
                                     &output[n * out_c], &output[(n + 1) * out_c]);
    }
    if (pixels & 1) {           /* the last pixel of an odd count, as a block of it twice */
        tg_conv2d_s8_c3_field(p, input, oy, ox, scratch, d);
        tg_conv2d_s8_c3_field(p, input, oy, ox, scratch, d + 2);
        tg_mat_mult_pairs_widened_s8(buf, TG_C3_DEPTH, out_c, weights, bias, multiplier, shift, q,
                                     &output[(pixels - 1) * out_c], &output[(pixels - 1) * out_c]);
    }
}

/*
 * The block loop: im2col of 2 output pixels, then their outputs. q: the
 * quantization (tg_mat_mult_quant); inline_bodies: 1 inlines the mat-mult's row
 * bodies (specialization), 0 calls them out of line (the generic kernel).
 */
static inline __attribute__((always_inline)) void tg_conv2d_s8_dsp_with(
    const tg_conv2d_params_t *p, const tg_mat_mult_quant_t *q, const int8_t *input, const int8_t *weights,
    const int32_t *bias, const int32_t *multiplier, const int8_t *shift, int8_t *scratch, int8_t *output,
    int32_t inline_bodies)
{
    const int32_t depth = p->kernel_h * p->kernel_w * p->in_c;
    const int32_t pixels = p->out_h * p->out_w;
    const int32_t out_c = p->out_c;
    int8_t *const col0 = scratch, *const col1 = scratch + depth;
    int16_t *const buf = (int16_t *)(void *)(scratch + tg_conv2d_s8_dsp_im2col_size(depth));
    int32_t oy = 0, ox = 0;     /* output pixel of the block's first row */
    int32_t n;

    if (inline_bodies && tg_conv2d_s8_c3_on(p, q)) {
        tg_conv2d_s8_c3_with(p, q, input, weights, bias, multiplier, shift, scratch, output);
        return;
    }
    if (inline_bodies) {        /* a single pixel too: it runs as a block of that pixel twice */
        tg_mat_mult_pairs_prepare(depth, out_c, bias, multiplier, shift, q, buf);
    }
    /* not unrolled: a specialized layer of few pixels would take a copy of the body per block */
#pragma GCC unroll 1
    for (n = 0; n + 2 <= pixels; n += 2) {
        int8_t *const out0 = &output[n * out_c], *const out1 = &output[(n + 1) * out_c];
        tg_conv2d_s8_dsp_field(p, input, oy, ox, col0, inline_bodies);
        if (++ox == p->out_w) {
            ox = 0;
            ++oy;
        }
        tg_conv2d_s8_dsp_field(p, input, oy, ox, col1, inline_bodies);
        if (++ox == p->out_w) {
            ox = 0;
            ++oy;
        }
        if (inline_bodies) {
            tg_mat_mult_2rows_s8_dsp_body(col0, col1, depth, out_c, weights, bias, multiplier, shift, q, buf,
                                          out0, out1);
        } else {
            tg_mat_mult_2rows_s8_dsp(col0, col1, depth, out_c, weights, bias, multiplier, shift, q, buf, out0,
                                     out1);
        }
    }
    if (pixels & 1) {           /* the last pixel of an odd count (n == pixels - 1) */
        tg_conv2d_s8_dsp_field(p, input, oy, ox, col0, inline_bodies);
        if (inline_bodies && tg_mat_mult_pairs_on(q, depth, out_c)) {
            /* as a block of that pixel twice (its outputs written twice) */
            tg_mat_mult_2rows_s8_dsp_body(col0, col0, depth, out_c, weights, bias, multiplier, shift, q, buf,
                                          &output[(pixels - 1) * out_c], &output[(pixels - 1) * out_c]);
        } else if (inline_bodies) {
            /* a copy to the out-of-line body: q's own address stays here, so its fields stay
               constants through the asm blocks' memory clobbers (TG_REQUANT_POS_OF) */
            const tg_mat_mult_quant_t q1 = *q;
            tg_mat_mult_1row_s8_dsp(col0, depth, out_c, weights, bias, multiplier, shift, &q1,
                                    &output[(pixels - 1) * out_c]);
        } else {
            tg_mat_mult_1row_s8_dsp(col0, depth, out_c, weights, bias, multiplier, shift, q,
                                    &output[(pixels - 1) * out_c]);
        }
    }
}

/*
 * Per-layer specialization: tg_conv2d_s8_dsp with p pointing to the layer's
 * static const parameters and `bounded` tg_mat_mult_quant's verdict computed at
 * build time (tinygen.kernels.specialize).
 */
static inline __attribute__((always_inline)) void tg_conv2d_s8_dsp_inline(
    const tg_conv2d_params_t *p, int32_t bounded, const int8_t *input, const int8_t *weights,
    const int32_t *bias, const int32_t *multiplier, const int8_t *shift, int8_t *scratch, int8_t *output)
{
    const tg_mat_mult_quant_t q = {p->input_offset, p->output_offset, p->act_min, p->act_max, bounded};
    tg_conv2d_s8_dsp_with(p, &q, input, weights, bias, multiplier, shift, scratch, output, 1);
}

#endif /* TG_CONV2D_S8_DSP_H */
