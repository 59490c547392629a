/*
 * tg_mul_s16: portable elementwise multiply with broadcasting, int16 (16x8 models).
 * Mirrors TFLite's reference_integer_ops::MulElementwise / BroadcastMul6DSlow:
 * the product of the offset inputs is requantized with one multiplier
 * (input1_scale * input2_scale / output_scale). The output is walked as the
 * rank-4 shape in the params; each operand is read through its strides.
 * Parameters come from tinygen.quant.op_params.mul_params (the offsets are 0: int16 is
 * symmetric).
 * numpy twin: tinygen.ref.int16.mul_s16.
 */
#include "tg_broadcast_pair_s16.h"
#include "tg_kernels.h"
#include "tg_requant.h"

static int32_t mul_element(const void *params, int32_t a, int32_t b)
{
    const tg_mul_params_t *p = (const tg_mul_params_t *)params;
    /* |product| <= 2^30: no overflow */
    return tg_requantize((a + p->input1_offset) * (b + p->input2_offset), p->output_multiplier, p->output_shift) +
           p->output_offset;
}

void tg_mul_s16(const tg_mul_params_t *p, const int16_t *input1, const int16_t *input2, int16_t *output)
{
    tg_broadcast_pair_s16(p, p->shape, p->input1_strides, p->input2_strides, p->act_min, p->act_max, input1, input2,
                          output, mul_element);
}
