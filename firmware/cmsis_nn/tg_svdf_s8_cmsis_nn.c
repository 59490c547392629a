/* tg_svdf_s8 (int16 state and time weights, state zero point 0) through CMSIS-NN's
 * arm_svdf_state_s16_s8, as TFLite Micro's CMSIS-NN SVDF calls it. */
#include "tg_cmsis_nn.h"

#include <stddef.h>

#include "arm_nnfunctions.h"
#include "tg_kernels_recurrent.h"
#include "tg_cmsis_nn_args.h"

void tg_svdf_s8_cmsis_nn(const tg_svdf_params_t *p, const int8_t *input, const int8_t *weights_feature,
                         const int16_t *weights_time, const int32_t *bias, int8_t *state, int8_t *scratch,
                         int8_t *output)
{
    /* its context needs no buffer (arm_svdf_s8_get_buffer_size_dsp is 0) */
    const tg_cmsis_svdf_t a = tg_cmsis_svdf(p, scratch, INT16_MIN, INT16_MAX);
    /* the code generator passes only arguments CMSIS-NN accepts: the status is SUCCESS */
    (void)arm_svdf_state_s16_s8(&a.in_ctx, &a.out_ctx, &a.params, &a.in_quant, &a.out_quant, &a.input, input,
                                &a.state, (int16_t *)(void *)state, &a.feature, weights_feature, &a.time,
                                weights_time, &a.bias, bias, &a.output, output);
}
