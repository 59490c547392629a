/*
 * What the gated convolutions share (tg_conv2d_gated_s8.c, tg_conv2d_gated_s8_dsp.c):
 * the convolution's parameters as a tg_conv2d_params_t, and the gate's multiply.
 */
#ifndef TG_CONV2D_GATED_H
#define TG_CONV2D_GATED_H

#include <stdint.h>

#include "tg_kernels_gating.h"
#include "tg_requant.h"

static inline tg_conv2d_params_t tg_conv2d_gated_conv(const tg_conv2d_gated_params_t *p)
{
    const tg_conv2d_params_t c = {p->in_h, p->in_w, p->in_c, p->out_h, p->out_w, p->out_c,
                                  p->kernel_h, p->kernel_w, p->stride_h, p->stride_w,
                                  p->dilation_h, p->dilation_w, p->pad_top, p->pad_left,
                                  p->depth_multiplier, p->input_offset, p->output_offset,
                                  p->act_min, p->act_max};
    return c;
}

/* The output of a dropped channel: the product with 0, requantized and clamped. */
static inline int8_t tg_conv2d_gated_dropped(const tg_conv2d_gated_params_t *p)
{
    int32_t out = p->gate_output_offset;
    out = out < p->gate_act_min ? p->gate_act_min : out;
    out = out > p->gate_act_max ? p->gate_act_max : out;
    return (int8_t)out;
}

/* mul(y, g) with TFLite MUL arithmetic: y the convolution's int8 result, g the gate value. */
static inline int8_t tg_conv2d_gated_scale(const tg_conv2d_gated_params_t *p, int32_t y, int32_t g)
{
    /* |product| <= 255 * 255: no overflow */
    const int32_t product = (y - p->output_offset) * (g + p->gate_input_offset);
    int32_t out = tg_requantize(product, p->gate_multiplier, p->gate_shift) + p->gate_output_offset;
    out = out < p->gate_act_min ? p->gate_act_min : out;
    out = out > p->gate_act_max ? p->gate_act_max : out;
    return (int8_t)out;
}

#endif /* TG_CONV2D_GATED_H */
