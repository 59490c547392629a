/*
 * Internal to the CMSIS-NN adapters: tinygen's parameter structs as CMSIS-NN's argument
 * structs (static inline, one definition per adapter that uses them).
 */
#ifndef TG_CMSIS_NN_ARGS_H
#define TG_CMSIS_NN_ARGS_H

#include "tg_kernels.h"

#include "arm_nnfunctions.h"

/* A conv / depthwise geometry: input, bias and output dims (batch 1, NHWC). */
typedef struct {
    cmsis_nn_dims input, bias, output;
} tg_cmsis_conv_dims_t;

static inline tg_cmsis_conv_dims_t tg_cmsis_conv_dims(const tg_conv2d_params_t *p)
{
    const tg_cmsis_conv_dims_t d = {
        .input = {.n = 1, .h = p->in_h, .w = p->in_w, .c = p->in_c},
        .bias = {.n = 1, .h = 1, .w = 1, .c = p->out_c},
        .output = {.n = 1, .h = p->out_h, .w = p->out_w, .c = p->out_c},
    };
    return d;
}

/* A convolution's parameters: TFLite's, as CMSIS-NN takes them. */
static inline cmsis_nn_conv_params tg_cmsis_conv_params(const tg_conv2d_params_t *p)
{
    const cmsis_nn_conv_params conv = {
        .input_offset = p->input_offset,
        .output_offset = p->output_offset,
        .stride = {.w = p->stride_w, .h = p->stride_h},
        .padding = {.w = p->pad_left, .h = p->pad_top},
        .dilation = {.w = p->dilation_w, .h = p->dilation_h},
        .activation = {.min = p->act_min, .max = p->act_max},
    };
    return conv;
}

/* A depthwise convolution's parameters, likewise. */
static inline cmsis_nn_dw_conv_params tg_cmsis_dw_conv_params(const tg_conv2d_params_t *p)
{
    const cmsis_nn_dw_conv_params conv = {
        .input_offset = p->input_offset,
        .output_offset = p->output_offset,
        .ch_mult = p->depth_multiplier,
        .stride = {.w = p->stride_w, .h = p->stride_h},
        .padding = {.w = p->pad_left, .h = p->pad_top},
        .dilation = {.w = p->dilation_w, .h = p->dilation_h},
        .activation = {.min = p->act_min, .max = p->act_max},
    };
    return conv;
}

/* A pooling window: its parameters and input, window and output dims. */
typedef struct {
    cmsis_nn_pool_params params;
    cmsis_nn_dims input, filter, output;
} tg_cmsis_pool_t;

static inline tg_cmsis_pool_t tg_cmsis_pool(const tg_pool2d_params_t *p)
{
    const tg_cmsis_pool_t pool = {
        .params = {
            .stride = {.w = p->stride_w, .h = p->stride_h},
            .padding = {.w = p->pad_left, .h = p->pad_top},
            .activation = {.min = p->act_min, .max = p->act_max},
        },
        .input = {.n = 1, .h = p->in_h, .w = p->in_w, .c = p->channels},
        .filter = {.n = 1, .h = p->kernel_h, .w = p->kernel_w, .c = 1},
        .output = {.n = 1, .h = p->out_h, .w = p->out_w, .c = p->channels},
    };
    return pool;
}

/* A fully connected layer: its parameters (no filter offset) and input, filter, bias and output dims. */
typedef struct {
    cmsis_nn_fc_params params;
    cmsis_nn_dims input, filter, bias, output;
} tg_cmsis_fc_t;

static inline tg_cmsis_fc_t tg_cmsis_fc(const tg_fully_connected_params_t *p)
{
    const tg_cmsis_fc_t fc = {
        .params = {
            .input_offset = p->input_offset,
            .filter_offset = 0,
            .output_offset = p->output_offset,
            .activation = {.min = p->act_min, .max = p->act_max},
        },
        .input = {.n = p->rows, .h = 1, .w = 1, .c = p->in_features},
        /* n: the accumulation depth, c: the output features */
        .filter = {.n = p->in_features, .h = 1, .w = 1, .c = p->out_features},
        .bias = {.n = 1, .h = 1, .w = 1, .c = p->out_features},
        .output = {.n = p->rows, .h = 1, .w = 1, .c = p->out_features},
    };
    return fc;
}

#endif /* TG_CMSIS_NN_ARGS_H */
