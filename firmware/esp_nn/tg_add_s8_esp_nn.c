/* tg_add_s8 through ESP-NN's esp_nn_add_elementwise_s8. */
#include "tg_esp_nn.h"

#include "esp_nn.h"

void tg_add_s8_esp_nn(const tg_add_params_t *p, const int8_t *input1, const int8_t *input2,
                      int8_t *output)
{
    esp_nn_add_elementwise_s8(input1, input2, p->input1_offset, p->input2_offset,
                              p->input1_multiplier, p->input2_multiplier, p->input1_shift,
                              p->input2_shift, p->left_shift, output, p->output_offset,
                              p->output_multiplier, p->output_shift, p->act_min, p->act_max, p->size);
}
