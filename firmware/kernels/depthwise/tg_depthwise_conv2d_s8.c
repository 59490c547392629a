/*
 * tg_depthwise_conv2d_s8: portable reference depthwise 2-D convolution, int8
 * in/out, per-channel requantization. Mirrors TFLite's
 * reference_integer_ops::DepthwiseConvPerChannel.
 * numpy twin: tinygen.ref.kernels.depthwise_conv2d_s8.
 */
#include <stddef.h>

#include "tg_kernels.h"
#include "tg_requant.h"

void tg_depthwise_conv2d_s8(const tg_conv2d_params_t *p, const int8_t *input,
                            const int8_t *weights, const int32_t *bias,
                            const int32_t *multiplier, const int8_t *shift,
                            int8_t *output)
{
    int32_t out_y, out_x, ic, m, ky, kx;

    for (out_y = 0; out_y < p->out_h; ++out_y) {
        const int32_t in_y_origin = out_y * p->stride_h - p->pad_top;
        for (out_x = 0; out_x < p->out_w; ++out_x) {
            const int32_t in_x_origin = out_x * p->stride_w - p->pad_left;
            for (ic = 0; ic < p->in_c; ++ic) {
                for (m = 0; m < p->depth_multiplier; ++m) {
                    const int32_t oc = ic * p->depth_multiplier + m;
                    int32_t acc = 0;
                    for (ky = 0; ky < p->kernel_h; ++ky) {
                        const int32_t in_y = in_y_origin + ky * p->dilation_h;
                        if (in_y < 0 || in_y >= p->in_h) {
                            continue; /* padding: (zero point + input_offset) == 0 */
                        }
                        for (kx = 0; kx < p->kernel_w; ++kx) {
                            const int32_t in_x = in_x_origin + kx * p->dilation_w;
                            int32_t in_val, w_val;
                            if (in_x < 0 || in_x >= p->in_w) {
                                continue;
                            }
                            in_val = input[(in_y * p->in_w + in_x) * p->in_c + ic];
                            w_val = weights[(ky * p->kernel_w + kx) * p->out_c + oc];
                            acc += w_val * (in_val + p->input_offset);
                        }
                    }
                    if (bias != NULL) {
                        acc += bias[oc];
                    }
                    acc = tg_requantize(acc, multiplier[oc], shift[oc]) + p->output_offset;
                    acc = acc < p->act_min ? p->act_min : acc;
                    acc = acc > p->act_max ? p->act_max : acc;
                    output[(out_y * p->out_w + out_x) * p->out_c + oc] = (int8_t)acc;
                }
            }
        }
    }
}
