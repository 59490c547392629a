/*
 * tg_depthwise_conv2d_f32: depthwise 2-D convolution of a float32 model, TFLite's
 * reference_ops::DepthwiseConv: output channel oc = ic * depth_multiplier + m sums input
 * channel ic's products over (filter_y, filter_x) in that order, taps outside the input
 * skipped; then + bias (0.f without), clamped. Bit for bit TFLite Micro's (tg_kernels_f32.h).
 * numpy twin: tinygen.ref.float32.depthwise_conv2d_f32.
 */
#include <stddef.h>
#include <stdint.h>

#include "tg_kernels.h"

void tg_depthwise_conv2d_f32(const tg_conv2d_f32_params_t *p, const float *input, const float *weights,
                             const float *bias, float *output)
{
    int32_t out_y, out_x, ic, m, ky, kx;

    for (out_y = 0; out_y < p->out_h; ++out_y) {
        const int32_t in_y_origin = out_y * p->stride_h - p->pad_top;
        for (out_x = 0; out_x < p->out_w; ++out_x) {
            const int32_t in_x_origin = out_x * p->stride_w - p->pad_left;
            for (ic = 0; ic < p->in_c; ++ic) {
                for (m = 0; m < p->depth_multiplier; ++m) {
                    const int32_t oc = ic * p->depth_multiplier + m;
                    float total = 0.0f;
                    for (ky = 0; ky < p->kernel_h; ++ky) {
                        const int32_t in_y = in_y_origin + ky * p->dilation_h;
                        if (in_y < 0 || in_y >= p->in_h) {
                            continue;
                        }
                        for (kx = 0; kx < p->kernel_w; ++kx) {
                            const int32_t in_x = in_x_origin + kx * p->dilation_w;
                            if (in_x < 0 || in_x >= p->in_w) {
                                continue;
                            }
                            total += input[(in_y * p->in_w + in_x) * p->in_c + ic] *
                                     weights[(ky * p->kernel_w + kx) * p->out_c + oc];
                        }
                    }
                    output[(out_y * p->out_w + out_x) * p->out_c + oc] =
                        tg_clamp_value_f32(total + (bias != NULL ? bias[oc] : 0.0f), p->act_min, p->act_max);
                }
            }
        }
    }
}
