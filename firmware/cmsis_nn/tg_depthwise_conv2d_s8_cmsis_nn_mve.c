/*
 * tg_depthwise_conv2d_s8 through CMSIS-NN's arm_depthwise_conv_wrapper_s8 on cores with
 * Helium: the same call as tg_depthwise_conv2d_s8_cmsis_nn, which CMSIS-NN built for MVE runs
 * on its Helium paths, with scratch of the size the wrapper's MVE build asks for.
 */
#include "tg_cmsis_nn.h"

void tg_depthwise_conv2d_s8_cmsis_nn_mve(const tg_conv2d_params_t *p, const int8_t *input,
                                         const int8_t *weights, const int32_t *bias,
                                         const int32_t *multiplier, const int32_t *shift,
                                         int8_t *scratch, int8_t *output)
{
    tg_depthwise_conv2d_s8_cmsis_nn(p, input, weights, bias, multiplier, shift, scratch, output);
}
