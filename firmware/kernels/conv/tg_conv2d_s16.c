/*
 * tg_conv2d_s16: portable 2-D convolution of a 16x8 model: int16 input and output, int8
 * weights [out_c][kernel_h][kernel_w][in_c], int64 bias, per-channel requantization.
 * Mirrors TFLite's reference_integer_ops::ConvPerChannel for int16: the products summed in
 * int64 (no input offset: int16 activations are symmetric), then tg_requant_channel_s16.
 * numpy twin: tinygen.ref.int16.conv2d_s16.
 */
#include <stddef.h>
#include <stdint.h>

#include "tg_kernels.h"
#include "tg_requant.h"

void tg_conv2d_s16(const tg_conv2d_params_t *p, const int16_t *input, const int8_t *weights, const int64_t *bias,
                   const int32_t *multiplier, const int8_t *shift, int16_t *output)
{
    int32_t out_y, out_x, oc, ky, kx, ic;

    for (out_y = 0; out_y < p->out_h; ++out_y) {
        const int32_t in_y_origin = out_y * p->stride_h - p->pad_top;
        for (out_x = 0; out_x < p->out_w; ++out_x) {
            const int32_t in_x_origin = out_x * p->stride_w - p->pad_left;
            for (oc = 0; oc < p->out_c; ++oc) {
                int64_t acc = 0;
                for (ky = 0; ky < p->kernel_h; ++ky) {
                    const int32_t in_y = in_y_origin + ky * p->dilation_h;
                    if (in_y < 0 || in_y >= p->in_h) {
                        continue; /* padding: zero, whose products TFLite leaves out */
                    }
                    for (kx = 0; kx < p->kernel_w; ++kx) {
                        const int32_t in_x = in_x_origin + kx * p->dilation_w;
                        const int16_t *in_px;
                        const int8_t *w_px;
                        if (in_x < 0 || in_x >= p->in_w) {
                            continue;
                        }
                        in_px = &input[(in_y * p->in_w + in_x) * p->in_c];
                        w_px = &weights[((oc * p->kernel_h + ky) * p->kernel_w + kx) * p->in_c];
                        for (ic = 0; ic < p->in_c; ++ic) {
                            acc += (int32_t)w_px[ic] * (int32_t)in_px[ic];   /* |product| < 2^22 */
                        }
                    }
                }
                output[(out_y * p->out_w + out_x) * p->out_c + oc] =
                    tg_requant_channel_s16(acc, bias, multiplier, shift, oc, p->act_min, p->act_max);
            }
        }
    }
}
