/*
 * tg_conv2d_gated_s8: portable gated 2-D convolution (see tg_kernels_gating.h): only the
 * channels the gate kept are computed, each one output at a time as tg_conv2d_s8 does
 * (every input channel: it takes in_gate for the DSP kernel's signature only).
 * numpy twin: tinygen.gating.ref.conv2d_gated_s8.
 */
#include "tg_conv2d_gated.h"
#include "tg_conv2d_s8.h"

void tg_conv2d_gated_s8(const tg_conv2d_gated_params_t *p, const int8_t *input, const int8_t *gate,
                        const int8_t *in_gate, const int8_t *weights, const int32_t *bias, const int32_t *multiplier,
                        const int8_t *shift, int8_t *output)
{
    const tg_conv2d_params_t conv = tg_conv2d_gated_conv(p);
    const int8_t dropped = tg_conv2d_gated_dropped(p);
    const int32_t gate_zero = -p->gate_input_offset;
    int32_t y, x, oc;

    (void)in_gate;      /* the dropped input channels add 0: the portable kernel reads them all */

    for (y = 0; y < p->out_h; ++y) {
        for (x = 0; x < p->out_w; ++x) {
            for (oc = 0; oc < p->out_c; ++oc) {
                if (gate[oc] == gate_zero) {
                    *output++ = dropped;
                } else {
                    const int8_t v = tg_conv2d_s8_output(&conv, input, weights, bias, multiplier, shift, y, x, oc);
                    *output++ = tg_conv2d_gated_scale(p, v, gate[oc]);
                }
            }
        }
    }
}
