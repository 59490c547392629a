/* tg_svdf_s8 (int16 state and time weights, state zero point 0) through CMSIS-NN's
 * arm_svdf_state_s16_s8, as TFLite Micro's CMSIS-NN SVDF calls it. */
#include "tg_cmsis_nn.h"

#include <stddef.h>

#include "arm_nnfunctions.h"
#include "tg_kernels_recurrent.h"

void tg_svdf_s8_cmsis_nn(const tg_svdf_params_t *p, const int8_t *input, const int8_t *weights_feature,
                         const int16_t *weights_time, const int32_t *bias, int8_t *state, int8_t *scratch,
                         int8_t *output)
{
    /* scratch: B x filters int32, then B x units int32 */
    const cmsis_nn_context in_ctx = {scratch, 4 * p->batches * p->filters};
    const cmsis_nn_context out_ctx = {scratch + 4 * p->batches * p->filters, 4 * p->batches * p->units};
    const cmsis_nn_svdf_params params = {
        .rank = p->rank,
        .input_offset = p->input_zero_point,
        .output_offset = p->output_zero_point,
        .input_activation = {.min = INT16_MIN, .max = INT16_MAX},
        .output_activation = {.min = INT8_MIN, .max = INT8_MAX},
    };
    const cmsis_nn_per_tensor_quant_params in_quant = {p->mult1, p->shift1};
    const cmsis_nn_per_tensor_quant_params out_quant = {p->mult2, p->shift2};
    const cmsis_nn_dims input_dims = {.n = p->batches, .h = p->input_size, .w = 1, .c = 1};
    const cmsis_nn_dims state_dims = {.n = p->batches, .h = p->filters * p->memory, .w = 1, .c = 1};
    const cmsis_nn_dims feature_dims = {.n = p->filters, .h = p->input_size, .w = 1, .c = 1};
    const cmsis_nn_dims time_dims = {.n = p->filters, .h = p->memory, .w = 1, .c = 1};
    const cmsis_nn_dims bias_dims = {.n = p->units, .h = 1, .w = 1, .c = 1};
    const cmsis_nn_dims output_dims = {.n = p->batches, .h = p->units, .w = 1, .c = 1};
    /* the code generator passes only arguments CMSIS-NN accepts: the status is SUCCESS */
    (void)arm_svdf_state_s16_s8(&in_ctx, &out_ctx, &params, &in_quant, &out_quant, &input_dims, input, &state_dims,
                                (int16_t *)(void *)state, &feature_dims, weights_feature, &time_dims, weights_time,
                                &bias_dims, bias, &output_dims, output);
}
