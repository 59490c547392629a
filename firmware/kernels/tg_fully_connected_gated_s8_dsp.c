/*
 * tg_fully_connected_gated_s8_dsp: gated fully connected layer for ARMv7E-M (see
 * tg_kernels_gating.h). Weight rows are contiguous per output, so each run of consecutive
 * kept outputs is one tg_fully_connected_s8_dsp call (one row at a time: no scratch) over
 * those rows, written in place in the output and then scaled by the gate: the work scales
 * with the outputs kept. numpy twin: tinygen.gating.ref.fully_connected_gated_s8.
 * Needs __ARM_FEATURE_DSP (-mcpu=cortex-m4 / cortex-m7).
 */
#include <stddef.h>

#include "tg_conv2d_gated.h"

void tg_fully_connected_gated_s8_dsp(const tg_fully_connected_gated_params_t *p, const int8_t *input,
                                     const int8_t *gate, const int8_t *weights, const int32_t *bias,
                                     const int32_t *multiplier, const int32_t *shift, int8_t *output)
{
    const int32_t gate_zero = -p->gate_input_offset, n = p->out_features, in = p->in_features;
    int32_t dropped = p->gate_output_offset, r, o;

    dropped = dropped < p->gate_act_min ? p->gate_act_min : dropped;
    dropped = dropped > p->gate_act_max ? p->gate_act_max : dropped;
    for (r = 0; r < p->rows; ++r, input += in, output += n) {
        o = 0;
        while (o < n) {
            int32_t end = o, k;
            if (gate[o] == gate_zero) {
                output[o++] = (int8_t)dropped;
                continue;
            }
            while (end < n && gate[end] != gate_zero) {
                ++end;
            }
            {
                const tg_fully_connected_params_t run = {1, in, end - o, p->input_offset, p->output_offset,
                                                         p->act_min, p->act_max};
                tg_fully_connected_s8_dsp(&run, input, &weights[o * in], bias != NULL ? &bias[o] : NULL,
                                          &multiplier[o], &shift[o], NULL, &output[o]);
            }
            for (k = o; k < end; ++k) {
                output[k] = tg_gate_scale_fast(output[k] - p->output_offset, gate[k] + p->gate_input_offset,
                                               p->gate_multiplier, p->gate_shift, p->gate_output_offset,
                                               p->gate_act_min, p->gate_act_max);
            }
            o = end;
        }
    }
}
