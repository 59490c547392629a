/* tg_softmax_s8 through CMSIS-NN's arm_softmax_s8 (TFLite SOFTMAX parameters as they are). */
#include "tg_cmsis_nn.h"

#include "arm_nnfunctions.h"

void tg_softmax_s8_cmsis_nn(const tg_softmax_params_t *p, const int8_t *input, int8_t *output)
{
    arm_softmax_s8(input, p->rows, p->depth, p->input_multiplier, p->input_left_shift, p->diff_min, output);
}
