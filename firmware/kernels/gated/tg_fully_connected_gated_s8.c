/*
 * tg_fully_connected_gated_s8: portable gated fully connected layer (see
 * tg_kernels_gating.h): only the outputs the gate kept are computed, each as
 * tg_fully_connected_s8 computes it, then scaled by its gate value.
 * numpy twin: tinygen.gating.ref.fully_connected_gated_s8.
 */
#include <stddef.h>

#include "tg_conv2d_gated.h"

void tg_fully_connected_gated_s8(const tg_fully_connected_gated_params_t *p, const int8_t *input,
                                 const int8_t *gate, const int8_t *weights, const int32_t *bias,
                                 const int32_t *multiplier, const int8_t *shift, int8_t *output)
{
    const int32_t gate_zero = -p->gate_input_offset;
    int32_t dropped = p->gate_output_offset, r, o, i;

    dropped = dropped < p->gate_act_min ? p->gate_act_min : dropped;
    dropped = dropped > p->gate_act_max ? p->gate_act_max : dropped;
    for (r = 0; r < p->rows; ++r, input += p->in_features) {
        for (o = 0; o < p->out_features; ++o) {
            const int8_t *w = &weights[o * p->in_features];
            int32_t acc = 0;
            if (gate[o] == gate_zero) {
                *output++ = (int8_t)dropped;
                continue;
            }
            for (i = 0; i < p->in_features; ++i) {
                acc += (int32_t)w[i] * ((int32_t)input[i] + p->input_offset);
            }
            if (bias != NULL) {
                acc += bias[o];
            }
            acc = tg_requantize(acc, multiplier[o], shift[o]) + p->output_offset;
            acc = acc < p->act_min ? p->act_min : acc;
            acc = acc > p->act_max ? p->act_max : acc;
            *output++ = tg_gate_scale(acc, p->output_offset, gate[o], p->gate_input_offset, p->gate_multiplier,
                                      p->gate_shift, p->gate_output_offset, p->gate_act_min, p->gate_act_max);
        }
    }
}
