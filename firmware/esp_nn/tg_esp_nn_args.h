/*
 * Internal to the ESP-NN adapters: tinygen's conv parameters as ESP-NN's dims
 * (static inline, one definition per adapter that uses them).
 */
#ifndef TG_ESP_NN_ARGS_H
#define TG_ESP_NN_ARGS_H

#include "tg_kernels.h"

#include "esp_nn.h"

/* A conv / depthwise geometry: input, filter and output dims (batch 1, NHWC). */
typedef struct {
    data_dims_t input, filter, output;
} tg_esp_nn_conv_dims_t;

static inline tg_esp_nn_conv_dims_t tg_esp_nn_conv_dims(const tg_conv2d_params_t *p)
{
    const tg_esp_nn_conv_dims_t d = {
        .input = {.width = p->in_w, .height = p->in_h, .channels = p->in_c, .extra = 1},
        .filter = {.width = p->kernel_w, .height = p->kernel_h, .channels = p->in_c, .extra = p->out_c},
        .output = {.width = p->out_w, .height = p->out_h, .channels = p->out_c, .extra = 1},
    };
    return d;
}

#endif /* TG_ESP_NN_ARGS_H */
