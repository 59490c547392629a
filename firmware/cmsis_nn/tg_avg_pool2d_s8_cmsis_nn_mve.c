/*
 * tg_avg_pool2d_s8 through CMSIS-NN's arm_avgpool_s8 on cores with Helium: the same call as
 * tg_avg_pool2d_s8_cmsis_nn, whose MVE path needs no buffer.
 */
#include "tg_cmsis_nn.h"

#include <stddef.h>

void tg_avg_pool2d_s8_cmsis_nn_mve(const tg_pool2d_params_t *p, const int8_t *input, int8_t *output)
{
    tg_avg_pool2d_s8_cmsis_nn(p, input, NULL, output);
}
