/*
 * The body of tg_depthwise_conv2d_s8_rv32 (RV32IM, ESP32-C3), shared with its per-layer
 * specialization (tinygen.kernels.specialize): depthwise 2-D convolution with depth
 * multiplier 1, any kernel size, stride, dilation and padding.
 *
 * Per output pixel group (up to 4 adjacent pixels of a row whose windows lie inside the
 * input, or one pixel whose window meets the padding) and channel: the channel's taps
 * loaded once (LB) and used for every pixel of the group, the input values loaded with
 * constant offsets (adjacent pixels' shared columns loaded once where the compiler sees
 * them equal), one MUL and one ADD per MAC, then the requantization of each output.
 *
 * Packed constant (tinygen.kernels.rv32.depthwise_rv32_records, int32 words): per channel
 * its bias with the input offset folded in (bias + input_offset * sum of its weights),
 * then its kernel_h * kernel_w weights as int8 in tap order (zero bytes completing the
 * last word). Interior groups sum raw input * weight onto the folded bias; clipped
 * pixels add the input offset to each in-bounds value and start from the plain bias:
 * both give tg_depthwise_conv2d_s8's sum exactly, then tg_requantize's result
 * (tg_requantize_bounded where the build proved its preconditions).
 *
 * Loop order: output rows, pixel groups in raster order, within a group the channels in
 * increasing order. The output must not overlap the input.
 */
#ifndef TG_DEPTHWISE_CONV2D_S8_RV32_H
#define TG_DEPTHWISE_CONV2D_S8_RV32_H

#include <stddef.h>
#include <stdint.h>

#include "tg_conv2d_s8_rv32.h"
#include "tg_kernels.h"
#include "tg_requant.h"

/* The outputs of npix pixels starting at (oy, ox), every channel (interior: all taps in bounds). */
TG_RV32_INLINE void tg_rv32_dw_group(const tg_rv32_conv_t *g, int32_t interior, int32_t npix, int32_t oy, int32_t ox,
                                     const int8_t *input, const int32_t *records, const int32_t *bias,
                                     const int32_t *multiplier, const int32_t *shift, int32_t bounded, int8_t *output)
{
    const int32_t channels = g->out_c;
    const int32_t words = (g->kernel_h * g->kernel_w + 3) / 4;
    const int32_t step = g->stride_w * channels;
    const int32_t iy = tg_rv32_mad(oy, g->stride_h, -g->pad_top), ix = tg_rv32_mad(ox, g->stride_w, -g->pad_left);
    const int32_t ky0 = interior ? 0 : tg_rv32_tap_lo(iy, g->dilation_h);
    const int32_t ky1 = interior ? g->kernel_h : tg_rv32_tap_hi(iy, g->dilation_h, g->kernel_h, g->in_h);
    const int32_t kx0 = interior ? 0 : tg_rv32_tap_lo(ix, g->dilation_w);
    const int32_t kx1 = interior ? g->kernel_w : tg_rv32_tap_hi(ix, g->dilation_w, g->kernel_w, g->in_w);
    const int32_t offset = interior ? 0 : g->input_offset;
    const int32_t origin = tg_rv32_mad(tg_rv32_mad(iy, g->in_w, ix), channels, 0);   /* top-left tap (maybe padding) */
    int8_t *out = output + (uint32_t)tg_rv32_mad(tg_rv32_mad(oy, g->out_w, ox), channels, 0);
    int32_t c, ky, kx, j;
    for (c = 0; c < channels; ++c) {
        const int32_t *rec = records + c * (1 + words);
        const int8_t *w = (const int8_t *)(rec + 1);
        int32_t acc[TG_RV32_PIXELS];
#pragma GCC unroll 4
        for (j = 0; j < npix; ++j) {
            acc[j] = interior ? rec[0] : (bias != NULL ? bias[c] : 0);
        }
#pragma GCC unroll 8
        for (ky = ky0; ky < ky1; ++ky) {
            const int32_t row = origin + c + ky * g->dilation_h * g->in_w * channels;
#pragma GCC unroll 8
            for (kx = kx0; kx < kx1; ++kx) {
                const int32_t wv = w[ky * g->kernel_w + kx];
                const int8_t *x = input + (row + kx * g->dilation_w * channels);
#pragma GCC unroll 4
                for (j = 0; j < npix; ++j) {
                    acc[j] += ((int32_t)x[j * step] + offset) * wv;
                }
            }
        }
        const tg_rv32_requant_t q = tg_rv32_requant_of(multiplier[c], shift[c], bounded);
        int8_t y[TG_RV32_PIXELS];
#pragma GCC unroll 4
        for (j = 0; j < npix; ++j) {
            y[j] = tg_rv32_out(g, acc[j], &q, bounded, NULL, 0);
        }
#pragma GCC unroll 4
        for (j = 0; j < npix; ++j) {
            out[j * channels + c] = y[j];
        }
    }
}

#define TG_RV32_DW_ROW 8     /* output rows at most this wide are computed a whole row per channel */

/*
 * One output row of a narrow layer (out_w <= TG_RV32_DW_ROW, a constant), every channel: per
 * channel the whole row at once, each pixel's in-bounds columns known at build time, the
 * offset added to each in-bounds value (loaded once for the pixels that share it) and the
 * plain bias; tap rows [ky0, ky1) (constants for the rows whose windows lie inside the input).
 */
TG_RV32_INLINE void tg_rv32_dw_row(const tg_rv32_conv_t *g, int32_t oy, int32_t ky0, int32_t ky1,
                                   const int8_t *input, const int32_t *records, const int32_t *bias,
                                   const int32_t *multiplier, const int32_t *shift, int32_t bounded, int8_t *output)
{
    const int32_t channels = g->out_c;
    const int32_t words = (g->kernel_h * g->kernel_w + 3) / 4;
    const int32_t iy = tg_rv32_mad(oy, g->stride_h, -g->pad_top);
    int8_t *out = output + (uint32_t)tg_rv32_mad(oy, g->out_w * channels, 0);
    int32_t c, ky, kx, j;
    for (c = 0; c < channels; ++c) {
        const int8_t *w = (const int8_t *)(records + c * (1 + words) + 1);
        const int32_t b = bias != NULL ? bias[c] : 0;
        int32_t acc[TG_RV32_DW_ROW];
#pragma GCC unroll 8
        for (j = 0; j < TG_RV32_DW_ROW; ++j) {     /* all of them: GCC cannot tell out_w <= TG_RV32_DW_ROW */
            acc[j] = b;
        }
#pragma GCC unroll 8
        for (ky = ky0; ky < ky1; ++ky) {
            const int32_t in_row = tg_rv32_mad(iy + ky * g->dilation_h, g->in_w, 0);
            const int8_t *x = input + (uint32_t)tg_rv32_mad(in_row, channels, c);
#pragma GCC unroll 8
            for (kx = 0; kx < g->kernel_w; ++kx) {
                const int32_t wv = w[ky * g->kernel_w + kx];
#pragma GCC unroll 8
                for (j = 0; j < g->out_w; ++j) {
                    const int32_t ix = j * g->stride_w - g->pad_left + kx * g->dilation_w;
                    if (ix >= 0 && ix < g->in_w) {
                        acc[j] += ((int32_t)x[ix * channels] + g->input_offset) * wv;
                    }
                }
            }
        }
        {
            const tg_rv32_requant_t q = tg_rv32_requant_of(multiplier[c], shift[c], bounded);
#pragma GCC unroll 8
            for (j = 0; j < g->out_w; ++j) {
                out[j * channels + c] = tg_rv32_out(g, acc[j], &q, bounded, NULL, 0);
            }
        }
    }
}

/* Every output: interior groups of TG_RV32_PIXELS, then single interior pixels, clipped pixels alone. */
TG_RV32_INLINE void tg_rv32_dw_all(const tg_rv32_conv_t *g, const int8_t *input, const int32_t *records,
                                   const int32_t *bias, const int32_t *multiplier, const int32_t *shift,
                                   int32_t bounded, int8_t *output)
{
    const int32_t span_h = (g->kernel_h - 1) * g->dilation_h, span_w = (g->kernel_w - 1) * g->dilation_w;
    const int32_t y_lo = (g->pad_top + g->stride_h - 1) / g->stride_h;
    const int32_t y_end = g->in_h - span_h + g->pad_top;
    const int32_t y_hi = y_end <= 0 ? 0 : (y_end + g->stride_h - 1) / g->stride_h;
    const int32_t x_lo = (g->pad_left + g->stride_w - 1) / g->stride_w;
    const int32_t x_end = g->in_w - span_w + g->pad_left;
    const int32_t x_hi0 = x_end <= 0 ? 0 : (x_end + g->stride_w - 1) / g->stride_w;
    const int32_t x_hi = x_hi0 < g->out_w ? x_hi0 : g->out_w;
    int32_t oy, ox;
    if (g->out_w <= TG_RV32_DW_ROW) {
        for (oy = 0; oy < g->out_h; ++oy) {
            const int32_t iy = tg_rv32_mad(oy, g->stride_h, -g->pad_top);
            if (oy >= y_lo && oy < y_hi) {
                tg_rv32_dw_row(g, oy, 0, g->kernel_h, input, records, bias, multiplier, shift, bounded, output);
            } else {
                tg_rv32_dw_row(g, oy, tg_rv32_tap_lo(iy, g->dilation_h),
                               tg_rv32_tap_hi(iy, g->dilation_h, g->kernel_h, g->in_h), input, records, bias,
                               multiplier, shift, bounded, output);
            }
        }
        return;
    }
    for (oy = 0; oy < g->out_h; ++oy) {
        const int32_t row_in = oy >= y_lo && oy < y_hi && x_lo < x_hi;
        const int32_t a = row_in ? x_lo : g->out_w, b = row_in ? x_hi : g->out_w;
        for (ox = 0; ox < a; ++ox) {
            tg_rv32_dw_group(g, 0, 1, oy, ox, input, records, bias, multiplier, shift, bounded, output);
        }
        const int32_t groups_end = a + (b - a) / TG_RV32_PIXELS * TG_RV32_PIXELS;
        for (ox = a; ox < groups_end; ox += TG_RV32_PIXELS) {
            tg_rv32_dw_group(g, 1, TG_RV32_PIXELS, oy, ox, input, records, bias, multiplier, shift, bounded, output);
        }
        for (ox = groups_end; ox < b; ++ox) {
            tg_rv32_dw_group(g, 1, 1, oy, ox, input, records, bias, multiplier, shift, bounded, output);
        }
        for (ox = b; ox < g->out_w; ++ox) {
            tg_rv32_dw_group(g, 0, 1, oy, ox, input, records, bias, multiplier, shift, bounded, output);
        }
    }
}

/* The per-layer specialization: p the layer's static const parameters, bounded
   tg_requantize_bounded's verdict computed at build time (tinygen.kernels.specialize). */
TG_RV32_INLINE void tg_depthwise_conv2d_s8_rv32_inline(const tg_conv2d_params_t *p, int32_t bounded,
                                                       const int8_t *input, const int32_t *records,
                                                       const int32_t *bias, const int32_t *multiplier,
                                                       const int32_t *shift, int8_t *output)
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
