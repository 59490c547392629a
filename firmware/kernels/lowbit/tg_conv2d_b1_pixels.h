/*
 * The output-pixel loops of the optimized XNOR / popcount kernels with the DSP span path
 * (tg_conv2d_b1_b1_{s8,b1}_dsp on the Cortex-M4/M7, _mve on the Cortex-M55): per pixel,
 * the field path when it serves it (tg_conv2d_b1_field.h: one run per channel, counted by
 * the caller's `counts` function, a group of channels per call), else the span path of
 * tg_conv2d_b1_dsp.h, two channels per pass. Only the field count differs between the
 * ISAs; `counts` is a constant where these always-inline functions are used, so the call
 * is direct (and inlined) in each kernel.
 */
#ifndef TG_CONV2D_B1_PIXELS_H
#define TG_CONV2D_B1_PIXELS_H

#include <stddef.h>
#include <stdint.h>

#include "tg_conv2d_b1.h"
#include "tg_conv2d_b1_dsp.h"
#include "tg_kernels_b1.h"
#include "tg_lowbit_bias_shift.h"
#include "tg_requant.h"

/* counts[j] = popcount(field ^ channel j's run of weights), j < n_oc (tg_b1_field_counts). */
typedef void (*tg_b1_counts_fn)(const uint32_t *field, const uint32_t *w, int32_t run, int32_t n_oc,
                                int32_t *counts);

/* tg_conv2d_b1_b1_s8 with the field counted by `counts`: int8 outputs, TFLite requantization. */
static inline __attribute__((always_inline)) void tg_conv2d_b1_b1_s8_pixels(
    const tg_conv2d_b1_params_t *p, const uint32_t *input, const uint32_t *weights, const int32_t *bias,
    const int32_t *multiplier, const int8_t *shift, int8_t *output, tg_b1_counts_fn counts_fn)
{
    const int fit = tg_b1_spans_fit(p), field_fits = tg_b1_field_fits(p);
    const int32_t run = p->kernel_h * p->kernel_w * TG_B1_WORDS(p->in_c), n = p->kernel_h * p->kernel_w * p->in_c;
    const int32_t k = p->bias_shift;
    uint32_t field[TG_B1_FIELD_WORDS];
    int32_t counts[TG_B1_COUNT_GROUP];
    tg_b1_spans_t spans;
    int32_t out_y, out_x, oc;

    for (out_y = 0; out_y < p->out_h; ++out_y) {
        for (out_x = 0; out_x < p->out_w; ++out_x) {
            if (field_fits && tg_b1_field(p, input, out_y, out_x, field)) {   /* one run per channel */
                for (oc = 0; oc < p->out_c; oc += TG_B1_COUNT_GROUP) {
                    const int32_t n_oc = p->out_c - oc < TG_B1_COUNT_GROUP ? p->out_c - oc : TG_B1_COUNT_GROUP;
                    int32_t j;
                    counts_fn(field, &weights[oc * run], run, n_oc, counts);
                    for (j = 0; j < n_oc; ++j) {
                        *output++ = tg_requant_channel_s8(tg_lowbit_bias_shift(n - 2 * counts[j], k), bias,
                                                          multiplier, shift, oc + j,
                                                          p->output_offset, p->act_min, p->act_max);
                    }
                }
                continue;
            }
            if (fit) {
                tg_b1_spans(p, out_y, out_x, &spans);
            }
            for (oc = 0; oc + 2 <= p->out_c; oc += 2) {     /* two channels per pass over the input */
                int32_t acc[2];
                tg_conv2d_b1_b1_dsp_acc2(p, &spans, fit, input, weights, out_y, out_x, oc, acc);
                *output++ = tg_requant_channel_s8(tg_lowbit_bias_shift(acc[0], k), bias, multiplier, shift, oc,
                                                  p->output_offset, p->act_min, p->act_max);
                *output++ = tg_requant_channel_s8(tg_lowbit_bias_shift(acc[1], k), bias, multiplier, shift, oc + 1,
                                                  p->output_offset, p->act_min, p->act_max);
            }
            if (oc < p->out_c) {
                const int32_t acc = tg_conv2d_b1_b1_dsp_acc(p, &spans, fit, input, weights, out_y, out_x, oc);
                *output++ = tg_requant_channel_s8(tg_lowbit_bias_shift(acc, k), bias, multiplier, shift, oc,
                                                  p->output_offset, p->act_min, p->act_max);
            }
        }
    }
}

/* tg_conv2d_b1_b1_b1 with the field counted by `counts`: one threshold compare per channel
   into the packed output word. */
static inline __attribute__((always_inline)) void tg_conv2d_b1_b1_b1_pixels(
    const tg_conv2d_b1_params_t *p, const uint32_t *input, const uint32_t *weights, const int32_t *thresholds,
    uint32_t *output, tg_b1_counts_fn counts_fn)
{
    const int fit = tg_b1_spans_fit(p), field_fits = tg_b1_field_fits(p);
    const int32_t run = p->kernel_h * p->kernel_w * TG_B1_WORDS(p->in_c), n = p->kernel_h * p->kernel_w * p->in_c;
    uint32_t field[TG_B1_FIELD_WORDS];
    int32_t counts[TG_B1_COUNT_GROUP];
    tg_b1_spans_t spans;
    int32_t out_y, out_x, oc;

    for (out_y = 0; out_y < p->out_h; ++out_y) {
        for (out_x = 0; out_x < p->out_w; ++out_x) {
            uint32_t word = 0u;
            if (field_fits && tg_b1_field(p, input, out_y, out_x, field)) {   /* one run per channel */
                for (oc = 0; oc < p->out_c; oc += TG_B1_COUNT_GROUP) {    /* one output word per group */
                    const int32_t n_oc = p->out_c - oc < TG_B1_COUNT_GROUP ? p->out_c - oc : TG_B1_COUNT_GROUP;
                    int32_t j;
                    counts_fn(field, &weights[oc * run], run, n_oc, counts);
                    for (j = 0; j < n_oc; ++j) {    /* acc < T  <=>  n - 2 count < T */
                        word |= (uint32_t)(n - 2 * counts[j] < thresholds[oc + j]) << j;
                    }
                    *output++ = word;
                    word = 0u;
                }
                continue;
            }
            if (fit) {
                tg_b1_spans(p, out_y, out_x, &spans);
            }
            for (oc = 0; oc + 2 <= p->out_c; oc += 2) {     /* two channels per pass over the input */
                int32_t acc[2];
                tg_conv2d_b1_b1_dsp_acc2(p, &spans, fit, input, weights, out_y, out_x, oc, acc);
                tg_put_threshold_bit(&output, &word, acc[0], thresholds[oc], oc, p->out_c);
                tg_put_threshold_bit(&output, &word, acc[1], thresholds[oc + 1], oc + 1, p->out_c);
            }
            if (oc < p->out_c) {
                tg_put_threshold_bit(&output, &word,
                                     tg_conv2d_b1_b1_dsp_acc(p, &spans, fit, input, weights, out_y, out_x, oc),
                                     thresholds[oc], oc, p->out_c);
            }
        }
    }
}

#endif /* TG_CONV2D_B1_PIXELS_H */
