/* tg_mul_s8 (same-shape operands) through ESP-NN's esp_nn_mul_elementwise_s8. */
#include "tg_esp_nn.h"

#include "esp_nn.h"

void tg_mul_s8_esp_nn(const tg_mul_params_t *p, const int8_t *input1, const int8_t *input2,
                      int8_t *output)
{
    const int32_t size = p->shape[0] * p->shape[1] * p->shape[2] * p->shape[3];
    esp_nn_mul_elementwise_s8(input1, input2, p->input1_offset, p->input2_offset, output,
                              p->output_offset, p->output_multiplier, p->output_shift, p->act_min,
                              p->act_max, size);
}
