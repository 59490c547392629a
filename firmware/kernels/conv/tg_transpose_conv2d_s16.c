/*
 * tg_transpose_conv2d_s16: portable transposed 2-D convolution of a 16x8 model: int16 input
 * and output, int8 weights [out_c][kernel_h][kernel_w][in_c], int64 bias, per-channel
 * requantization. TFLite Micro's reference_integer_ops::TransposeConv for int16 scatters the
 * products into an int64 buffer of the whole output; here each output gathers them through
 * its phase's taps, as tg_transpose_conv2d_s8 does (tg_transpose_conv2d.h), so no buffer is
 * needed and every int64 sum is the same; then tg_requant_channel_s16.
 * numpy twin: tinygen.ref.int16.transpose_conv2d_s16.
 */
#include <stddef.h>
#include <stdint.h>

#include "tg_kernels.h"
#include "tg_requant.h"
#include "tg_transpose_conv2d.h"

/* The int64 sum (no bias) of output channel oc at the pixel whose phase taps along y and x read
   input rows y0 + j * ty->in_step and columns x0 + i * tx->in_step. */
static int64_t tg_tconv_sum_s16(const tg_transpose_conv2d_params_t *p, const int16_t *input, const int8_t *weights,
                            const tg_tconv_axis_t *ty, const tg_tconv_axis_t *tx, int32_t y0, int32_t x0, int32_t oc)
{
    int64_t acc = 0;
    int32_t j, i, ic;
    for (j = 0; j < ty->count; ++j) {
        const int32_t iy = y0 + j * ty->in_step, ky = ty->first - j * ty->tap_step;
        if (iy < 0 || iy >= p->in_h) {
            continue;
        }
        for (i = 0; i < tx->count; ++i) {
            const int32_t ix = x0 + i * tx->in_step, kx = tx->first - i * tx->tap_step;
            const int16_t *in_px;
            const int8_t *w_px;
            if (ix < 0 || ix >= p->in_w) {
                continue;
            }
            in_px = &input[(iy * p->in_w + ix) * p->in_c];
            w_px = &weights[((oc * p->kernel_h + ky) * p->kernel_w + kx) * p->in_c];
            for (ic = 0; ic < p->in_c; ++ic) {
                acc += (int32_t)w_px[ic] * (int32_t)in_px[ic];
            }
        }
    }
    return acc;
}

void tg_transpose_conv2d_s16(const tg_transpose_conv2d_params_t *p, const int16_t *input,
                             const int8_t *weights, const int64_t *bias, const int32_t *multiplier,
                             const int8_t *shift, int16_t *output)
{
    int32_t oy, a, ox, oc;
    for (oy = 0; oy < p->out_h; ++oy) {
        const tg_tconv_axis_t ty = tg_tconv_axis(oy % p->stride_h, p->kernel_h, p->stride_h, p->dilation_h,
                                                 p->pad_top);
        const int32_t y0 = tg_tconv_base(&ty, oy, p->stride_h, p->dilation_h, p->pad_top);
        for (a = 0; a < p->stride_w && a < p->out_w; ++a) {
            const tg_tconv_axis_t tx = tg_tconv_axis(a, p->kernel_w, p->stride_w, p->dilation_w, p->pad_left);
            for (ox = a; ox < p->out_w; ox += p->stride_w) {
                const int32_t x0 = tg_tconv_base(&tx, ox, p->stride_w, p->dilation_w, p->pad_left);
                for (oc = 0; oc < p->out_c; ++oc) {
                    output[(oy * p->out_w + ox) * p->out_c + oc] = tg_requant_channel_s16(
                        tg_tconv_sum_s16(p, input, weights, &ty, &tx, y0, x0, oc), bias, multiplier, shift, oc,
                        p->act_min, p->act_max);
                }
            }
        }
    }
}
