/*
 * tg_conv2d_f32: 2-D convolution of a float32 model, TFLite's reference_ops::Conv: per output,
 * total = 0.f; total += input * filter over (filter_y, filter_x, in_channel) in that order,
 * taps outside the input skipped; then total + bias (0.f without), clamped. Bit for bit
 * TFLite Micro's (tg_kernels_f32.h). numpy twin: tinygen.ref.float32.conv2d_f32.
 */
#include <stddef.h>
#include <stdint.h>

#include "tg_kernels.h"

void tg_conv2d_f32(const tg_conv2d_f32_params_t *p, const float *input, const float *weights, const float *bias,
                   float *output)
{
    int32_t out_y, out_x, oc, ky, kx, ic;

    for (out_y = 0; out_y < p->out_h; ++out_y) {
        const int32_t in_y_origin = out_y * p->stride_h - p->pad_top;
        for (out_x = 0; out_x < p->out_w; ++out_x) {
            const int32_t in_x_origin = out_x * p->stride_w - p->pad_left;
            for (oc = 0; oc < p->out_c; ++oc) {
                float total = 0.0f;
                for (ky = 0; ky < p->kernel_h; ++ky) {
                    const int32_t in_y = in_y_origin + ky * p->dilation_h;
                    if (in_y < 0 || in_y >= p->in_h) {
                        continue;
                    }
                    for (kx = 0; kx < p->kernel_w; ++kx) {
                        const int32_t in_x = in_x_origin + kx * p->dilation_w;
                        const float *in_px;
                        const float *w_px;
                        if (in_x < 0 || in_x >= p->in_w) {
                            continue;
                        }
                        in_px = &input[(in_y * p->in_w + in_x) * p->in_c];
                        w_px = &weights[((oc * p->kernel_h + ky) * p->kernel_w + kx) * p->in_c];
                        for (ic = 0; ic < p->in_c; ++ic) {
                            total += in_px[ic] * w_px[ic];
                        }
                    }
                }
                output[(out_y * p->out_w + out_x) * p->out_c + oc] =
                    tg_clamp_value_f32(total + (bias != NULL ? bias[oc] : 0.0f), p->act_min, p->act_max);
            }
        }
    }
}
