/* tg_mul_s16 through CMSIS-NN's arm_elementwise_mul_s16, for operands of the output's shape. */
#include "tg_cmsis_nn.h"

#include "arm_nnfunctions.h"

void tg_mul_s16_cmsis_nn(const tg_mul_params_t *p, const int16_t *input1, const int16_t *input2,
                         int16_t *output)
{
    const int32_t size = p->shape[0] * p->shape[1] * p->shape[2] * p->shape[3];
    /* the offsets are 0 (CMSIS-NN ignores them); the status is SUCCESS */
    (void)arm_elementwise_mul_s16(input1, input2, p->input1_offset, p->input2_offset, output,
                                  p->output_offset, p->output_multiplier, p->output_shift,
                                  p->act_min, p->act_max, size);
}
