/*
 * tg_sub_s8: a - b with broadcasting, int8 (TFLite's int8 SUB, reference_ops::Sub and
 * BroadcastQuantSubSlow): both operands shifted left by 20 and rescaled to a common scale,
 * subtracted, rescaled to the output, clamped to [act_min, act_max]. Parameters: the
 * broadcasting add's struct, tinygen.quant.attention_params.sub_params (TFLM computes them in
 * float32). numpy twin: tinygen.ref.attention.sub_s8.
 */
#include "tg_broadcast_pair_s8.h"
#include "tg_kernels.h"
#include "tg_requant.h"

static int32_t sub_element(const tg_add_broadcast_params_t *p, int32_t a, int32_t b)
{
    const int32_t diff = tg_pair_scaled(a, p->input1_offset, p->left_shift, p->input1_multiplier, p->input1_shift) -
                         tg_pair_scaled(b, p->input2_offset, p->left_shift, p->input2_multiplier, p->input2_shift);
    return tg_requantize_smaller_than_one_exp(diff, p->output_multiplier, p->output_shift) + p->output_offset;
}

void tg_sub_s8(const tg_add_broadcast_params_t *p, const int8_t *input1, const int8_t *input2, int8_t *output)
{
    tg_broadcast_pair_s8(p, input1, input2, output, sub_element);
}
