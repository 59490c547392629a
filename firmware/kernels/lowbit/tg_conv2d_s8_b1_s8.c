/*
 * tg_conv2d_s8_b1_s8: portable convolution of int8 activations with packed binary
 * weights (BinaryConnect): each input is added or subtracted, no multiplication.
 * numpy twin: tinygen.ref.binary.conv2d_s8_b1_s8. Semantics: LOWBIT.md.
 */
#include <stddef.h>

#include "tg_kernels_b1.h"
#include "tg_requant.h"

void tg_conv2d_s8_b1_s8(const tg_conv2d_params_t *p, const int8_t *input,
                        const uint32_t *weights, const int32_t *bias,
                        const int32_t *multiplier, const int8_t *shift, int8_t *output)
{
    const int32_t words = TG_B1_WORDS(p->in_c);
    int32_t out_y, out_x, oc, ky, kx, ic;

    for (out_y = 0; out_y < p->out_h; ++out_y) {
        for (out_x = 0; out_x < p->out_w; ++out_x) {
            const int32_t in_y_origin = out_y * p->stride_h - p->pad_top;
            const int32_t in_x_origin = out_x * p->stride_w - p->pad_left;
            for (oc = 0; oc < p->out_c; ++oc) {
                int32_t acc = bias != NULL ? bias[oc] : 0;
                for (ky = 0; ky < p->kernel_h; ++ky) {
                    const int32_t in_y = in_y_origin + ky * p->dilation_h;
                    for (kx = 0; kx < p->kernel_w; ++kx) {
                        const int32_t in_x = in_x_origin + kx * p->dilation_w;
                        const uint32_t *w_tap = &weights[((oc * p->kernel_h + ky) * p->kernel_w + kx) * words];
                        if (in_y < 0 || in_y >= p->in_h || in_x < 0 || in_x >= p->in_w) {
                            continue;   /* padding holds the zero point */
                        }
                        const int8_t *in_px = &input[(in_y * p->in_w + in_x) * p->in_c];
                        for (ic = 0; ic < p->in_c; ++ic) {
                            const int32_t a = (int32_t)in_px[ic] + p->input_offset;
                            acc += ((w_tap[ic >> 5] >> (ic & 31)) & 1u) != 0u ? -a : a;
                        }
                    }
                }
                acc = tg_requantize(acc, multiplier[oc], shift[oc]) + p->output_offset;
                acc = acc < p->act_min ? p->act_min : acc;
                acc = acc > p->act_max ? p->act_max : acc;
                *output++ = (int8_t)acc;
            }
        }
    }
}
