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

/* The gate folded into a channel's requantization (numpy twin tinygen.gating.ref.gate_fold):
 * (multiplier, shift) times (gate_multiplier, gate_shift) times g (the gate value plus its
 * offset, |g| <= 255) as one Q31 multiplier *m and shift *s. P = multiplier * gate_multiplier
 * in 64 bits, m1 = (P + 2^30) >> 31, Q = m1 * g, |Q| renormalized to [2^30, 2^31) by e bits
 * (a right shift rounds half up; 2^31 halves, e + 1), sign put back, *s = shift + gate_shift
 * + e; a zero Q or *s < -31 gives (0, 0). Once per kept channel per call, not per pixel. */
static inline void tg_gate_fold(int32_t multiplier, int32_t shift, int32_t g, int32_t gate_multiplier,
                                int32_t gate_shift, int32_t *m, int32_t *s)
{
    /* |m1| <= 2^31 - 1 for a gate multiplier in [0, 2^31); |Q| < 2^39 */
    const int32_t m1 = (int32_t)(((int64_t)multiplier * gate_multiplier + ((int64_t)1 << 30)) >> 31);
    const int64_t q = (int64_t)m1 * g;
    const uint64_t mag64 = q < 0 ? (uint64_t)-q : (uint64_t)q;
    const uint32_t hi = (uint32_t)(mag64 >> 32), lo = (uint32_t)mag64;
    uint32_t mag;
    int32_t e, out_shift;
    *m = 0;
    *s = 0;
    if (mag64 == 0) {
        return;
    }
    if (hi == 0 && lo < 0x80000000u) {     /* |Q| < 2^31: left by e <= 0, 32-bit */
        e = 1 - __builtin_clz(lo);
        mag = lo << -e;
    } else {                                /* e in [1, 9]: round half up, 2^31 halves */
        uint32_t half;
        e = hi == 0 ? 1 : 33 - __builtin_clz(hi);
        half = e == 1 ? lo : (lo >> (e - 1)) | (hi << (33 - e));   /* |Q| >> (e - 1) < 2^32 */
        mag = (half >> 1) + (half & 1u);
        if (mag == 0x80000000u) {
            mag >>= 1;
            ++e;
        }
    }
    out_shift = shift + gate_shift + e;
    if (out_shift >= -31) {
        *m = q < 0 ? -(int32_t)mag : (int32_t)mag;
        *s = out_shift;
    }
}

/*
 * tg_gate_fold where Q = m1 * g' > 0 (|Q| < 2^39), m1 = (multiplier * gate_multiplier +
 * 2^30) >> 31 and base = 33 + gate_shift + shift given (tg_depthwise_conv2d_gated_s8_dsp packs
 * both at build time): returns the folded multiplier and sets *n = -(the folded shift). The
 * two renormalization branches are one: with z the leading zeros of Q as 64 bits and top
 * the 32 bits of Q << z from bit 63 down, e = 33 - z and the multiplier is (top >> 1) +
 * (top & 1) (for Q < 2^31 top's bit 0 is 0 and this is Q << (z - 33) exactly; above, Q / 2^e
 * rounded half up from the bit below; 2^31 halves, e + 1). No cut-off: tg_gate_fold gives
 * (0, 0) where *n > 31.
 */
static inline uint32_t tg_gate_fold_positive(int64_t q, int32_t base, int32_t *n)
{
    const uint32_t hi = (uint32_t)((uint64_t)q >> 32), lo = (uint32_t)q;
    uint32_t top, mag;
    int32_t z;
    if (hi != 0) {              /* hi < 2^7: z in [25, 31] */
        z = __builtin_clz(hi);
        top = (hi << z) | (lo >> (32 - z));
    } else {
        z = __builtin_clz(lo);
        top = lo << z;
        z += 32;
    }
    mag = (top >> 1) + (top & 1u);
    *n = z - base;
    if (mag == 0x80000000u) {
        mag = 0x40000000u;
        --*n;
    }
    return mag;
}

/* The folded layer's clamp (tinygen.gating.ref.gate_fold_clamp): the gate's, raised to the
 * output zero point when the convolution's clamp starts at or above its zero point (ReLU). */
static inline void tg_gate_fold_clamp(const tg_conv2d_gated_params_t *p, int32_t *lo, int32_t *hi)
{
    *lo = p->gate_act_min;
    *hi = p->gate_act_max;
    if (p->act_min >= p->output_offset && p->gate_output_offset > *lo) {
        *lo = p->gate_output_offset;
    }
}

/* The output of a dropped channel in the folded layer: the output zero point, clamped. */
static inline int8_t tg_gate_fold_dropped(const tg_conv2d_gated_params_t *p)
{
    int32_t lo, hi, out = p->gate_output_offset;
    tg_gate_fold_clamp(p, &lo, &hi);
    out = out < lo ? lo : out;
    out = out > hi ? hi : out;
    return (int8_t)out;
}

#endif /* TG_CONV2D_GATED_H */
