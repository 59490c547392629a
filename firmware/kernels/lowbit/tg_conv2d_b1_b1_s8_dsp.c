/*
 * tg_conv2d_b1_b1_s8_dsp: tg_conv2d_b1_b1_s8 for ARMv7E-M (Cortex-M4/M7, DSP extension):
 * the XNOR / popcount accumulator of tg_conv2d_b1_dsp.h (Harley-Seal, USADA8), then
 * TFLite requantization. Same arguments and bytes as the portable kernel; numpy twin:
 * tinygen.ref.binary.conv2d_b1_b1_s8.
 */
#include <stddef.h>

#include "tg_conv2d_b1_dsp.h"
#include "tg_kernels_b1.h"
#include "tg_requant.h"

/* The int8 output of channel oc for accumulator acc. */
static inline int8_t tg_b1_s8_out(const tg_conv2d_b1_params_t *p, int32_t acc, const int32_t *bias,
                                  const int32_t *multiplier, const int8_t *shift, int32_t oc)
{
    return tg_requant_channel_s8(acc, bias, multiplier, shift, oc, p->output_offset, p->act_min, p->act_max);
}

void tg_conv2d_b1_b1_s8_dsp(const tg_conv2d_b1_params_t *p, const uint32_t *input,
                            const uint32_t *weights, const int32_t *bias,
                            const int32_t *multiplier, const int8_t *shift, int8_t *output)
{
    const int fit = tg_b1_spans_fit(p), field_fits = tg_b1_field_fits(p);
    const int32_t run = p->kernel_h * p->kernel_w * TG_B1_WORDS(p->in_c), n = p->kernel_h * p->kernel_w * p->in_c;
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
                    tg_b1_field_counts(field, &weights[oc * run], run, n_oc, counts);
                    for (j = 0; j < n_oc; ++j) {
                        *output++ = tg_b1_s8_out(p, n - 2 * counts[j], bias, multiplier, shift, oc + j);
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
                *output++ = tg_b1_s8_out(p, acc[0], bias, multiplier, shift, oc);
                *output++ = tg_b1_s8_out(p, acc[1], bias, multiplier, shift, oc + 1);
            }
            if (oc < p->out_c) {
                const int32_t acc = tg_conv2d_b1_b1_dsp_acc(p, &spans, fit, input, weights, out_y, out_x, oc);
                *output++ = tg_b1_s8_out(p, acc, bias, multiplier, shift, oc);
            }
        }
    }
}
