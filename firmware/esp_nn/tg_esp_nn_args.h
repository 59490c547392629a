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

/* tg_conv2d_s8 by esp_nn_conv_s8 (the adapters tg_conv2d_s8_esp_nn[_esp32s3]). */
static inline void tg_esp_nn_conv2d(const tg_conv2d_params_t *p, const int8_t *input,
                                    const int8_t *weights, const int32_t *bias,
                                    const int32_t *multiplier, const int32_t *shift,
                                    int8_t *scratch, int8_t *output)
{
    const conv_params_t conv = {
        .in_offset = p->input_offset,
        .out_offset = p->output_offset,
        .stride = {.width = p->stride_w, .height = p->stride_h},
        .padding = {.width = p->pad_left, .height = p->pad_top},
        .dilation = {.width = 1, .height = 1},
        .activation = {.min = p->act_min, .max = p->act_max},
    };
    /* ESP-NN's pointers are not const-qualified; it only reads them */
    const quant_data_t quant = {.shift = (int32_t *)shift, .mult = (int32_t *)multiplier};
    const tg_esp_nn_conv_dims_t d = tg_esp_nn_conv_dims(p);
    esp_nn_set_conv_scratch_buf(scratch);
    esp_nn_conv_s8(&d.input, input, &d.filter, weights, bias, &d.output, output, &conv, &quant);
}

/* tg_depthwise_conv2d_s8 by esp_nn_depthwise_conv_s8 (tg_depthwise_conv2d_s8_esp_nn[_esp32s3]). */
static inline void tg_esp_nn_depthwise_conv2d(const tg_conv2d_params_t *p, const int8_t *input,
                                              const int8_t *weights, const int32_t *bias,
                                              const int32_t *multiplier, const int32_t *shift,
                                              int8_t *scratch, int8_t *output)
{
    const dw_conv_params_t conv = {
        .in_offset = p->input_offset,
        .out_offset = p->output_offset,
        .ch_mult = p->depth_multiplier,
        .stride = {.width = p->stride_w, .height = p->stride_h},
        .padding = {.width = p->pad_left, .height = p->pad_top},
        .dilation = {.width = 1, .height = 1},
        .activation = {.min = p->act_min, .max = p->act_max},
    };
    const quant_data_t quant = {.shift = (int32_t *)shift, .mult = (int32_t *)multiplier};
    const tg_esp_nn_conv_dims_t d = tg_esp_nn_conv_dims(p);
    esp_nn_set_depthwise_conv_scratch_buf(scratch);
    esp_nn_depthwise_conv_s8(&d.input, input, &d.filter, weights, bias, &d.output, output, &conv, &quant);
}

#endif /* TG_ESP_NN_ARGS_H */
