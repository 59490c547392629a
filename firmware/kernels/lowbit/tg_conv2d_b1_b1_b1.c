/*
 * tg_conv2d_b1_b1_b1: portable XNOR / popcount convolution, packed binary input
 * and weights, packed-bit output (per-channel thresholds: conv -> batch norm ->
 * sign). numpy twin: tinygen.ref.binary.conv2d_b1_b1_b1. Semantics: LOWBIT.md.
 */
#include "tg_conv2d_b1.h"
#include "tg_kernels_b1.h"

void tg_conv2d_b1_b1_b1(const tg_conv2d_b1_params_t *p, const uint32_t *input,
                        const uint32_t *weights, const int32_t *thresholds, uint32_t *output)
{
    int32_t out_y, out_x, oc;

    for (out_y = 0; out_y < p->out_h; ++out_y) {
        for (out_x = 0; out_x < p->out_w; ++out_x) {
            uint32_t word = 0u;
            for (oc = 0; oc < p->out_c; ++oc) {
                tg_put_threshold_bit(&output, &word, tg_conv2d_b1_b1_acc(p, input, weights, out_y, out_x, oc),
                                     thresholds[oc], oc, p->out_c);
            }
        }
    }
}
