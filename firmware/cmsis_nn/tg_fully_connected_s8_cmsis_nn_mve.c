/*
 * tg_fully_connected_s8 (per-tensor quantization) through CMSIS-NN's arm_fully_connected_s8
 * on cores with Helium, whose path reads the kernel sums from the context buffer.
 */
#include "tg_cmsis_nn.h"

#include <stddef.h>

#include "tg_cmsis_nn_args.h"

void tg_fully_connected_s8_cmsis_nn_mve(const tg_fully_connected_params_t *p, const int8_t *input,
                                        const int8_t *weights, const int32_t *kernel_sums,
                                        const int32_t *multiplier, const int32_t *shift,
                                        int8_t *output)
{
    const tg_cmsis_fc_t fc = tg_cmsis_fc(p);
    const cmsis_nn_per_tensor_quant_params quant = {multiplier[0], shift[0]};
    /* CMSIS-NN only reads the buffer (arm_fully_connected_s8_get_buffer_size_mve's bytes) */
    const cmsis_nn_context ctx = {(void *)kernel_sums, p->out_features * (int32_t)sizeof(int32_t)};
    /* the MVE path reads no bias: it starts from the kernel sums, which hold it */
    (void)arm_fully_connected_s8(&ctx, &fc.params, &quant, &fc.input, input, &fc.filter, weights,
                                 &fc.bias, NULL, &fc.output, output);
}
