/*
 * tg_transpose_conv2d_f32: transposed convolution on float32 (TFLite reference_ops::TransposeConv
 * on float), its scatter order kept: the output zeroed, then for each input pixel (row, column),
 * input channel, filter row, filter column and output channel in that order, the product
 * input * weight added to the output element it reaches (those outside the output skipped);
 * then per output element + bias (where there is one) and the clamp. weights
 * [out_c][kernel_h][kernel_w][in_c]; tg_conv2d_f32_params_t's geometry (dilation 1). Not in place.
 * numpy twin: tinygen.ref.float32_mac.transpose_conv2d_f32.
 */
#include <stddef.h>

#include "tg_kernels.h"

void tg_transpose_conv2d_f32(const tg_conv2d_f32_params_t *p, const float *input, const float *weights,
                             const float *bias, float *output)
{
    const int32_t size = p->out_h * p->out_w * p->out_c;
    int32_t i, iy, ix, ic, ky, kx, oc;

    for (i = 0; i < size; ++i) {
        output[i] = 0.0f;
    }
    for (iy = 0; iy < p->in_h; ++iy) {
        for (ix = 0; ix < p->in_w; ++ix) {
            for (ic = 0; ic < p->in_c; ++ic) {
                const float x = input[(iy * p->in_w + ix) * p->in_c + ic];
                for (ky = 0; ky < p->kernel_h; ++ky) {
                    const int32_t oy = iy * p->stride_h - p->pad_top + ky;
                    for (kx = 0; kx < p->kernel_w; ++kx) {
                        const int32_t ox = ix * p->stride_w - p->pad_left + kx;
                        float *out;
                        if (oy < 0 || oy >= p->out_h || ox < 0 || ox >= p->out_w) {
                            continue;
                        }
                        out = output + (oy * p->out_w + ox) * p->out_c;
                        for (oc = 0; oc < p->out_c; ++oc) {
                            out[oc] += x * weights[((oc * p->kernel_h + ky) * p->kernel_w + kx) * p->in_c + ic];
                        }
                    }
                }
            }
        }
    }
    for (i = 0; i < size; ++i) {
        const float acc = bias != NULL ? output[i] + bias[i % p->out_c] : output[i];
        output[i] = tg_clamp_value_f32(acc, p->act_min, p->act_max);
    }
}
