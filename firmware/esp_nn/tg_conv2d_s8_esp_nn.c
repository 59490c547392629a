/* tg_conv2d_s8 through ESP-NN's esp_nn_conv_s8. */
#include "tg_esp_nn.h"

#include "tg_esp_nn_args.h"

void tg_conv2d_s8_esp_nn(const tg_conv2d_params_t *p, const int8_t *input,
                         const int8_t *weights, const int32_t *bias,
                         const int32_t *multiplier, const int32_t *shift,
                         int8_t *scratch, int8_t *output)
{
    tg_esp_nn_conv2d(p, input, weights, bias, multiplier, shift, scratch, output);
}
