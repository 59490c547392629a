/* tg_fully_connected_s8 (per-channel quantization) through ESP-NN's esp_nn_fully_connected_per_ch_s8. */
#include "tg_esp_nn.h"

#include "esp_nn.h"

void tg_fully_connected_per_channel_s8_esp_nn(const tg_fully_connected_params_t *p,
                                              const int8_t *input, const int8_t *weights,
                                              const int32_t *bias, const int32_t *multiplier,
                                              const int32_t *shift, int8_t *output)
{
    for (int32_t r = 0; r < p->rows; r++) {
        esp_nn_fully_connected_per_ch_s8(input + r * p->in_features, p->input_offset,
                                         (uint16_t)p->in_features, weights, 0, bias,
                                         output + r * p->out_features, (uint16_t)p->out_features,
                                         p->output_offset, shift, multiplier, p->act_min, p->act_max);
    }
}
