/*
 * tg_depthwise_conv2d_gated_s8_dsp: gated depthwise convolution (depth multiplier 1) for
 * ARMv7E-M (see tg_kernels_gating.h). A depthwise channel reads only its own input channel,
 * so the kept channels form a smaller depthwise layer: their input channels, weights,
 * requantization and 3x3 records (packed, tg_depthwise_conv2d_s8_dsp's constant for every
 * channel: word 0 the channel count when its 3x3 path serves, then TG_DW3_RECORD_WORDS words
 * per channel) are gathered into scratch once per call (not when every channel is kept),
 * tg_depthwise_conv2d_s8_dsp runs on
 * them, and each kept result is scaled by its gate value into the output (the dropped
 * channels get the product with 0). The gathering costs about one byte copy per kept input
 * value; the convolution, the bulk of the work, scales with the channels kept.
 * numpy twin: tinygen.gating.ref.depthwise_conv2d_gated_s8.
 *
 * Scratch, 4-byte aligned, C = in_c rounded up to 4: the kept channels' int16 indices (2C),
 * the compact input (in_h * in_w * C), weights (kernel_h * kernel_w * C), bias, multiplier
 * and shift (12C), records (4 + 32C), the compact result (out_h * out_w * C, rounded up to
 * 4), then tg_depthwise_conv2d_s8_dsp's own scratch for all the channels.
 * Needs __ARM_FEATURE_DSP (-mcpu=cortex-m4 / cortex-m7).
 */
#include <stddef.h>
#include <string.h>

#include "tg_conv2d_gated.h"
#include "tg_mat_mult_s8_dsp.h"

/* words per channel in tg_depthwise_conv2d_s8_dsp's 3x3 records (TG_DW3_RECORD_WORDS in
 * tg_depthwise_conv2d_3x3_s8_dsp.h, whose static functions this file does not take in;
 * tinygen.kernels.depthwise_dsp.RECORD_WORDS) */
#define TG_DW_GATED_RECORD_WORDS 8

/* dst[px][j] = src[px][kept[j]] for every pixel: the kept channels, compact. */
static void tg_dw_gated_gather(const int8_t *src, int32_t pixels, int32_t channels, const int16_t *kept, int32_t n,
                               int8_t *dst)
{
    int32_t px, j;
    for (px = 0; px < pixels; ++px, src += channels) {
        for (j = 0; j < n; ++j) {
            *dst++ = src[kept[j]];
        }
    }
}

/*
 * output[px][kept[j]] = the compact result y[px][j] times its gate value g[j] (plus the
 * gate's offset), the dropped channels the product with 0. bounded (a constant after
 * inlining): the preconditions of tg_requantize_bounded hold; full_range: the clamp is
 * [-128, 127] (one SSAT).
 */
static inline __attribute__((always_inline)) void tg_dw_gated_scale(
    const tg_conv2d_gated_params_t *p, const int8_t *y, const int16_t *kept, const int32_t *g, int32_t n,
    int32_t pixels, int8_t dropped, int32_t bounded, int32_t full_range, int8_t *output)
{
    const int32_t zero = p->output_offset, mult = p->gate_multiplier, sh = p->gate_shift;
    const int32_t off = p->gate_output_offset, lo = p->gate_act_min, hi = p->gate_act_max;
    const int32_t channels = p->out_c;
    int32_t px, j;
    for (px = 0; px < pixels; ++px, output += channels) {
        memset(output, (uint8_t)dropped, (size_t)channels);
        for (j = 0; j < n; ++j) {
            const int32_t product = (*y++ - zero) * g[j];
            int32_t v;
            if (bounded) {
                v = tg_requantize_bounded(product, mult, sh) + off;
            } else {
                v = tg_requantize_fast(product, mult, sh) + off;
            }
            if (full_range) {
                v = tg_ssat8(v);
            } else {
                v = v < lo ? lo : v;
                v = v > hi ? hi : v;
            }
            output[kept[j]] = (int8_t)v;
        }
    }
}

void tg_depthwise_conv2d_gated_s8_dsp(const tg_conv2d_gated_params_t *p, const int8_t *input, const int8_t *gate,
                                      const int8_t *weights, const int32_t *bias, const int32_t *multiplier,
                                      const int32_t *shift, const int32_t *packed, int8_t *scratch,
                                      int8_t *output)
{
    const int32_t channels = p->out_c, c4 = (channels + 3) & ~3;
    const int32_t in_px = p->in_h * p->in_w, out_px = p->out_h * p->out_w, taps = p->kernel_h * p->kernel_w;
    const int32_t gate_zero = -p->gate_input_offset;
    const int32_t records = packed[0] == channels;
    int16_t *const kept = (int16_t *)(void *)scratch;
    int8_t *const xk = scratch + 2 * c4;
    int8_t *const wk = xk + ((in_px * c4 + 3) & ~3);
    int32_t *const bk = (int32_t *)(void *)(wk + taps * c4);
    int32_t *const mk = bk + c4;
    int32_t *const sk = mk + c4;
    int32_t *const pk = sk + c4;
    int8_t *const yk = (int8_t *)(void *)(pk + 1 + TG_DW_GATED_RECORD_WORDS * c4);
    int8_t *const inner = yk + ((out_px * c4 + 3) & ~3);
    const int8_t dropped = tg_conv2d_gated_dropped(p);
    int32_t n = 0, c, j;

    for (c = 0; c < channels; ++c) {
        if (gate[c] != gate_zero) {
            kept[n++] = (int16_t)c;
        }
    }
    if (n == channels) {        /* every channel kept: the layer's own input and constants */
        const tg_conv2d_params_t conv = tg_conv2d_gated_conv(p);
        tg_depthwise_conv2d_s8_dsp(&conv, input, weights, bias, multiplier, shift, packed, inner, yk);
    } else if (n > 0) {
        tg_conv2d_params_t conv = tg_conv2d_gated_conv(p);
        conv.in_c = conv.out_c = n;
        tg_dw_gated_gather(input, in_px, channels, kept, n, xk);
        pk[0] = records ? n : 0;
        if (records) {      /* the 3x3 path reads its records alone */
            for (j = 0; j < n; ++j) {
                memcpy(&pk[1 + TG_DW_GATED_RECORD_WORDS * j], &packed[1 + TG_DW_GATED_RECORD_WORDS * kept[j]],
                       sizeof(int32_t) * TG_DW_GATED_RECORD_WORDS);
            }
        } else {
            tg_dw_gated_gather(weights, taps, channels, kept, n, wk);
            for (j = 0; j < n; ++j) {
                bk[j] = bias != NULL ? bias[kept[j]] : 0;
                mk[j] = multiplier[kept[j]];
                sk[j] = shift[kept[j]];
            }
        }
        tg_depthwise_conv2d_s8_dsp(&conv, xk, wk, bk, mk, sk, pk, inner, yk);
    }
    /* the gate values plus their offset, in bk (the convolution is done with it) */
    for (j = 0; j < n; ++j) {
        bk[j] = gate[kept[j]] + p->gate_input_offset;
    }
    if (p->gate_multiplier >= (1 << 30) && p->gate_shift < 0 && p->gate_shift >= -31) {
        /* |(y - zero) * g| <= 255 * 255 < 2^30: tg_requantize_bounded's preconditions hold */
        if (p->gate_act_min == -128 && p->gate_act_max == 127) {
            tg_dw_gated_scale(p, yk, kept, bk, n, out_px, dropped, 1, 1, output);
        } else {
            tg_dw_gated_scale(p, yk, kept, bk, n, out_px, dropped, 1, 0, output);
        }
    } else {
        tg_dw_gated_scale(p, yk, kept, bk, n, out_px, dropped, 0, 0, output);
    }
}
