/* tg_svdf_s8_s8 (int8 state and time weights) through CMSIS-NN's arm_svdf_s8, for a state whose zero
 * point is 0: arm_svdf_s8 reads the state without a zero point. The feature product is saturated to
 * int8, as TFLite Micro's reference kernel does (its CMSIS-NN SVDF saturates it to int16 and stores
 * the low byte). */
#include "tg_cmsis_nn.h"

#include <stddef.h>

#include "arm_nnfunctions.h"
#include "tg_kernels_recurrent.h"
#include "tg_cmsis_nn_args.h"

void tg_svdf_s8_s8_cmsis_nn(const tg_svdf_params_t *p, const int8_t *input, const int8_t *weights_feature,
                            const int8_t *weights_time, const int32_t *bias, int8_t *state, int8_t *scratch,
                            int8_t *output)
{
    /* the kernel-sum context is empty off Helium (arm_svdf_s8_get_buffer_size_dsp is 0) */
    const cmsis_nn_context ctx = {NULL, 0};
    const tg_cmsis_svdf_t a = tg_cmsis_svdf(p, scratch, INT8_MIN, INT8_MAX);
    /* the code generator passes only arguments CMSIS-NN accepts: the status is SUCCESS */
    (void)arm_svdf_s8(&ctx, &a.in_ctx, &a.out_ctx, &a.params, &a.in_quant, &a.out_quant, &a.input, input, &a.state,
                      state, &a.feature, weights_feature, &a.time, weights_time, &a.bias, bias, &a.output, output);
}
