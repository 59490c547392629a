/* tg_max_pool2d_s8 through ESP-NN's esp_nn_max_pool_s8. */
#include "tg_esp_nn.h"

#include "esp_nn.h"

void tg_max_pool2d_s8_esp_nn(const tg_pool2d_params_t *p, const int8_t *input, int8_t *output)
{
    esp_nn_max_pool_s8(input, (uint16_t)p->in_w, (uint16_t)p->in_h, output, (uint16_t)p->out_w,
                       (uint16_t)p->out_h, (uint16_t)p->stride_w, (uint16_t)p->stride_h,
                       (uint16_t)p->kernel_w, (uint16_t)p->kernel_h, (uint16_t)p->pad_left,
                       (uint16_t)p->pad_top, p->act_min, p->act_max, (uint16_t)p->channels);
}
