/* tg_depthwise_conv2d_s8 through ESP-NN's esp_nn_depthwise_conv_s8. */
#include "tg_esp_nn.h"

#include "tg_esp_nn_args.h"

void tg_depthwise_conv2d_s8_esp_nn(const tg_conv2d_params_t *p, const int8_t *input,
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
