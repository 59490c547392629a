/*
 * tg_fully_connected_s16 (per-tensor quantization: multiplier[0] and shift[0] serve every
 * output feature) through CMSIS-NN's arm_fully_connected_s16 (int64 bias).
 */
#include "tg_cmsis_nn.h"

#include <stddef.h>

#include "tg_cmsis_nn_args.h"

void tg_fully_connected_s16_cmsis_nn(const tg_fully_connected_params_t *p, const int16_t *input,
                                     const int8_t *weights, const int64_t *bias,
                                     const int32_t *multiplier, const int32_t *shift,
                                     int16_t *output)
{
    const tg_cmsis_fc_t fc = tg_cmsis_fc(p);
    const cmsis_nn_per_tensor_quant_params quant = {multiplier[0], shift[0]};
    /* no buffer (arm_fully_connected_s16_get_buffer_size_dsp is 0) */
    const cmsis_nn_context ctx = {NULL, 0};
    /* the code generator passes only arguments CMSIS-NN accepts: the status is SUCCESS */
    (void)arm_fully_connected_s16(&ctx, &fc.params, &quant, &fc.input, input, &fc.filter, weights,
                                  &fc.bias, bias, &fc.output, output);
}
