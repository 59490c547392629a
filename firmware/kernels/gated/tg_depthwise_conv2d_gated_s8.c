/*
 * tg_depthwise_conv2d_gated_s8: portable gated depthwise convolution, depth multiplier 1
 * (see tg_kernels_gating.h): only the channels the gate kept are computed, each accumulator
 * as tg_depthwise_conv2d_s8 computes it, requantized once with the channel's multiplier and
 * shift folded with its gate value (tg_gate_fold, once per kept channel per call); a dropped
 * channel's input is never read. numpy twin: tinygen.gating.ref.depthwise_conv2d_gated_s8.
 */
#include <stddef.h>

#include "tg_conv2d_gated.h"

/* One output (depth multiplier 1): channel c at output pixel (oy, ox), requantized with the
 * folded (m, s), offset by the gate's output offset, clamped to [lo, hi]. */
static int32_t tg_dw_gated_output(const tg_conv2d_gated_params_t *p, const int8_t *input, const int8_t *weights,
                                  const int32_t *bias, int32_t m, int32_t s, int32_t lo, int32_t hi,
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
    acc = tg_requantize(acc, m, s) + p->gate_output_offset;
    acc = acc < lo ? lo : acc;
    return acc > hi ? hi : acc;
}

void tg_depthwise_conv2d_gated_s8(const tg_conv2d_gated_params_t *p, const int8_t *input, const int8_t *gate,
                                  const int8_t *weights, const int32_t *bias, const int32_t *multiplier,
                                  const int8_t *shift, int8_t *output)
{
    const int8_t dropped = tg_gate_fold_dropped(p);
    const int32_t gate_zero = -p->gate_input_offset;
    int32_t y, x, c, lo, hi;

    tg_gate_fold_clamp(p, &lo, &hi);
    for (c = 0; c < p->out_c; ++c) {     /* channel by channel: one fold per kept channel */
        int8_t *out = output + c;
        int32_t m = 0, s = 0;
        const int32_t kept = gate[c] != gate_zero;
        if (kept) {
            tg_gate_fold(multiplier[c], shift[c], gate[c] + p->gate_input_offset, p->gate_multiplier,
                         p->gate_shift, &m, &s);
        }
        for (y = 0; y < p->out_h; ++y) {
            for (x = 0; x < p->out_w; ++x, out += p->out_c) {
                *out = kept ? (int8_t)tg_dw_gated_output(p, input, weights, bias, m, s, lo, hi, y, x, c) : dropped;
            }
        }
    }
}
