/*
 * The body of tg_depthwise_conv2d_s8_rv32 (RV32IM, ESP32-C3), shared with its per-layer
 * specialization (tinygen.kernels.specialize): depthwise 2-D convolution with depth
 * multiplier 1, any kernel size, stride, dilation and padding.
 *
 * Per segment of an output row (up to 8 adjacent pixels: the columns left of the interior,
 * the interior ones by 8, the columns right of it; a row at most 8 wide at once) and
 * channel: the channel's taps loaded once (LB) and used for every pixel of the segment,
 * the input values loaded with constant offsets (the columns adjacent pixels share loaded
 * once), one MUL and one ADD per MAC, then the requantization of each output.
 *
 * Packed constant (tinygen.kernels.rv32.depthwise_rv32_records, int32 words): per channel
 * its bias with the input offset folded in (bias + input_offset * sum of its weights),
 * then its kernel_h * kernel_w weights as int8 in tap order (zero bytes completing the
 * last word). Interior segments of rows whose windows lie inside the input sum raw input *
 * weight onto the folded bias; the others add the input offset to each in-bounds value
 * and start from the plain bias:
 * both give tg_depthwise_conv2d_s8's sum exactly, then tg_requantize's result
 * (tg_requantize_bounded where the build proved its preconditions).
 *
 * Loop order: output rows, segments in raster order, within a segment the channels in
 * increasing order (tinygen/passes/inplace.py: the output may overlap the input at the
 * distance that order allows).
 */
#ifndef TG_DEPTHWISE_CONV2D_S8_RV32_H
#define TG_DEPTHWISE_CONV2D_S8_RV32_H

#include <stddef.h>
#include <stdint.h>

#include "tg_conv2d_s8_rv32.h"
#include "tg_kernels.h"
#include "tg_requant.h"

#define TG_RV32_DW_SEGMENT 8     /* output pixels of a row computed together, per channel */

/*
 * The outputs of npix (<= TG_RV32_DW_SEGMENT) adjacent pixels of output row oy from column
 * x0, every channel: per channel its taps loaded once, then every pixel of the segment, the
 * input values loaded once for the pixels that share them. clip == 0 (a constant): every
 * pixel's window columns lie inside the input; clip == 1: x0 is a constant too, each pixel's
 * in-bounds columns are known at build time. folded (a constant, only where every tap is
 * in bounds): raw input * weight onto the folded bias, else the offset added to each value
 * onto the plain bias. Tap rows [ky0, ky1) (constants for the rows whose windows lie inside
 * the input).
 */
TG_RV32_INLINE void tg_rv32_dw_segment(const tg_rv32_conv_t *g, int32_t oy, int32_t ky0, int32_t ky1, int32_t x0,
                                       int32_t npix, int32_t clip, int32_t folded, const int8_t *input,
                                       const int32_t *records, const int32_t *bias, const int32_t *multiplier,
                                       const int8_t *shift, int32_t bounded, int8_t *output)
{
    const int32_t channels = g->out_c;
    const int32_t words = (g->kernel_h * g->kernel_w + 3) / 4;
    const int32_t iy = tg_rv32_mad(oy, g->stride_h, -g->pad_top);
    const int32_t ix0 = tg_rv32_mad(x0, g->stride_w, -g->pad_left);     /* first pixel's first column */
    const int32_t offset = folded ? 0 : g->input_offset;
    int8_t *out = output + (uint32_t)tg_rv32_mad(tg_rv32_mad(oy, g->out_w, x0), channels, 0);
    int32_t c, ky, kx, j;
    for (c = 0; c < channels; ++c) {
        const int32_t *rec = records + c * (1 + words);
        const int8_t *w = (const int8_t *)(rec + 1);
        const int32_t b = folded ? rec[0] : (bias != NULL ? bias[c] : 0);
        int32_t acc[TG_RV32_DW_SEGMENT];
#pragma GCC unroll 8
        for (j = 0; j < TG_RV32_DW_SEGMENT; ++j) {     /* all of them: GCC cannot tell npix <= 8 */
            acc[j] = b;
        }
#pragma GCC unroll 8
        for (ky = ky0; ky < ky1; ++ky) {
            /* the index of column ix0 (maybe in the padding, even negative: only in-bounds columns are read) */
            const int32_t base = tg_rv32_mad(tg_rv32_mad(iy + ky * g->dilation_h, g->in_w, ix0), channels, c);
#pragma GCC unroll 8
            for (kx = 0; kx < g->kernel_w; ++kx) {
                const int32_t wv = w[ky * g->kernel_w + kx];
#pragma GCC unroll 8
                for (j = 0; j < npix; ++j) {
                    const int32_t col = j * g->stride_w + kx * g->dilation_w;     /* from ix0 */
                    if (!clip || (ix0 + col >= 0 && ix0 + col < g->in_w)) {
                        acc[j] += ((int32_t)input[base + col * channels] + offset) * wv;
                    }
                }
            }
        }
        {
            const tg_rv32_requant_t q = tg_rv32_requant_of(multiplier[c], shift[c], bounded);
#pragma GCC unroll 8
            for (j = 0; j < npix; ++j) {
                out[j * channels + c] = tg_rv32_out(g, acc[j], &q, bounded, NULL, 0);
            }
        }
    }
}

/* One output row: its columns left of the interior and right of it as clipped segments, the
   interior by TG_RV32_DW_SEGMENT pixels then the rest (a row at most that wide: one clipped segment). */
TG_RV32_INLINE void tg_rv32_dw_row(const tg_rv32_conv_t *g, int32_t oy, int32_t ky0, int32_t ky1, int32_t rows_in,
                                   int32_t x_lo, int32_t x_hi, const int8_t *input, const int32_t *records,
                                   const int32_t *bias, const int32_t *multiplier, const int8_t *shift, int32_t bounded,
                                   int8_t *output)
{
    int32_t ox;
    if (g->out_w <= TG_RV32_DW_SEGMENT || x_lo >= x_hi) {
        if (g->out_w <= TG_RV32_DW_SEGMENT) {
            tg_rv32_dw_segment(g, oy, ky0, ky1, 0, g->out_w, 1, 0, input, records, bias, multiplier, shift, bounded,
                               output);
            return;
        }
        for (ox = 0; ox < g->out_w; ++ox) {       /* no interior column: each pixel clipped alone */
            tg_rv32_dw_segment(g, oy, ky0, ky1, ox, 1, 1, 0, input, records, bias, multiplier, shift, bounded, output);
        }
        return;
    }
    {
        const int32_t full = x_lo + (x_hi - x_lo) / TG_RV32_DW_SEGMENT * TG_RV32_DW_SEGMENT;
        if (x_lo > 0) {
            tg_rv32_dw_segment(g, oy, ky0, ky1, 0, x_lo, 1, 0, input, records, bias, multiplier, shift, bounded,
                               output);
        }
        for (ox = x_lo; ox < full; ox += TG_RV32_DW_SEGMENT) {
            tg_rv32_dw_segment(g, oy, ky0, ky1, ox, TG_RV32_DW_SEGMENT, 0, rows_in, input, records, bias,
                               multiplier, shift, bounded, output);
        }
        if (full < x_hi) {
            tg_rv32_dw_segment(g, oy, ky0, ky1, full, x_hi - full, 0, rows_in, input, records, bias, multiplier,
                               shift, bounded, output);
        }
        if (x_hi < g->out_w) {
            tg_rv32_dw_segment(g, oy, ky0, ky1, x_hi, g->out_w - x_hi, 1, 0, input, records, bias, multiplier, shift,
                               bounded, output);
        }
    }
}

/* Every output, row by row (the tap rows constant for the rows whose windows lie inside the input). */
TG_RV32_INLINE void tg_rv32_dw_all(const tg_rv32_conv_t *g, const int8_t *input, const int32_t *records,
                                   const int32_t *bias, const int32_t *multiplier, const int8_t *shift,
                                   int32_t bounded, int8_t *output)
{
    const int32_t span_h = (g->kernel_h - 1) * g->dilation_h, span_w = (g->kernel_w - 1) * g->dilation_w;
    const int32_t y_lo = (g->pad_top + g->stride_h - 1) / g->stride_h;
    const int32_t y_end = g->in_h - span_h + g->pad_top;
    const int32_t y_hi = y_end <= 0 ? 0 : (y_end + g->stride_h - 1) / g->stride_h;
    const int32_t x_lo0 = (g->pad_left + g->stride_w - 1) / g->stride_w;
    const int32_t x_end = g->in_w - span_w + g->pad_left;
    const int32_t x_hi0 = x_end <= 0 ? 0 : (x_end + g->stride_w - 1) / g->stride_w;
    const int32_t x_hi = x_hi0 < g->out_w ? x_hi0 : g->out_w;
    const int32_t x_lo = x_lo0 < x_hi ? x_lo0 : x_hi;
    int32_t oy;
    for (oy = 0; oy < g->out_h; ++oy) {
        const int32_t iy = tg_rv32_mad(oy, g->stride_h, -g->pad_top);
        if (oy >= y_lo && oy < y_hi) {
            tg_rv32_dw_row(g, oy, 0, g->kernel_h, 1, x_lo, x_hi, input, records, bias, multiplier, shift, bounded,
                           output);
        } else {
            tg_rv32_dw_row(g, oy, tg_rv32_tap_lo(iy, g->dilation_h),
                           tg_rv32_tap_hi(iy, g->dilation_h, g->kernel_h, g->in_h), 0, x_lo, x_hi, input, records, bias,
                           multiplier, shift, bounded, output);
        }
    }
}

/* The per-layer specialization: p the layer's static const parameters, bounded
   tg_requantize_bounded's verdict computed at build time (tinygen.kernels.specialize). */
TG_RV32_INLINE void tg_depthwise_conv2d_s8_rv32_inline(const tg_conv2d_params_t *p, int32_t bounded,
                                                       const int8_t *input, const int32_t *records,
                                                       const int32_t *bias, const int32_t *multiplier,
                                                       const int8_t *shift, int8_t *output)
{
    /* not flattened: a depthwise window is per pixel even when 1 x 1 */
    const tg_rv32_conv_t g = {p->in_h,       p->in_w,       p->in_c,        p->out_h,         p->out_w,
                              p->out_c,      p->kernel_h,   p->kernel_w,    p->stride_h,      p->stride_w,
                              p->dilation_h, p->dilation_w, p->pad_top,     p->pad_left,      p->input_offset,
                              p->output_offset, p->act_min, p->act_max};
    if (bounded) {
        tg_rv32_dw_all(&g, input, records, bias, multiplier, shift, 1, output);
    } else {
        tg_rv32_dw_all(&g, input, records, bias, multiplier, shift, 0, output);
    }
}

#endif /* TG_DEPTHWISE_CONV2D_S8_RV32_H */
