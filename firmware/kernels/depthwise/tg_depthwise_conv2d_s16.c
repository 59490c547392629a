/*
 * tg_depthwise_conv2d_s16: portable depthwise 2-D convolution of a 16x8 model: int16 input
 * and output, int8 weights [kernel_h][kernel_w][out_c] (output channel ic * depth_multiplier
 * + m reads input channel ic), int64 bias, per-channel requantization. Mirrors TFLite's
 * reference_integer_ops::DepthwiseConvPerChannel for int16: int64 sums, tg_requant_channel_s16.
 * numpy twin: tinygen.ref.int16.depthwise_conv2d_s16.
 */
#include <stddef.h>
#include <stdint.h>

#include "tg_kernels.h"
#include "tg_requant.h"

void tg_depthwise_conv2d_s16(const tg_conv2d_params_t *p, const int16_t *input, const int8_t *weights,
                             const int64_t *bias, const int32_t *multiplier, const int8_t *shift,
                             int16_t *output)
{
    int32_t out_y, out_x, ic, m, ky, kx;

    for (out_y = 0; out_y < p->out_h; ++out_y) {
        const int32_t in_y_origin = out_y * p->stride_h - p->pad_top;
        for (out_x = 0; out_x < p->out_w; ++out_x) {
            const int32_t in_x_origin = out_x * p->stride_w - p->pad_left;
            for (ic = 0; ic < p->in_c; ++ic) {
                for (m = 0; m < p->depth_multiplier; ++m) {
                    const int32_t oc = ic * p->depth_multiplier + m;
                    int64_t acc = 0;
                    for (ky = 0; ky < p->kernel_h; ++ky) {
                        const int32_t in_y = in_y_origin + ky * p->dilation_h;
                        if (in_y < 0 || in_y >= p->in_h) {
                            continue; /* padding: zero */
                        }
                        for (kx = 0; kx < p->kernel_w; ++kx) {
                            const int32_t in_x = in_x_origin + kx * p->dilation_w;
                            if (in_x < 0 || in_x >= p->in_w) {
                                continue;
                            }
                            acc += (int32_t)weights[(ky * p->kernel_w + kx) * p->out_c + oc] *
                                   (int32_t)input[(in_y * p->in_w + in_x) * p->in_c + ic];
                        }
                    }
                    output[(out_y * p->out_w + out_x) * p->out_c + oc] =
                        tg_requant_channel_s16(acc, bias, multiplier, shift, oc, p->act_min, p->act_max);
                }
            }
        }
    }
}
