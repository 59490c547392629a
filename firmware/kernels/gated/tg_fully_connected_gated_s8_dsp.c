/*
 * tg_fully_connected_gated_s8_dsp: gated fully connected layer for ARMv7E-M (see
 * tg_kernels_gating.h and tg_fully_connected_gated_s8_dsp.h): the input row widened once,
 * then only the outputs the gate kept, two at a time; the work scales with the outputs kept.
 * numpy twin: tinygen.gating.ref.fully_connected_gated_s8.
 * Needs __ARM_FEATURE_DSP (-mcpu=cortex-m4 / cortex-m7).
 */
#include "tg_fully_connected_gated_s8_dsp.h"

void tg_fully_connected_gated_s8_dsp(const tg_fully_connected_gated_params_t *p, const int8_t *input,
                                     const int8_t *gate, const int8_t *weights, const int32_t *bias,
                                     const int32_t *multiplier, const int8_t *shift, int8_t *scratch,
                                     int8_t *output)
{
    /* the general requantization unless every output meets tg_requantize_bounded's preconditions */
    const tg_mat_mult_quant_t q = tg_mat_mult_quant(p->input_offset, p->output_offset, p->act_min, p->act_max,
                                                    p->in_features, p->out_features, bias, multiplier, shift);
    if (q.bounded) {
        tg_fully_connected_gated_s8_dsp_inline(p, 1, input, gate, weights, bias, multiplier, shift, scratch, output);
    } else {
        tg_fully_connected_gated_s8_dsp_inline(p, 0, input, gate, weights, bias, multiplier, shift, scratch, output);
    }
}
