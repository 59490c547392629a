/*
 * The body of the RV32IM int8 convolutions (tg_conv2d_s8_rv32, tg_conv2d_add_s8_rv32,
 * tg_fully_connected_s8_rv32), shared with their per-layer specializations
 * (tinygen.kernels.specialize): with the layer's parameters a static const struct, the
 * compiler sees every shape, stride, padding and offset as a constant.
 *
 * RV32IMC has MUL but no multiply-accumulate and no SIMD: a MAC is a MUL and an ADD.
 * What is left to save is the loads, so the outputs are register-blocked: 4 output
 * channels x up to 3 output pixels (12 accumulators; 16 spill), per input value 4 weight
 * loads shared by the pixels and 1 activation load (LB, which sign-extends) per pixel
 * shared by the channels: 4 + 3 + 12 + 12 instructions for 12 MACs. (A word load of 4
 * int8 costs more than 4 LB: extracting each signed byte takes 2 shifts.)
 *
 * Packed constant (tinygen.kernels.params.conv2d_rv32_weights, int32 words): per block
 * of 4 output channels (zero channels complete the last block) 4 words, the block's
 * biases with the input offset folded in (bias + input_offset * sum of the channel's
 * weights), then the block's weights as int8, K = kernel_h * kernel_w * in_c groups of
 * 4 bytes (the 4 channels' weights of one input value, in OHWI order of the values).
 *
 * Interior output pixels (every tap inside the input) sum raw input * weight onto the
 * folded bias; pixels whose window meets the padding add the input offset to each
 * in-bounds value and start from the plain bias, one pixel at a time. Both give
 * sum over in-bounds taps of (x + input_offset) * w + bias exactly (int32, no
 * overflow for the sums int8 layers produce: |sum| < 2^31 as in tg_conv2d_s8), then
 * tg_requantize's result (tg_requantize_bounded where the build proved its
 * preconditions, tg_requantize_fast otherwise).
 *
 * Loop order: output rows; within a row output pixels in groups (a group of up to 4
 * adjacent pixels, or one pixel); within a group blocks of 4 channels. Every group
 * reads its windows of the whole input depth (tinygen/passes/inplace.py: the output may
 * overlap the input at the distance that order allows).
 * With the fused add, output byte p is written after skip byte p is read and no
 * other step reads it: the output may take the skip's place.
 */
#ifndef TG_CONV2D_S8_RV32_H
#define TG_CONV2D_S8_RV32_H

#include <stddef.h>
#include <stdint.h>

#include "tg_conv2d_s8.h"
#include "tg_kernels.h"
#include "tg_requant.h"

#define TG_RV32_BLOCK 4      /* output channels per block */
#define TG_RV32_PIXELS 3     /* output pixels per interior group at most (4 x 3 accumulators: 4 x 4 spills) */

#define TG_RV32_INLINE static inline __attribute__((always_inline))

/* The geometry a call works on: a pointwise stride-1 layer is one row of in_h * in_w pixels. */
typedef struct {
    int32_t in_h, in_w, in_c, out_h, out_w, out_c, kernel_h, kernel_w, stride_h, stride_w, dilation_h, dilation_w,
        pad_top, pad_left, input_offset, output_offset, act_min, act_max;
} tg_rv32_conv_t;

TG_RV32_INLINE tg_rv32_conv_t tg_rv32_conv_of(int32_t in_h, int32_t in_w, int32_t in_c, int32_t out_h, int32_t out_w,
                                             int32_t out_c, int32_t kernel_h, int32_t kernel_w, int32_t stride_h,
                                             int32_t stride_w, int32_t dilation_h, int32_t dilation_w,
                                             int32_t pad_top, int32_t pad_left, int32_t input_offset,
                                             int32_t output_offset, int32_t act_min, int32_t act_max)
{
    const int32_t flat = kernel_h == 1 && kernel_w == 1 && stride_h == 1 && stride_w == 1 && pad_top == 0 &&
                         pad_left == 0 && out_h == in_h && out_w == in_w;
    const tg_rv32_conv_t g = {flat ? 1 : in_h, flat ? in_h * in_w : in_w, in_c, flat ? 1 : out_h,
                              flat ? out_h * out_w : out_w, out_c, kernel_h, kernel_w, stride_h, stride_w,
                              dilation_h, dilation_w, pad_top, pad_left, input_offset, output_offset, act_min,
                              act_max};
    return g;
}

/*
 * acc[j][c] += sum over n values of (x[j * step + k] + offset) * w[4 k + c], for j < npix
 * pixels and the 4 channels of a block; offset is 0 on the interior path (a constant:
 * the add disappears).
 */
TG_RV32_INLINE void tg_rv32_run(const int8_t *x, const int8_t *w, int32_t n, int32_t step, int32_t npix,
                                int32_t offset, int32_t acc[TG_RV32_PIXELS][TG_RV32_BLOCK])
{
    const int8_t *const end = x + n;     /* a pointer bound: no counter for GCC to bound */
    int32_t j;
#pragma GCC unroll 4
    while (x != end) {
        const int32_t w0 = w[0], w1 = w[1], w2 = w[2], w3 = w[3];
#pragma GCC unroll 4
        for (j = 0; j < npix; ++j) {
            const int32_t v = (int32_t)x[j * step] + offset;
            acc[j][0] += v * w0;
            acc[j][1] += v * w1;
            acc[j][2] += v * w2;
            acc[j][3] += v * w3;
        }
        w += TG_RV32_BLOCK;
        x += 1;
    }
}

/* a * b + c for pixel indices, computed modulo 2^32: GCC cannot always bound the pixel loops
   and would warn of signed overflows that the layer's sizes rule out (the result converts
   back to int32_t as on every target, see tg_requant.h). */
TG_RV32_INLINE int32_t tg_rv32_mad(int32_t a, int32_t b, int32_t c)
{
    return (int32_t)((uint32_t)a * (uint32_t)b + (uint32_t)c);
}

/* First tap index t in [0, taps) with origin + t * dilation >= 0, and one past the last below size. */
TG_RV32_INLINE int32_t tg_rv32_tap_lo(int32_t origin, int32_t dilation)
{
    return origin >= 0 ? 0 : (-origin + dilation - 1) / dilation;
}

TG_RV32_INLINE int32_t tg_rv32_tap_hi(int32_t origin, int32_t dilation, int32_t taps, int32_t size)
{
    const int32_t hi = origin >= size ? 0 : (size - origin + dilation - 1) / dilation;
    return hi < taps ? hi : taps;
}

/* The window sums of npix pixels (pixel j's top-left tap at input[origin + j * step], possibly
   in the padding: only in-bounds taps are read) over taps [ky0, ky1) x [kx0, kx1) of one
   channel block's weights w. */
TG_RV32_INLINE void tg_rv32_window(const tg_rv32_conv_t *g, const int8_t *input, int32_t origin, int32_t step,
                                   const int8_t *w, int32_t npix, int32_t offset, int32_t ky0, int32_t ky1,
                                   int32_t kx0, int32_t kx1, int32_t acc[TG_RV32_PIXELS][TG_RV32_BLOCK])
{
    int32_t ky, kx;
    for (ky = ky0; ky < ky1; ++ky) {
        const int32_t xr = origin + ky * g->dilation_h * g->in_w * g->in_c;
        const int8_t *wr = w + ky * g->kernel_w * g->in_c * TG_RV32_BLOCK;
        if (g->dilation_w == 1) {        /* the row's taps are one run of values */
            tg_rv32_run(input + (xr + kx0 * g->in_c), wr + kx0 * g->in_c * TG_RV32_BLOCK, (kx1 - kx0) * g->in_c,
                        step, npix, offset, acc);
        } else {
            for (kx = kx0; kx < kx1; ++kx) {
                tg_rv32_run(input + (xr + kx * g->dilation_w * g->in_c), wr + kx * g->in_c * TG_RV32_BLOCK, g->in_c,
                            step, npix, offset, acc);
            }
        }
    }
}

/* One channel's requantization, loaded (and derived) before any output byte is stored: an
   int8 store may alias the multiplier and shift arrays, so loads after it would repeat. */
typedef struct {
    int32_t multiplier, shift;   /* tg_requantize_fast's */
    int32_t m2, n, r;            /* tg_rv32_requantize_bounded's: 2 * multiplier, -shift, 2^(n - 1) */
} tg_rv32_requant_t;

TG_RV32_INLINE tg_rv32_requant_t tg_rv32_requant_of(int32_t multiplier, int32_t shift, int32_t bounded)
{
    tg_rv32_requant_t q = {multiplier, shift, 0, 0, 0};
    if (bounded) {
        q.m2 = (int32_t)((uint32_t)multiplier << 1);
        q.n = -shift;
        q.r = (int32_t)((uint32_t)1 << (q.n - 1));
    }
    return q;
}

/*
 * tg_requantize_bounded (its preconditions: multiplier in [2^30, 2^31), shift in [-31, -1],
 * |acc| < 2^30) in about 9 RV32IM instructions: its 64-bit sum init + acc * m2, init =
 * 2^(n-1) * 2^32 + 2^31, has the high word hi(acc * m2) + 2^(n-1) + c, where c is the carry
 * out of lo(acc * m2) + 2^31, i.e. lo(acc * m2) >> 31 (unsigned); the rest is
 * tg_requantize_bounded's, in wrapping uint32 additions as there.
 */
TG_RV32_INLINE int32_t tg_rv32_requantize_bounded(int32_t acc, const tg_rv32_requant_t *q)
{
    const int64_t product = (int64_t)acc * q->m2;
    const uint32_t lo = (uint32_t)product, hi = (uint32_t)(product >> 32);
    const uint32_t t = hi + (uint32_t)q->r + (lo >> 31) + (uint32_t)acc + (uint32_t)(acc >> 31);
    return (int32_t)t >> q->n;
}

/*
 * TFLite's ADD of the conv's int8 result c and the skip byte s, as tg_conv_add_one
 * (tg_conv2d_s8.h) with tg_requantize_fast for tg_requantize_smaller_than_one_exp: equal
 * for shifts <= 0 (both are tg_requantize there) and multipliers > INT32_MIN (Prepare's
 * lie in [0, 2^31)), and |(v + offset) << left_shift| < 2^31 for int8 values and
 * TFLite's left shift of 20.
 */
TG_RV32_INLINE int8_t tg_rv32_add_one(const tg_conv2d_add_params_t *p, int32_t c, int32_t s)
{
    const int32_t shifted_c = (c + p->conv_offset) * ((int32_t)1 << p->add_left_shift);
    const int32_t shifted_s = (s + p->skip_offset) * ((int32_t)1 << p->add_left_shift);
    const int32_t sum = tg_requantize_fast(shifted_c, p->conv_multiplier, p->conv_shift) +
                        tg_requantize_fast(shifted_s, p->skip_multiplier, p->skip_shift);
    int32_t out = tg_requantize_fast(sum, p->add_output_multiplier, p->add_output_shift) + p->add_output_offset;
    out = out < p->add_act_min ? p->add_act_min : out;
    out = out > p->add_act_max ? p->add_act_max : out;
    return (int8_t)out;
}

/* One output: the bias-added sum to int8 (bounded: the build proved tg_requantize_bounded's
   preconditions), then with a fused add (add != NULL) TFLite's ADD with the skip byte s. */
TG_RV32_INLINE int8_t tg_rv32_out(const tg_rv32_conv_t *g, int32_t acc, const tg_rv32_requant_t *q, int32_t bounded,
                                  const tg_conv2d_add_params_t *add, int32_t s)
{
    int32_t y = (bounded ? tg_rv32_requantize_bounded(acc, q) : tg_requantize_fast(acc, q->multiplier, q->shift)) +
                g->output_offset;
    y = y < g->act_min ? g->act_min : y;
    y = y > g->act_max ? g->act_max : y;
    if (add != NULL) {
        return tg_rv32_add_one(add, y, s);
    }
    return (int8_t)y;
}

/* Where a group's windows lie: the first pixel's top-left tap (an offset from input, maybe in
   the padding), its in-bounds taps, and the group's first output byte. */
typedef struct {
    int32_t origin, ky0, ky1, kx0, kx1;
    uint32_t at;
} tg_rv32_where_t;

/*
 * The outputs of npix pixels in one block of n (a constant) output channels from oc:
 * interior (all taps in bounds: raw sums onto the folded biases) or, for npix == 1, the
 * clipped window with the offset added to each in-bounds value.
 */
TG_RV32_INLINE void tg_rv32_block(const tg_rv32_conv_t *g, int32_t interior, int32_t npix, int32_t oc, int32_t n,
                                  const tg_rv32_where_t *at, const int8_t *input, const int32_t *packed,
                                  const int32_t *bias, const int32_t *multiplier, const int8_t *shift,
                                  int32_t bounded, const tg_conv2d_add_params_t *add, const int8_t *skip,
                                  int8_t *output)
{
    const int32_t depth = g->kernel_h * g->kernel_w * g->in_c;
    const int32_t *block = packed + (oc / TG_RV32_BLOCK) * (TG_RV32_BLOCK + depth);
    const int8_t *w = (const int8_t *)(block + TG_RV32_BLOCK);
    int32_t acc[TG_RV32_PIXELS][TG_RV32_BLOCK];
    int32_t j, c;
#pragma GCC unroll 4
    for (j = 0; j < npix; ++j) {
#pragma GCC unroll 4
        for (c = 0; c < TG_RV32_BLOCK; ++c) {
            acc[j][c] = interior ? block[c] : (bias != NULL && c < n ? bias[oc + c] : 0);
        }
    }
    if (interior) {
        tg_rv32_window(g, input, at->origin, g->stride_w * g->in_c, w, npix, 0, 0, g->kernel_h, 0, g->kernel_w, acc);
    } else if (at->ky0 < at->ky1 && at->kx0 < at->kx1) {
        tg_rv32_window(g, input, at->origin, 0, w, 1, g->input_offset, at->ky0, at->ky1, at->kx0, at->kx1, acc);
    }
    /* per channel: its requantization read before its outputs are stored (an int8 store may
       alias the multiplier and shift arrays: no value read before a store is read again) */
#pragma GCC unroll 4
    for (c = 0; c < n; ++c) {
        const tg_rv32_requant_t q = tg_rv32_requant_of(multiplier[oc + c], shift[oc + c], bounded);
#pragma GCC unroll 4
        for (j = 0; j < npix; ++j) {
            const uint32_t i = at->at + (uint32_t)(j * g->out_c + oc + c);
            output[i] = tg_rv32_out(g, acc[j][c], &q, bounded, add, add != NULL ? skip[i] : 0);
        }
    }
}

/* The outputs of npix pixels from (oy, ox), every channel: whole blocks of 4, then the rest. */
TG_RV32_INLINE void tg_rv32_group(const tg_rv32_conv_t *g, int32_t interior, int32_t npix, int32_t oy, int32_t ox,
                                  const int8_t *input, const int32_t *packed, const int32_t *bias,
                                  const int32_t *multiplier, const int8_t *shift, int32_t bounded,
                                  const tg_conv2d_add_params_t *add, const int8_t *skip, int8_t *output)
{
    const int32_t iy = tg_rv32_mad(oy, g->stride_h, -g->pad_top), ix = tg_rv32_mad(ox, g->stride_w, -g->pad_left);
    const int32_t whole = g->out_c / TG_RV32_BLOCK * TG_RV32_BLOCK;
    tg_rv32_where_t at;
    int32_t oc;
    at.origin = tg_rv32_mad(tg_rv32_mad(iy, g->in_w, ix), g->in_c, 0);
    at.ky0 = interior ? 0 : tg_rv32_tap_lo(iy, g->dilation_h);
    at.ky1 = interior ? g->kernel_h : tg_rv32_tap_hi(iy, g->dilation_h, g->kernel_h, g->in_h);
    at.kx0 = interior ? 0 : tg_rv32_tap_lo(ix, g->dilation_w);
    at.kx1 = interior ? g->kernel_w : tg_rv32_tap_hi(ix, g->dilation_w, g->kernel_w, g->in_w);
    at.at = (uint32_t)tg_rv32_mad(tg_rv32_mad(oy, g->out_w, ox), g->out_c, 0);
    for (oc = 0; oc < whole; oc += TG_RV32_BLOCK) {
        tg_rv32_block(g, interior, npix, oc, TG_RV32_BLOCK, &at, input, packed, bias, multiplier, shift, bounded, add,
                      skip, output);
    }
    if (whole < g->out_c) {
        tg_rv32_block(g, interior, npix, whole, g->out_c - whole, &at, input, packed, bias, multiplier, shift, bounded,
                      add, skip, output);
    }
}

/* Every output of the layer (add: the fused add's parameters, NULL for a plain conv). */
TG_RV32_INLINE void tg_rv32_conv_all(const tg_rv32_conv_t *g, const int8_t *input, const int32_t *packed,
                                     const int32_t *bias, const int32_t *multiplier, const int8_t *shift,
                                     int32_t bounded, const tg_conv2d_add_params_t *add, const int8_t *skip,
                                     int8_t *output)
{
    /* interior rows: every tap row in bounds; interior columns [x_lo, x_hi) likewise */
    const int32_t span_h = (g->kernel_h - 1) * g->dilation_h, span_w = (g->kernel_w - 1) * g->dilation_w;
    const int32_t y_lo = (g->pad_top + g->stride_h - 1) / g->stride_h;
    const int32_t y_end = g->in_h - span_h + g->pad_top;      /* oy * stride_h < y_end */
    const int32_t y_hi = y_end <= 0 ? 0 : (y_end + g->stride_h - 1) / g->stride_h;
    const int32_t x_lo = (g->pad_left + g->stride_w - 1) / g->stride_w;
    const int32_t x_end = g->in_w - span_w + g->pad_left;
    const int32_t x_hi0 = x_end <= 0 ? 0 : (x_end + g->stride_w - 1) / g->stride_w;
    const int32_t x_hi = x_hi0 < g->out_w ? x_hi0 : g->out_w;
    int32_t oy, ox;
    for (oy = 0; oy < g->out_h; ++oy) {
        const int32_t row_in = oy >= y_lo && oy < y_hi && x_lo < x_hi;
        const int32_t a = row_in ? x_lo : g->out_w, b = row_in ? x_hi : g->out_w;
        for (ox = 0; ox < a; ++ox) {
            tg_rv32_group(g, 0, 1, oy, ox, input, packed, bias, multiplier, shift, bounded, add, skip, output);
        }
        const int32_t groups_end = a + (b - a) / TG_RV32_PIXELS * TG_RV32_PIXELS;
        for (ox = a; ox < groups_end; ox += TG_RV32_PIXELS) {
            tg_rv32_group(g, 1, TG_RV32_PIXELS, oy, ox, input, packed, bias, multiplier, shift, bounded, add, skip,
                          output);
        }
        for (ox = groups_end; ox < b; ++ox) {
            tg_rv32_group(g, 1, 1, oy, ox, input, packed, bias, multiplier, shift, bounded, add, skip, output);
        }
        for (ox = b; ox < g->out_w; ++ox) {
            tg_rv32_group(g, 0, 1, oy, ox, input, packed, bias, multiplier, shift, bounded, add, skip, output);
        }
    }
}

/* One group of npix pixels from ox of a pointwise layer's one row, in one block of n output channels from oc. */
TG_RV32_INLINE void tg_rv32_pointwise_group(const tg_rv32_conv_t *g, int32_t npix, int32_t oc, int32_t n, int32_t ox,
                                            const int8_t *input, const int32_t *packed, const int32_t *bias,
                                            const int32_t *multiplier, const int8_t *shift, int32_t bounded,
                                            int8_t *output)
{
    tg_rv32_where_t at;
    at.origin = tg_rv32_mad(ox, g->in_c, 0);
    at.ky0 = 0;
    at.ky1 = 1;
    at.kx0 = 0;
    at.kx1 = 1;
    at.at = (uint32_t)tg_rv32_mad(ox, g->out_c, 0);
    tg_rv32_block(g, 1, npix, oc, n, &at, input, packed, bias, multiplier, shift, bounded, NULL, NULL, output);
}

/* Every pixel of a pointwise layer (one row: tg_rv32_conv_of's flat geometry) for the n channels from oc: groups
   of TG_RV32_PIXELS, then the rest one by one, as tg_rv32_conv_all takes them. */
TG_RV32_INLINE void tg_rv32_pointwise_block(const tg_rv32_conv_t *g, int32_t oc, int32_t n, const int8_t *input,
                                            const int32_t *packed, const int32_t *bias, const int32_t *multiplier,
                                            const int8_t *shift, int32_t bounded, int8_t *output)
{
    const int32_t groups_end = g->out_w / TG_RV32_PIXELS * TG_RV32_PIXELS;
    int32_t ox;
    for (ox = 0; ox < groups_end; ox += TG_RV32_PIXELS) {
        tg_rv32_pointwise_group(g, TG_RV32_PIXELS, oc, n, ox, input, packed, bias, multiplier, shift, bounded,
                                output);
    }
    for (ox = groups_end; ox < g->out_w; ++ox) {
        tg_rv32_pointwise_group(g, 1, oc, n, ox, input, packed, bias, multiplier, shift, bounded, output);
    }
}

/*
 * tg_conv2d_1x1_s8_rv32's order: channel blocks outermost, each over every pixel, so each
 * block's weights are read from flash once per layer, not once per pixel group (on the
 * ESP32-C3 the weights come through the 16 KB flash cache; a layer's weights larger than
 * it would miss again on every group). The same blocks and sums as tg_rv32_conv_all, so
 * the same bytes. The output must not overlap the input: a block reads every pixel after
 * earlier blocks wrote theirs.
 */
TG_RV32_INLINE void tg_rv32_pointwise_all(const tg_rv32_conv_t *g, const int8_t *input, const int32_t *packed,
                                          const int32_t *bias, const int32_t *multiplier, const int8_t *shift,
                                          int32_t bounded, int8_t *output)
{
    const int32_t whole = g->out_c / TG_RV32_BLOCK * TG_RV32_BLOCK;
    int32_t oc;
    for (oc = 0; oc < whole; oc += TG_RV32_BLOCK) {
        tg_rv32_pointwise_block(g, oc, TG_RV32_BLOCK, input, packed, bias, multiplier, shift, bounded, output);
    }
    if (whole < g->out_c) {
        tg_rv32_pointwise_block(g, whole, g->out_c - whole, input, packed, bias, multiplier, shift, bounded, output);
    }
}

TG_RV32_INLINE tg_rv32_conv_t tg_rv32_conv_params(const tg_conv2d_params_t *p)
{
    return tg_rv32_conv_of(p->in_h, p->in_w, p->in_c, p->out_h, p->out_w, p->out_c, p->kernel_h, p->kernel_w,
                           p->stride_h, p->stride_w, p->dilation_h, p->dilation_w, p->pad_top, p->pad_left,
                           p->input_offset, p->output_offset, p->act_min, p->act_max);
}

/* The plain conv, with `bounded` a constant in each branch. */
TG_RV32_INLINE void tg_conv2d_s8_rv32_with(const tg_rv32_conv_t *g, int32_t bounded, const int8_t *input,
                                           const int32_t *packed, const int32_t *bias, const int32_t *multiplier,
                                           const int8_t *shift, int8_t *output)
{
    if (bounded) {
        tg_rv32_conv_all(g, input, packed, bias, multiplier, shift, 1, NULL, NULL, output);
    } else {
        tg_rv32_conv_all(g, input, packed, bias, multiplier, shift, 0, NULL, NULL, output);
    }
}

/* Per-layer specializations: p points to the layer's static const parameters, bounded is
   tg_requantize_bounded's verdict computed at build time (tinygen.kernels.specialize). */
TG_RV32_INLINE void tg_conv2d_s8_rv32_inline(const tg_conv2d_params_t *p, int32_t bounded, const int8_t *input,
                                             const int32_t *packed, const int32_t *bias, const int32_t *multiplier,
                                             const int8_t *shift, int8_t *output)
{
    const tg_rv32_conv_t g = tg_rv32_conv_params(p);
    tg_conv2d_s8_rv32_with(&g, bounded, input, packed, bias, multiplier, shift, output);
}

/* tg_conv2d_1x1_s8_rv32 (a pointwise, stride-1, unpadded layer), with `bounded` a constant in each branch. */
TG_RV32_INLINE void tg_conv2d_1x1_s8_rv32_inline(const tg_conv2d_params_t *p, int32_t bounded, const int8_t *input,
                                                 const int32_t *packed, const int32_t *bias,
                                                 const int32_t *multiplier, const int8_t *shift, int8_t *output)
{
    const tg_rv32_conv_t g = tg_rv32_conv_params(p);
    if (bounded) {
        tg_rv32_pointwise_all(&g, input, packed, bias, multiplier, shift, 1, output);
    } else {
        tg_rv32_pointwise_all(&g, input, packed, bias, multiplier, shift, 0, output);
    }
}

TG_RV32_INLINE void tg_conv2d_add_s8_rv32_inline(const tg_conv2d_add_params_t *p, int32_t bounded,
                                                 const int8_t *input, const int8_t *skip, const int32_t *packed,
                                                 const int32_t *bias, const int32_t *multiplier, const int8_t *shift,
                                                 int8_t *output)
{
    const tg_rv32_conv_t g = tg_rv32_conv_of(p->in_h, p->in_w, p->in_c, p->out_h, p->out_w, p->out_c, p->kernel_h,
                                             p->kernel_w, p->stride_h, p->stride_w, p->dilation_h, p->dilation_w,
                                             p->pad_top, p->pad_left, p->input_offset, p->output_offset, p->act_min,
                                             p->act_max);
    if (bounded) {
        tg_rv32_conv_all(&g, input, packed, bias, multiplier, shift, 1, p, skip, output);
    } else {
        tg_rv32_conv_all(&g, input, packed, bias, multiplier, shift, 0, p, skip, output);
    }
}

TG_RV32_INLINE void tg_fully_connected_s8_rv32_inline(const tg_fully_connected_params_t *p, int32_t bounded,
                                                      const int8_t *input, const int32_t *packed,
                                                      const int32_t *bias, const int32_t *multiplier,
                                                      const int8_t *shift, int8_t *output)
{
    /* rows x in_features as one row of `rows` pixels of a pointwise conv */
    const tg_rv32_conv_t g = tg_rv32_conv_of(1, p->rows, p->in_features, 1, p->rows, p->out_features, 1, 1, 1, 1, 1,
                                             1, 0, 0, p->input_offset, p->output_offset, p->act_min, p->act_max);
    tg_conv2d_s8_rv32_with(&g, bounded, input, packed, bias, multiplier, shift, output);
}

#endif /* TG_CONV2D_S8_RV32_H */
