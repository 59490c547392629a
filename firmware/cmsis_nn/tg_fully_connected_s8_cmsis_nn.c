/* tg_fully_connected_s8 (per-tensor quantization) through CMSIS-NN's arm_fully_connected_s8. */
#include "tg_cmsis_nn.h"

#include <stddef.h>

#include "arm_nnfunctions.h"

void tg_fully_connected_s8_cmsis_nn(const tg_fully_connected_params_t *p, const int8_t *input,
                                    const int8_t *weights, const int32_t *bias,
                                    const int32_t *multiplier, const int32_t *shift,
                                    int8_t *output)
{
    const cmsis_nn_fc_params fc = {
        .input_offset = p->input_offset,
        .filter_offset = 0,
        .output_offset = p->output_offset,
        .activation = {.min = p->act_min, .max = p->act_max},
    };
    const cmsis_nn_per_tensor_quant_params quant = {multiplier[0], shift[0]};
    const cmsis_nn_dims input_dims = {.n = p->rows, .h = 1, .w = 1, .c = p->in_features};
    /* n: the accumulation depth, c: the output features */
    const cmsis_nn_dims filter_dims = {.n = p->in_features, .h = 1, .w = 1, .c = p->out_features};
    const cmsis_nn_dims bias_dims = {.n = 1, .h = 1, .w = 1, .c = p->out_features};
    const cmsis_nn_dims output_dims = {.n = p->rows, .h = 1, .w = 1, .c = p->out_features};
    /* no buffer on cores without MVE (arm_fully_connected_s8_get_buffer_size_dsp is 0) */
    const cmsis_nn_context ctx = {NULL, 0};
    /* the code generator passes only arguments CMSIS-NN accepts: the status is SUCCESS */
    (void)arm_fully_connected_s8(&ctx, &fc, &quant, &input_dims, input, &filter_dims, weights,
                                 &bias_dims, bias, &output_dims, output);
}
