/* tg_add_s16 through CMSIS-NN's arm_elementwise_add_s16 (TFLite ADD parameters, left_shift 15). */
#include "tg_cmsis_nn.h"

#include "arm_nnfunctions.h"

void tg_add_s16_cmsis_nn(const tg_add_params_t *p, const int16_t *input1, const int16_t *input2,
                         int16_t *output)
{
    /* the offsets are 0 (CMSIS-NN ignores them); the status is SUCCESS */
    (void)arm_elementwise_add_s16(input1, input2,
                                  p->input1_offset, p->input1_multiplier, p->input1_shift,
                                  p->input2_offset, p->input2_multiplier, p->input2_shift,
                                  p->left_shift, output,
                                  p->output_offset, p->output_multiplier, p->output_shift,
                                  p->act_min, p->act_max, p->size);
}
