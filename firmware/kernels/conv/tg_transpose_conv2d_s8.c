/*
 * tg_transpose_conv2d_s8: portable transposed 2-D convolution, int8 in/out, per-channel
 * requantization. TFLite Micro's reference_integer_ops::TransposeConv scatters each input
 * pixel's products into an int32 buffer of the whole output; here each output gathers the
 * same products instead (output (oy, ox) reads input (iy, ix) through tap (ky, kx) where
 * oy = iy * stride_h - pad_top + ky * dilation_h, likewise x), so no buffer is needed and
 * every int32 sum is the same. Then bias, requantization and clamp as TFLM's
 * (tg_requant_channel_s8: tg_requantize_fast, equal to tg_requantize for the non-negative
 * multipliers of convolutions).
 * numpy twin: tinygen.ref.transpose_conv.transpose_conv2d_s8.
 */
#include <stddef.h>
#include <stdint.h>

#include "tg_kernels.h"
#include "tg_requant.h"

/* The input index tap t reads for output index o along an axis, or -1 where it reads none. */
static int32_t tg_tconv_source(int32_t o, int32_t t, int32_t stride, int32_t dilation, int32_t pad, int32_t size)
{
    const int32_t scattered = o + pad - t * dilation;      /* = i * stride */
    if (scattered < 0 || scattered % stride != 0 || scattered / stride >= size) {
        return -1;
    }
    return scattered / stride;
}

/* The int32 sum of output (oy, ox), channel oc, over every tap reaching it (no bias). */
static int32_t tg_tconv_sum(const tg_transpose_conv2d_params_t *p, const int8_t *input, const int8_t *weights,
                            int32_t oy, int32_t ox, int32_t oc)
{
    int32_t acc = 0;
    int32_t ky, kx, ic;
    for (ky = 0; ky < p->kernel_h; ++ky) {
        const int32_t iy = tg_tconv_source(oy, ky, p->stride_h, p->dilation_h, p->pad_top, p->in_h);
        if (iy < 0) {
            continue;
        }
        for (kx = 0; kx < p->kernel_w; ++kx) {
            const int32_t ix = tg_tconv_source(ox, kx, p->stride_w, p->dilation_w, p->pad_left, p->in_w);
            const int8_t *in_px;
            const int8_t *w_px;
            if (ix < 0) {
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
    int32_t oy, ox, oc;
    for (oy = 0; oy < p->out_h; ++oy) {
        for (ox = 0; ox < p->out_w; ++ox) {
            for (oc = 0; oc < p->out_c; ++oc) {
                output[(oy * p->out_w + ox) * p->out_c + oc] =
                    tg_requant_channel_s8(tg_tconv_sum(p, input, weights, oy, ox, oc), bias, multiplier, shift, oc,
                                          p->output_offset, p->act_min, p->act_max);
            }
        }
    }
}
