/*
 * tg_transpose_conv2d_s8: portable transposed 2-D convolution, int8 in/out, per-channel
 * requantization. TFLite Micro's reference_integer_ops::TransposeConv scatters each input
 * pixel's products into an int32 buffer of the whole output; here each output gathers the
 * same products instead (output (oy, ox) reads input (iy, ix) through tap (ky, kx) where
 * oy = iy * stride_h - pad_top + ky * dilation_h, likewise x), so no buffer is needed and
 * every int32 sum is the same. The taps that reach an output are its phase's
 * (tg_transpose_conv2d.h: they depend on oy mod stride_h and ox mod stride_w only), so the
 * output is walked phase column by phase column and only those taps are visited. Then bias,
 * requantization and clamp as TFLM's (tg_requant_channel_s8: tg_requantize_fast, equal to
 * tg_requantize for the non-negative multipliers of convolutions).
 * numpy twin: tinygen.ref.transpose_conv.transpose_conv2d_s8.
 */
#include <stddef.h>
#include <stdint.h>

#include "tg_kernels.h"
#include "tg_requant.h"
#include "tg_transpose_conv2d.h"

/* The int32 sum (no bias) of output channel oc at the pixel whose phase taps along y and x read
   input rows y0 + j * ty->in_step and columns x0 + i * tx->in_step. */
static int32_t tg_tconv_sum(const tg_transpose_conv2d_params_t *p, const int8_t *input, const int8_t *weights,
                            const tg_tconv_axis_t *ty, const tg_tconv_axis_t *tx, int32_t y0, int32_t x0, int32_t oc)
{
    int32_t acc = 0;
    int32_t j, i, ic;
    for (j = 0; j < ty->count; ++j) {
        const int32_t iy = y0 + j * ty->in_step, ky = ty->first - j * ty->tap_step;
        if (iy < 0 || iy >= p->in_h) {
            continue;
        }
        for (i = 0; i < tx->count; ++i) {
            const int32_t ix = x0 + i * tx->in_step, kx = tx->first - i * tx->tap_step;
            const int8_t *in_px;
            const int8_t *w_px;
            if (ix < 0 || ix >= p->in_w) {
                continue;
            }
            in_px = &input[(iy * p->in_w + ix) * p->in_c];
            w_px = &weights[((oc * p->kernel_h + ky) * p->kernel_w + kx) * p->in_c];
            for (ic = 0; ic < p->in_c; ++ic) {
                acc += (int32_t)w_px[ic] * ((int32_t)in_px[ic] + p->input_offset);
            }
        }
    }
    return acc;
}

void tg_transpose_conv2d_s8(const tg_transpose_conv2d_params_t *p, const int8_t *input,
                            const int8_t *weights, const int32_t *bias, const int32_t *multiplier,
                            const int8_t *shift, int8_t *output)
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
                    output[(oy * p->out_w + ox) * p->out_c + oc] = tg_requant_channel_s8(
                        tg_tconv_sum(p, input, weights, &ty, &tx, y0, x0, oc), bias, multiplier, shift, oc,
                        p->output_offset, p->act_min, p->act_max);
                }
            }
        }
    }
}
