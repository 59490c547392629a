/* tg_add_s8 through CMSIS-NN's arm_elementwise_add_s8 (TFLite ADD parameters as they are). */
#include "tg_cmsis_nn.h"

#include "arm_nnfunctions.h"

void tg_add_s8_cmsis_nn(const tg_add_params_t *p, const int8_t *input1, const int8_t *input2,
                        int8_t *output)
{
    /* the code generator passes only arguments CMSIS-NN accepts: the status is SUCCESS */
    (void)arm_elementwise_add_s8(input1, input2,
                                 p->input1_offset, p->input1_multiplier, p->input1_shift,
                                 p->input2_offset, p->input2_multiplier, p->input2_shift,
                                 p->left_shift, output,
                                 p->output_offset, p->output_multiplier, p->output_shift,
                                 p->act_min, p->act_max, p->size);
}
