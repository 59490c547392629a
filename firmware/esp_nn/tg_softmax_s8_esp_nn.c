/* tg_softmax_s8 through ESP-NN's esp_nn_softmax_s8. */
#include "tg_esp_nn.h"

#include "esp_nn.h"

void tg_softmax_s8_esp_nn(const tg_softmax_params_t *p, const int8_t *input, int8_t *scratch,
                          int8_t *output)
{
    esp_nn_set_softmax_scratch_buf(scratch);
    esp_nn_softmax_s8(input, p->rows, p->depth, p->input_multiplier, p->input_left_shift,
                      p->diff_min, output);
}
