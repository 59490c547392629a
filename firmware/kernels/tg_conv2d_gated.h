/*
 * What the gated kernels share (tg_conv2d_gated_s8*.c, tg_depthwise_conv2d_gated_s8*.c,
 * tg_fully_connected_gated_s8*.c): the convolution's parameters as a tg_conv2d_params_t,
 * and the gate's multiply.
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

/* mul(y, g) with TFLite MUL arithmetic: y an int8 result on the zero point y_zero, g the gate
 * value; the gate's offset, multiplier, output offset and clamp as in tg_conv2d_gated_params_t. */
static inline int8_t tg_gate_scale(int32_t y, int32_t y_zero, int32_t g, int32_t g_offset, int32_t multiplier,
                                   int32_t shift, int32_t out_offset, int32_t lo, int32_t hi)
{
    /* |product| <= 255 * 255: no overflow */
    const int32_t product = (y - y_zero) * (g + g_offset);
    int32_t out = tg_requantize(product, multiplier, shift) + out_offset;
    out = out < lo ? lo : out;
    out = out > hi ? hi : out;
    return (int8_t)out;
}

/* tg_gate_scale's product y' * g' (y' = y - y_zero, g' = g + g_offset) requantized with
 * tg_requantize_fast (the gate multiplier lies in [2^30, 2^31) or is 0), offset and clamped. */
static inline __attribute__((always_inline)) int8_t tg_gate_scale_fast(int32_t y0, int32_t g0, int32_t multiplier,
                                                                       int32_t shift, int32_t out_offset, int32_t lo,
                                                                       int32_t hi)
{
    int32_t out = tg_requantize_fast(y0 * g0, multiplier, shift) + out_offset;
    out = out < lo ? lo : out;
    out = out > hi ? hi : out;
    return (int8_t)out;
}

/* mul(y, g) with TFLite MUL arithmetic: y the convolution's int8 result, g the gate value. */
static inline int8_t tg_conv2d_gated_scale(const tg_conv2d_gated_params_t *p, int32_t y, int32_t g)
{
    return tg_gate_scale(y, p->output_offset, g, p->gate_input_offset, p->gate_multiplier, p->gate_shift,
                         p->gate_output_offset, p->gate_act_min, p->gate_act_max);
}

#endif /* TG_CONV2D_GATED_H */
