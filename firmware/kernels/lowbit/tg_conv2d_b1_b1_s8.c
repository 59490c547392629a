/*
 * tg_conv2d_b1_b1_s8: portable XNOR / popcount convolution, packed binary input
 * and weights, int8 output (TFLite requantization). numpy twin:
 * tinygen.ref.binary.conv2d_b1_b1_s8. Semantics: LOWBIT.md.
 */
#include <stddef.h>

#include "tg_conv2d_b1.h"
#include "tg_kernels_b1.h"
#include "tg_lowbit_bias_shift.h"
#include "tg_requant.h"

void tg_conv2d_b1_b1_s8(const tg_conv2d_b1_params_t *p, const uint32_t *input,
                        const uint32_t *weights, const int32_t *bias,
                        const int32_t *multiplier, const int8_t *shift, int8_t *output)
{
    int32_t out_y, out_x, oc;

    for (out_y = 0; out_y < p->out_h; ++out_y) {
        for (out_x = 0; out_x < p->out_w; ++out_x) {
            for (oc = 0; oc < p->out_c; ++oc) {
                int32_t acc = tg_lowbit_bias_shift(tg_conv2d_b1_b1_acc(p, input, weights, out_y, out_x, oc),
                                                     p->bias_shift);
                if (bias != NULL) {
                    acc += bias[oc];
                }
                acc = tg_requantize(acc, multiplier[oc], shift[oc]) + p->output_offset;
                acc = acc < p->act_min ? p->act_min : acc;
                acc = acc > p->act_max ? p->act_max : acc;
                *output++ = (int8_t)acc;
            }
        }
    }
}
