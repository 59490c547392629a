/*
 * One output of tinygen's portable int8 2-D convolution: shared by tg_conv2d_s8 and
 * tg_conv2d_add_s8 (which adds the skip tensor to this result). Mirrors TFLite's
 * reference_integer_ops::ConvPerChannel for output (out_y, out_x, oc).
 */
#ifndef TG_CONV2D_S8_H
#define TG_CONV2D_S8_H

#include <stddef.h>
#include <stdint.h>

#include "tg_kernels.h"
#include "tg_requant.h"

/* The window sum (no bias) of output channel oc at output pixel (out_y, out_x). */
static inline int32_t tg_conv2d_s8_acc(const tg_conv2d_params_t *p, const int8_t *input,
                                       const int8_t *weights, int32_t out_y, int32_t out_x, int32_t oc)
{
    const int32_t in_y_origin = out_y * p->stride_h - p->pad_top;
    const int32_t in_x_origin = out_x * p->stride_w - p->pad_left;
    int32_t acc = 0;
    int32_t ky, kx, ic;

    for (ky = 0; ky < p->kernel_h; ++ky) {
        const int32_t in_y = in_y_origin + ky * p->dilation_h;
        if (in_y < 0 || in_y >= p->in_h) {
            continue; /* padding: (zero point + input_offset) == 0 */
        }
        for (kx = 0; kx < p->kernel_w; ++kx) {
            const int32_t in_x = in_x_origin + kx * p->dilation_w;
            const int8_t *in_px;
            const int8_t *w_px;
            if (in_x < 0 || in_x >= p->in_w) {
                continue;
            }
            in_px = &input[(in_y * p->in_w + in_x) * p->in_c];
            w_px = &weights[((oc * p->kernel_h + ky) * p->kernel_w + kx) * p->in_c];
            for (ic = 0; ic < p->in_c; ++ic) {
                acc += (int32_t)w_px[ic] * ((int32_t)in_px[ic] + p->input_offset);
            }
        }
    }
    return acc;
}

/* The requantized, clamped int8 result of output channel oc at output pixel (out_y, out_x). */
static inline int8_t tg_conv2d_s8_output(const tg_conv2d_params_t *p, const int8_t *input,
                                         const int8_t *weights, const int32_t *bias,
                                         const int32_t *multiplier, const int8_t *shift,
                                         int32_t out_y, int32_t out_x, int32_t oc)
{
    int32_t acc = tg_conv2d_s8_acc(p, input, weights, out_y, out_x, oc);
    if (bias != NULL) {
        acc += bias[oc];
    }
    acc = tg_requantize(acc, multiplier[oc], shift[oc]) + p->output_offset;
    acc = acc < p->act_min ? p->act_min : acc;
    acc = acc > p->act_max ? p->act_max : acc;
    return (int8_t)acc;
}

/* The conv's int8 result c (on the conv's grid) added to the skip byte s, TFLite's ADD arithmetic
   (tg_conv2d_add_s8 and tg_conv2d_add_s8_rv32). */
static inline int8_t tg_conv_add_one(const tg_conv2d_add_params_t *p, int32_t c, int32_t s)
{
    const int32_t shifted_c = (c + p->conv_offset) * ((int32_t)1 << p->add_left_shift);
    const int32_t shifted_s = (s + p->skip_offset) * ((int32_t)1 << p->add_left_shift);
    const int32_t sum = tg_requantize_smaller_than_one_exp(shifted_c, p->conv_multiplier, p->conv_shift) +
                        tg_requantize_smaller_than_one_exp(shifted_s, p->skip_multiplier, p->skip_shift);
    int32_t out = tg_requantize_smaller_than_one_exp(sum, p->add_output_multiplier, p->add_output_shift) +
                  p->add_output_offset;
    out = out < p->add_act_min ? p->add_act_min : out;
    out = out > p->add_act_max ? p->add_act_max : out;
    return (int8_t)out;
}

#endif /* TG_CONV2D_S8_H */
