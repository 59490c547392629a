/*
 * tg_conv2d_b1_b1_b1_dsp: tg_conv2d_b1_b1_b1 for ARMv7E-M (Cortex-M4/M7, DSP extension):
 * the XNOR / popcount accumulator of tg_conv2d_b1_dsp.h (Harley-Seal, USADA8), then one
 * threshold compare per channel into the packed output word. Same arguments and bytes
 * as the portable kernel; numpy twin: tinygen.ref.binary.conv2d_b1_b1_b1.
 */
#include "tg_conv2d_b1.h"
#include "tg_conv2d_b1_dsp.h"
#include "tg_kernels_b1.h"

void tg_conv2d_b1_b1_b1_dsp(const tg_conv2d_b1_params_t *p, const uint32_t *input,
                            const uint32_t *weights, const int32_t *thresholds, uint32_t *output)
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
                    tg_b1_field_counts(field, &weights[oc * run], run, n_oc, counts);
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
