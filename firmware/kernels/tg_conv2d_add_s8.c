/*
 * tg_conv2d_add_s8: portable 2-D convolution with a fused residual add, int8.
 * Each output byte p is tg_conv2d_s8's int8 result c[p] (per-channel requantization
 * to the conv's grid, clamped to act_min..act_max), then tg_add_s8's arithmetic
 * (TFLite's int8 ADD) of c[p] and skip[p], clamped to add_act_min..add_act_max.
 * numpy twin: tinygen.ref.kernels.conv2d_add_s8.
 *
 * Loop order: out_y, out_x, out_c; output byte p is written once, after its
 * window and skip byte p are read, and no other step reads skip byte p: the
 * output may take the skip tensor's place (in place, distance 0).
 */
#include <stddef.h>

#include "tg_kernels.h"
#include "tg_requant.h"

/* The conv's int8 result c (on the conv's grid) added to s, TFLite's ADD arithmetic. */
static int8_t tg_conv_add_one(const tg_conv2d_add_params_t *p, int32_t c, int32_t s)
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

void tg_conv2d_add_s8(const tg_conv2d_add_params_t *p, const int8_t *input, const int8_t *skip,
                      const int8_t *weights, const int32_t *bias, const int32_t *multiplier,
                      const int32_t *shift, int8_t *output)
{
    int32_t out_y, out_x, oc, ky, kx, ic;

    for (out_y = 0; out_y < p->out_h; ++out_y) {
        const int32_t in_y_origin = out_y * p->stride_h - p->pad_top;
        for (out_x = 0; out_x < p->out_w; ++out_x) {
            const int32_t in_x_origin = out_x * p->stride_w - p->pad_left;
            for (oc = 0; oc < p->out_c; ++oc) {
                const int32_t index = (out_y * p->out_w + out_x) * p->out_c + oc;
                int32_t acc = 0;
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
                if (bias != NULL) {
                    acc += bias[oc];
                }
                acc = tg_requantize(acc, multiplier[oc], shift[oc]) + p->output_offset;
                acc = acc < p->act_min ? p->act_min : acc;
                acc = acc > p->act_max ? p->act_max : acc;
                output[index] = tg_conv_add_one(p, acc, skip[index]);
            }
        }
    }
}
