/*
 * The body of tg_conv2d_rows4_w16_s8_dsp: tg_conv2d_s8_dsp's partial im2col with the output
 * pixels in blocks of 4 and the weights widened to int16 at build time
 * (tinygen.kernels.rows4_dsp.rows4_w16_weights), multiplied 4 pixels x 2 output channels at a
 * time.
 *
 * One step takes 2 values of depth: an LDRD of the 2 channels' weight pairs, 2 LDRD of the 4
 * pixels' widened pairs and 8 SMLAD: 11 instructions for 16 multiply-accumulates (0.69 per
 * MAC, against the 3-row int8 block's 21 per 24, 0.875), 14 cycles by the Cortex-M33 model
 * (LDRD 2; the 3-row block's step: 24 for 24) and 17 by the Cortex-M4's (LDRD 3; 28 for 24).
 * Registers: 8 accumulators, 2 weight pairs, 2 input pairs, the rows' and the weights' pointers:
 * all 14 (r0-r12, lr); the records' and outputs' pointers and the loop's end live in memory,
 * and the weights' pointer is kept there while a channel pair's 8 outputs are requantized (the
 * weights of consecutive pairs are consecutive, so it is never reset).
 *
 * The 4 x 2 block with int8 weights would take 16 registers (4 weight pairs from 2 SXTB16 per
 * channel); with int16 weights the 2-value step needs 2. The weights' bytes double (flash,
 * or RAM where --weights-in places them there).
 *
 * The same body serves tg_conv2d_rows4_pair_s8_dsp (`pair`, a constant after inlining): the
 * weights as row-pair halfwords h = 256 b + a at the int8 weights' bytes, the step 12 instructions
 * per 16 MACs (tg_rows4_loop_dsp.h says how, and when it is exact).
 *
 * Layouts. The widened pixels (tg_rows4_widen_run): per group of 4 values of depth (v0..v3), the 4
 * pixels' (v0, v2) pairs then their (v1, v3) pairs, each doubled with the input offset added
 * (tg_widen_doubled_s8x4): 32 bytes a group. The weights: per channel pair, per group, (w0, w2)
 * of the first channel, of the second, then (w1, w3) of each: 16 bytes a group, 4 depth bytes a
 * pair. The requantization is the folded one of the pairs' records (tg_pairs_records,
 * tg_mat_mult_pairs_s8_dsp.h), each output as TG_ROWS3_OUT3 computes it.
 *
 * A block whose 4 windows lie inside the input (and whose kernel rows are runs of a multiple of 4
 * bytes) is widened straight from the input; the others are copied into 4 int8 fields first
 * (padding taps the zero point, which widens to 0). A depth K that is not a multiple of 4 (a first
 * layer's 3x3x3 = 27) is always copied, into fields of K rounded up to 4 (K'), whose last bytes are
 * zeroed once and meet zero weights (the packed weights' groups are completed with zeros).
 *
 * Pixels: blocks of 4 in raster order; where pixels % 4 != 0 the last block is the last 4
 * pixels, overlapping the one before (computed again, written again with the same values). A
 * block reads its 4 fields whole before writing any output (nothing read from the input after
 * that), so the output may start below the input by the distance tinygen/passes/inplace.py's
 * ROWS4 model gives: the planner runs it in place.
 *
 * Scratch, 8-byte aligned: the four int8 fields (4 K' bytes rounded up to 8, K' = kernel_h *
 * kernel_w * in_c rounded up to 4), the four fields widened (8 K' bytes), the records (16 bytes a
 * channel).
 *
 * Where the blocks do not serve (specialization off, or a layer outside tg_rows4_on) every output
 * is computed one at a time from the same packed weights (tg_conv2d_rows4_w16_s8_dsp_each).
 *
 * Needs __ARM_FEATURE_DSP (-mcpu=cortex-m4 / cortex-m33 / cortex-m7).
 */
#ifndef TG_CONV2D_ROWS4_W16_S8_DSP_H
#define TG_CONV2D_ROWS4_W16_S8_DSP_H

#include <arm_acle.h>
#include <stdint.h>

#include "tg_conv2d_add_s8_dsp.h"
#include "tg_conv2d_s8.h"
#include "tg_conv2d_s8_dsp.h"
#include "tg_mat_mult_rows3_s8_dsp.h"
#include "tg_pair3_loop_dsp.h"
#include "tg_rows4_loop_dsp.h"

/*
 * 1: the pair kernels' specialized layers run blocks of 3 pixels (tg_pair3_loop_dsp.h: one LDM of the
 * 3 pixels' pairs a step, one LDRD of the weights a group) instead of 4; the F446 sets it (its board
 * file), where loads cost the Cortex-M4 more than the extra block overhead.
 */
#ifndef TG_ROWS4_PAIR_TRIPLES
#define TG_ROWS4_PAIR_TRIPLES 0
#endif

/* bytes of the four int8 receptive fields, each depth rounded up to 4 (its last group's missing values
   zero, times weights that are zero), kept a multiple of 8 */
static inline int32_t tg_conv2d_rows4_w16_s8_dsp_im2col_size(int32_t depth)
{
    return (4 * ((depth + 3) & ~3) + 7) & ~7;
}

/* Scratch bytes: the four fields, the four widened (depth rounded up to 4), the records. */
static inline int32_t tg_conv2d_rows4_w16_s8_dsp_buffer_size(int32_t depth, int32_t cols)
{
    return tg_conv2d_rows4_w16_s8_dsp_im2col_size(depth) + 8 * ((depth + 3) & ~3) +
           4 * ((cols + 1) & ~1) * (int32_t)sizeof(int32_t);
}

/*
 * Whether a layer takes the 4-pixel blocks: specialized (every size and bound a constant), the
 * folded requantization, at least 4 pixels, depth in 4..1999 (rounded up to 4 in the blocks: the first
 * layer's 3x3x3 = 27 as 28), an even channel count of at least 2, the 4 pixels' outputs within an
 * STRB's offset of each other.
 */
static inline __attribute__((always_inline)) int32_t tg_rows4_on(const tg_mat_mult_quant_t *q, int32_t pixels,
                                                                 int32_t depth, int32_t cols)
{
    return TG_REQUANT_KIND(q->bounded) == TG_REQUANT_FOLDED && __builtin_constant_p(pixels) &&
           __builtin_constant_p(depth) && __builtin_constant_p(cols) && __builtin_constant_p(q->act_min) &&
           __builtin_constant_p(q->act_max) && pixels >= 4 && depth >= 4 && depth < 2000 && cols >= 2 &&
           (cols & 1) == 0 && 3 * cols + 1 < 4096;
}

/* Runs of n values (n % 4 == 0) of the px (4, or 3: x3 unread) pixels at x0..x3 widened doubled into d
   (the layout above, per group the px pixels' (v0, v2) pairs then their (v1, v3)); d past them returned. */
static inline __attribute__((always_inline)) int32_t *tg_rows4_widen_run(const int8_t *x0, const int8_t *x1,
                                                                        const int8_t *x2, const int8_t *x3,
                                                                        int32_t n, int32_t offset, int32_t *d,
                                                                        int32_t px)
{
    int32_t k;
    if (px == 3 && __builtin_constant_p(offset) && offset == 128 && __builtin_constant_p(n) && n > 0) {
        return tg_pair3_widen128(x0, x1, x2, n, d);
    }
    for (k = 0; k < n; k += 4, d += 2 * px) {
        tg_widen_doubled_s8x4(tg_dsp_load_s8x4(x0 + k), offset, &d[0], &d[px]);
        tg_widen_doubled_s8x4(tg_dsp_load_s8x4(x1 + k), offset, &d[1], &d[px + 1]);
        tg_widen_doubled_s8x4(tg_dsp_load_s8x4(x2 + k), offset, &d[2], &d[px + 2]);
        if (px == 4) {
            tg_widen_doubled_s8x4(tg_dsp_load_s8x4(x3 + k), offset, &d[3], &d[7]);
        }
    }
    return d;
}

/*
 * The 4 fields of the block's pixels at[0..3] (input indices of each window's first tap) widened
 * into dst straight from the input, kernel row by kernel row (each a run of kernel_w * in_c bytes,
 * a multiple of 4): the block's windows all inside the input, dilation_w 1.
 */
static inline __attribute__((always_inline)) void tg_rows4_widen_inside(const tg_conv2d_params_t *p,
                                                                       const int8_t *input, const int32_t at[4],
                                                                       int16_t *dst, int32_t px)
{
    const int32_t run = p->kernel_w * p->in_c, step = p->dilation_h * p->in_w * p->in_c;
    int32_t *d = (int32_t *)__builtin_assume_aligned(dst, 8);
    int32_t ky;
#pragma GCC unroll 1
    for (ky = 0; ky < p->kernel_h; ++ky) {
        const int32_t o = ky * step;
        d = tg_rows4_widen_run(input + at[0] + o, input + at[1] + o, input + at[2] + o, input + at[px - 1] + o,
                               run, p->input_offset, d, px);
    }
}

/* The packed weights' layouts the per-output paths read: the int16 weights, the row-pair halfwords in the
   4-pixel blocks' order, or in the slide's (tg_conv2d_slide_pair_s8_dsp.h: per pair, per kernel row, per
   plane of channels 4m + eo and 4m + eo + 2, per tap, the 2 halves; a 3x3 kernel). */
enum { TG_ROWS4_W16, TG_ROWS4_PAIR, TG_SLIDE_PAIR };

/* Weight k = (ky, kx, c) of output channel o in layout `layout` (depth rounded up to 4: dp); the row-pair
   halfwords h = 256 b + a of channels A = o & ~1 and B = o | 1. */
static inline int32_t tg_rows4_weight(const int16_t *packed, int32_t dp, int32_t in_c, int32_t o, int32_t k,
                                      int32_t layout)
{
    const int32_t g = k >> 2, j = k & 3;
    int32_t h, a;
    if (layout == TG_ROWS4_W16) {
        return packed[(o >> 1) * 2 * dp + g * 8 + (j & 1) * 4 + (o & 1) * 2 + (j >> 1)];
    }
    if (layout == TG_ROWS4_PAIR) {
        h = packed[(o >> 1) * dp + g * 4 + (j & 1) * 2 + (j >> 1)];
    } else {
        const int32_t c = k % in_c, kx = (k / in_c) % 3, ky = k / (3 * in_c);
        h = packed[(o >> 1) * 9 * in_c + (((ky * (in_c / 4) + (c >> 2)) * 2 + (c & 1)) * 3 + kx) * 2 + ((c >> 1) & 1)];
    }
    a = (int8_t)h;
    return (o & 1) ? (h - a) >> 8 : a;
}

/*
 * Every output one at a time (specialization off, or a layer the blocks do not take): each
 * pixel's field copied into scratch, its sums read from the packed weights, tg_mat_mult_out's
 * requantization (the other DSP kernels' for the same `bounded`).
 */
static inline __attribute__((always_inline)) void tg_conv2d_rows4_w16_s8_dsp_each(
    const tg_conv2d_params_t *p, const tg_mat_mult_quant_t *q, const int8_t *input, const int16_t *packed,
    const int32_t *bias, const int32_t *multiplier, const int8_t *shift, int8_t *scratch, int8_t *output,
    int32_t pair)
{
    const int32_t depth = p->kernel_h * p->kernel_w * p->in_c, dp = (depth + 3) & ~3;
    const tg_mat_mult_out_t out = {q->output_offset, q->act_min, q->act_max};
    int32_t oy, ox, o, k;
    for (oy = 0; oy < p->out_h; ++oy) {
        for (ox = 0; ox < p->out_w; ++ox) {
            int8_t *const dst = &output[(oy * p->out_w + ox) * p->out_c];
            tg_conv2d_s8_dsp_im2col(p, input, oy, ox, scratch);
            for (o = 0; o < p->out_c; ++o) {
                int32_t acc = bias != NULL ? bias[o] : 0;
                for (k = 0; k < depth; ++k) {
                    acc += (scratch[k] + q->input_offset) * tg_rows4_weight(packed, dp, p->in_c, o, k, pair);
                }
                dst[o] = tg_mat_mult_out(acc, multiplier[o], shift[o], out, q->bounded);
            }
        }
    }
}

/*
 * The fused add's conv bytes are kept for this many consecutive blocks (16 pixels) and added in one
 * call: the add's loop (tg_conv_add_block) then runs once per 4 blocks, and where the code cache is
 * smaller than the block's code and the add's together (the F446's 1 KB ART and IC's layers) the
 * block's lines it evicts miss once per 4 blocks, not every block.
 */
#define TG_ROWS4_ADD_BLOCKS 4

/*
 * The 4-pixel blocks (tg_rows4_on holds). add, skip: a fused residual add (NULL for a plain conv,
 * a constant after inlining) in epilogue mode amode (tg_conv2d_add_s8_dsp.h): the blocks' conv
 * outputs go to scratch after the records, up to TG_ROWS4_ADD_BLOCKS blocks' (pixel base first),
 * then each output byte of the pixels not yet written (from done) is written from its conv byte
 * and skip byte p, read just before (the output may take the skip's place): before a block that
 * would not fit, and after the last (the last block, overlapping the one before, computes some held
 * pixels again, the same bytes, and each pixel is added once).
 */
static inline __attribute__((always_inline)) void tg_conv2d_rows4_w16_s8_dsp_blocks(
    const tg_conv2d_params_t *p, const tg_mat_mult_quant_t *q, const int8_t *input, const int16_t *packed,
    const int32_t *bias, const int32_t *multiplier, const int8_t *shift, int8_t *scratch, int8_t *output,
    const tg_conv2d_add_params_t *add, const int8_t *skip, int32_t amode, int32_t pair)
{
    /* dp: the fields' and the widened pixels' depth, rounded up to a whole group of 4 values */
    const int32_t depth = p->kernel_h * p->kernel_w * p->in_c, dp = (depth + 3) & ~3;
    const int32_t pixels = p->out_h * p->out_w, out_c = p->out_c;
    /* with the add, the conv's sign's ADD always (the mode's POS is the add's) */
    const int32_t pos = add != NULL ? 0 : TG_REQUANT_POS_OF(q->bounded);
    const int32_t lo = q->act_min, hi = q->act_max;
    /* pixels a block: 3 for the pair weights under TG_ROWS4_PAIR_TRIPLES (tg_pair3_loop_dsp.h), else 4 */
    const int32_t px = pair && TG_ROWS4_PAIR_TRIPLES ? 3 : 4;
    int8_t *const col = scratch;
    int16_t *const buf =
        (int16_t *)__builtin_assume_aligned(scratch + tg_conv2d_rows4_w16_s8_dsp_im2col_size(depth), 8);
    int32_t *const rec = (int32_t *)(void *)(buf + 4 * dp);
    int8_t *const conv = (int8_t *)(void *)(rec + 4 * out_c);
    /* the add's terms per byte value (tg_conv_add_tables), after the blocks' conv bytes */
    int32_t *const tab = (int32_t *)(void *)(conv + TG_ROWS4_ADD_BLOCKS * 4 * out_c);
    int32_t r = 0, done = 0, base = 0, k;

    tg_pairs_records_of(q->bounded, out_c, bias, multiplier, shift, q->output_offset, rec);
    if (add != NULL) {
        tg_conv_add_tables(add, tab);
    }
    /* a depth short of a whole group (only ever copied: a window's rows are then not runs of whole
       words): the fields' last bytes, which no copy writes, zeroed once */
    if (dp != depth) {
        for (k = 0; k < 4 * dp; k += dp) {
            int32_t j;
            for (j = depth; j < dp; ++j) {
                col[k + j] = 0;
            }
        }
    }
    for (;;) {      /* one copy of the block: the last block is the last px pixels */
        int32_t oy = r / p->out_w, ox = r - oy * p->out_w, at[4];
        /* the windows all inside the input (rows of kernel_w * in_c bytes, a multiple of 4): widened
           from it; else copied into the fields (padding: the zero point) and widened from there */
        int32_t inside = p->dilation_w == 1 && (p->kernel_w * p->in_c) % 4 == 0;
#pragma GCC unroll 1
        for (k = 0; k < px; ++k) {
            const int32_t y0 = oy * p->stride_h - p->pad_top, x0 = ox * p->stride_w - p->pad_left;
            inside = inside && y0 >= 0 && y0 + (p->kernel_h - 1) * p->dilation_h < p->in_h && x0 >= 0 &&
                     x0 + p->kernel_w <= p->in_w;
            at[k] = (y0 * p->in_w + x0) * p->in_c;
            if (++ox == p->out_w) {
                ox = 0;
                ++oy;
            }
        }
        if (inside) {
            tg_rows4_widen_inside(p, input, at, buf, px);
        } else {
            oy = r / p->out_w;
            ox = r - oy * p->out_w;
#pragma GCC unroll 1
            for (k = 0; k < px; ++k) {
                tg_conv2d_s8_dsp_im2col(p, input, oy, ox, col + k * dp);
                if (++ox == p->out_w) {
                    ox = 0;
                    ++oy;
                }
            }
            tg_rows4_widen_run(col, col + dp, col + 2 * dp, col + (px - 1) * dp, dp, q->input_offset,
                               (int32_t *)__builtin_assume_aligned(buf, 8), px);
        }
        if (add != NULL && r + px - base > TG_ROWS4_ADD_BLOCKS * 4) {
            /* the pixels done..r held from base: added; the next ones held from r */
            tg_conv_add_block(add, tab, conv + (done - base) * out_c, skip + done * out_c, output + done * out_c,
                              (r - done) * out_c, amode);
            done = base = r;
        }
        if (px == 3) {
            tg_pair3_loop_asm(buf, dp, out_c, packed, rec,
                              add != NULL ? conv + (r - base) * out_c : &output[r * out_c], lo, hi,
                              tg_rows3_usat_bits(lo, hi), pos);
        } else {
            tg_rows4_loop_asm(buf, dp, out_c, packed, rec,
                              add != NULL ? conv + (r - base) * out_c : &output[r * out_c], lo, hi,
                              tg_rows3_usat_bits(lo, hi), pos, pair);
        }
        if (r + px >= pixels) {
            if (add != NULL) {      /* the last pixels held: added (from done, which the last block may pass) */
                tg_conv_add_block(add, tab, conv + (done - base) * out_c, skip + done * out_c, output + done * out_c,
                                  (pixels - done) * out_c, amode);
            }
            break;
        }
        r = r + 2 * px <= pixels ? r + px : pixels - px;
    }
}

/*
 * Per-layer specialization: p points to the layer's static const parameters and `bounded` is
 * tg_mat_mult_quant's verdict computed at build time (tinygen.kernels.specialize); the 4-pixel
 * blocks where tg_rows4_on holds, else every output one at a time; pair: the weights' layout.
 */
static inline __attribute__((always_inline)) void tg_conv2d_rows4_s8_dsp_layer(
    const tg_conv2d_params_t *p, int32_t bounded, const int8_t *input, const int16_t *packed,
    const int32_t *bias, const int32_t *multiplier, const int8_t *shift, int8_t *scratch, int8_t *output,
    int32_t pair)
{
    const tg_mat_mult_quant_t q = {p->input_offset, p->output_offset, p->act_min, p->act_max, bounded};
    if (tg_rows4_on(&q, p->out_h * p->out_w, p->kernel_h * p->kernel_w * p->in_c, p->out_c)) {
        tg_conv2d_rows4_w16_s8_dsp_blocks(p, &q, input, packed, bias, multiplier, shift, scratch, output, NULL, NULL,
                                          0, pair);
    } else {
        tg_conv2d_rows4_w16_s8_dsp_each(p, &q, input, packed, bias, multiplier, shift, scratch, output, pair);
    }
}

/* tg_conv2d_rows4_w16_s8_dsp's specialized layer: int16 weights. */
static inline __attribute__((always_inline)) void tg_conv2d_rows4_w16_s8_dsp_inline(
    const tg_conv2d_params_t *p, int32_t bounded, const int8_t *input, const int16_t *packed,
    const int32_t *bias, const int32_t *multiplier, const int8_t *shift, int8_t *scratch, int8_t *output)
{
    tg_conv2d_rows4_s8_dsp_layer(p, bounded, input, packed, bias, multiplier, shift, scratch, output, 0);
}

/* tg_conv2d_rows4_pair_s8_dsp's specialized layer: the row-pair halfwords. */
static inline __attribute__((always_inline)) void tg_conv2d_rows4_pair_s8_dsp_inline(
    const tg_conv2d_params_t *p, int32_t bounded, const int8_t *input, const int16_t *packed,
    const int32_t *bias, const int32_t *multiplier, const int8_t *shift, int8_t *scratch, int8_t *output)
{
    tg_conv2d_rows4_s8_dsp_layer(p, bounded, input, packed, bias, multiplier, shift, scratch, output, 1);
}

/* The fused add's scratch: the plain conv's, then TG_ROWS4_ADD_BLOCKS blocks' conv outputs (4 out_c bytes
   each), then the add's terms of the 256 byte values of each input (tg_conv_add_tables: 512 int32). */
static inline int32_t tg_conv2d_add_rows4_w16_s8_dsp_buffer_size(int32_t depth, int32_t cols)
{
    return tg_conv2d_rows4_w16_s8_dsp_buffer_size(depth, cols) + TG_ROWS4_ADD_BLOCKS * 4 * ((cols + 1) & ~1) +
           512 * (int32_t)sizeof(int32_t);
}

/* The conv's part of a fused add's parameters, as tg_conv2d_params_t (constants after inlining). */
static inline __attribute__((always_inline)) tg_conv2d_params_t tg_rows4_conv_of(const tg_conv2d_add_params_t *p)
{
    const tg_conv2d_params_t c = {p->in_h,       p->in_w,       p->in_c,    p->out_h,        p->out_w,
                                  p->out_c,      p->kernel_h,   p->kernel_w, p->stride_h,    p->stride_w,
                                  p->dilation_h, p->dilation_w, p->pad_top, p->pad_left,     1,
                                  p->input_offset, p->output_offset, p->act_min, p->act_max};
    return c;
}

/*
 * Every output of the fused add one at a time: the conv's output as tg_conv2d_s8's (tg_requantize,
 * the clamp), then TFLite's ADD arithmetic (tg_conv_add_one); the field in scratch.
 */
static inline __attribute__((always_inline)) void tg_conv2d_add_rows4_w16_s8_dsp_each(
    const tg_conv2d_add_params_t *p, const int8_t *input, const int8_t *skip, const int16_t *packed,
    const int32_t *bias, const int32_t *multiplier, const int8_t *shift, int8_t *scratch, int8_t *output,
    int32_t pair)
{
    const tg_conv2d_params_t cp = tg_rows4_conv_of(p);
    const int32_t depth = p->kernel_h * p->kernel_w * p->in_c, dp = (depth + 3) & ~3;
    int32_t oy, ox, o, k;
    for (oy = 0; oy < p->out_h; ++oy) {
        for (ox = 0; ox < p->out_w; ++ox) {
            const int32_t at = (oy * p->out_w + ox) * p->out_c;
            tg_conv2d_s8_dsp_im2col(&cp, input, oy, ox, scratch);
            for (o = 0; o < p->out_c; ++o) {
                int32_t acc = bias != NULL ? bias[o] : 0, c;
                for (k = 0; k < depth; ++k) {
                    acc += (scratch[k] + p->input_offset) * tg_rows4_weight(packed, dp, p->in_c, o, k, pair);
                }
                c = tg_requantize(acc, multiplier[o], shift[o]) + p->output_offset;
                c = c < p->act_min ? p->act_min : c > p->act_max ? p->act_max : c;
                output[at + o] = tg_conv_add_one(p, c, skip[at + o]);
            }
        }
    }
}

/*
 * Per-layer specialization of the fused add (tg_conv2d_add_rows4_w16_s8_dsp, tg_conv2d_add_rows4_pair_s8_dsp
 * by pair): `bounded` the conv's verdict computed at build time, its POS flag the add's
 * (tinygen.kernels.specialize, pos_of "add_"); the 4-pixel blocks where tg_rows4_on holds and the add
 * takes its fast arithmetic, else every output alone.
 */
static inline __attribute__((always_inline)) void tg_conv2d_add_rows4_s8_dsp_layer(
    const tg_conv2d_add_params_t *p, int32_t bounded, const int8_t *input, const int8_t *skip,
    const int16_t *packed, const int32_t *bias, const int32_t *multiplier, const int8_t *shift, int8_t *scratch,
    int8_t *output, int32_t pair)
{
    const tg_conv2d_params_t cp = tg_rows4_conv_of(p);
    const tg_mat_mult_quant_t q = {p->input_offset, p->output_offset, p->act_min, p->act_max, bounded};
    if (tg_rows4_on(&q, p->out_h * p->out_w, p->kernel_h * p->kernel_w * p->in_c, p->out_c) &&
        tg_conv_add_fast_add(p)) {
        tg_conv2d_rows4_w16_s8_dsp_blocks(&cp, &q, input, packed, bias, multiplier, shift, scratch, output, p, skip,
                                          TG_CONV_ADD_BOUNDED | TG_REQUANT_POS_OF(bounded), pair);
    } else {
        tg_conv2d_add_rows4_w16_s8_dsp_each(p, input, skip, packed, bias, multiplier, shift, scratch, output, pair);
    }
}

static inline __attribute__((always_inline)) void tg_conv2d_add_rows4_w16_s8_dsp_inline(
    const tg_conv2d_add_params_t *p, int32_t bounded, const int8_t *input, const int8_t *skip,
    const int16_t *packed, const int32_t *bias, const int32_t *multiplier, const int8_t *shift, int8_t *scratch,
    int8_t *output)
{
    tg_conv2d_add_rows4_s8_dsp_layer(p, bounded, input, skip, packed, bias, multiplier, shift, scratch, output, 0);
}

static inline __attribute__((always_inline)) void tg_conv2d_add_rows4_pair_s8_dsp_inline(
    const tg_conv2d_add_params_t *p, int32_t bounded, const int8_t *input, const int8_t *skip,
    const int16_t *packed, const int32_t *bias, const int32_t *multiplier, const int8_t *shift, int8_t *scratch,
    int8_t *output)
{
    tg_conv2d_add_rows4_s8_dsp_layer(p, bounded, input, skip, packed, bias, multiplier, shift, scratch, output, 1);
}

#endif /* TG_CONV2D_ROWS4_W16_S8_DSP_H */
