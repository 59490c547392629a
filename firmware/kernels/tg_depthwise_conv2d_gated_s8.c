/*
 * tg_depthwise_conv2d_gated_s8: portable gated depthwise convolution, depth multiplier 1
 * (see tg_kernels_gating.h): only the channels the gate kept are computed, each output as
 * tg_depthwise_conv2d_s8 computes it, then scaled by its gate value; a dropped channel's
 * input is never read. numpy twin: tinygen.gating.ref.depthwise_conv2d_gated_s8.
 */
#include <stddef.h>

#include "tg_conv2d_gated.h"

/* One output of tg_depthwise_conv2d_s8 (depth multiplier 1): channel c at output pixel (oy, ox). */
static int32_t tg_dw_gated_output(const tg_conv2d_gated_params_t *p, const int8_t *input, const int8_t *weights,
                                  const int32_t *bias, const int32_t *multiplier, const int32_t *shift,
                                  int32_t oy, int32_t ox, int32_t c)
{
    const int32_t y0 = oy * p->stride_h - p->pad_top, x0 = ox * p->stride_w - p->pad_left;
    int32_t acc = 0, ky, kx;
    for (ky = 0; ky < p->kernel_h; ++ky) {
        const int32_t iy = y0 + ky * p->dilation_h;
        if (iy < 0 || iy >= p->in_h) {
            continue;       /* padding: (zero point + input_offset) == 0 */
        }
        for (kx = 0; kx < p->kernel_w; ++kx) {
            const int32_t ix = x0 + kx * p->dilation_w;
            if (ix < 0 || ix >= p->in_w) {
                continue;
            }
            acc += weights[(ky * p->kernel_w + kx) * p->out_c + c] *
                   (input[(iy * p->in_w + ix) * p->in_c + c] + p->input_offset);
        }
    }
    if (bias != NULL) {
        acc += bias[c];
    }
    acc = tg_requantize(acc, multiplier[c], shift[c]) + p->output_offset;
    acc = acc < p->act_min ? p->act_min : acc;
    return acc > p->act_max ? p->act_max : acc;
}

void tg_depthwise_conv2d_gated_s8(const tg_conv2d_gated_params_t *p, const int8_t *input, const int8_t *gate,
                                  const int8_t *weights, const int32_t *bias, const int32_t *multiplier,
                                  const int32_t *shift, int8_t *output)
{
    const int8_t dropped = tg_conv2d_gated_dropped(p);
    const int32_t gate_zero = -p->gate_input_offset;
    int32_t y, x, c;

    for (y = 0; y < p->out_h; ++y) {
        for (x = 0; x < p->out_w; ++x) {
            for (c = 0; c < p->out_c; ++c) {
                if (gate[c] == gate_zero) {
                    *output++ = dropped;
                } else {
                    const int32_t v = tg_dw_gated_output(p, input, weights, bias, multiplier, shift, y, x, c);
                    *output++ = tg_conv2d_gated_scale(p, v, gate[c]);
                }
            }
        }
    }
}
