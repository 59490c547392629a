/*
 * tg_conv2d_s8_s8_b1: portable int8 convolution with packed-bit threshold output
 * (a BNN's first layer: int8 conv -> batch norm -> sign); the window sum is
 * tg_conv2d_s8's. numpy twin: tinygen.ref.binary.conv2d_s8_s8_b1. Semantics: LOWBIT.md.
 */
#include "tg_conv2d_b1.h"
#include "tg_conv2d_s8.h"
#include "tg_kernels_b1.h"

void tg_conv2d_s8_s8_b1(const tg_conv2d_params_t *p, const int8_t *input,
                        const int8_t *weights, const int32_t *thresholds, uint32_t *output)
{
    int32_t out_y, out_x, oc;

    for (out_y = 0; out_y < p->out_h; ++out_y) {
        for (out_x = 0; out_x < p->out_w; ++out_x) {
            uint32_t word = 0u;
            for (oc = 0; oc < p->out_c; ++oc) {
                tg_put_threshold_bit(&output, &word, tg_conv2d_s8_acc(p, input, weights, out_y, out_x, oc),
                                     thresholds[oc], oc, p->out_c);
            }
        }
    }
}
