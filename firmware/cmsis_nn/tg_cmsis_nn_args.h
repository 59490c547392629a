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

/* ---- recurrent layers: for the adapters that include tg_kernels_recurrent.h before this header ---- */
#ifdef TG_KERNELS_RECURRENT_H

/* An SVDF's arguments to arm_svdf_s8 / arm_svdf_state_s16_s8: the two int32 buffers in `scratch`
 * (B x filters, then B x units), its parameters with the feature product saturated to
 * [state_min, state_max] (the state type's range), its quantization and its dims. */
typedef struct {
    cmsis_nn_context in_ctx, out_ctx;
    cmsis_nn_svdf_params params;
    cmsis_nn_per_tensor_quant_params in_quant, out_quant;
    cmsis_nn_dims input, state, feature, time, bias, output;
} tg_cmsis_svdf_t;

static inline tg_cmsis_svdf_t tg_cmsis_svdf(const tg_svdf_params_t *p, int8_t *scratch, int32_t state_min,
                                            int32_t state_max)
{
    const tg_cmsis_svdf_t svdf = {
        .in_ctx = {scratch, 4 * p->batches * p->filters},
        .out_ctx = {scratch + 4 * p->batches * p->filters, 4 * p->batches * p->units},
        .params = {
            .rank = p->rank,
            .input_offset = p->input_zero_point,
            .output_offset = p->output_zero_point,
            .input_activation = {.min = state_min, .max = state_max},
            .output_activation = {.min = INT8_MIN, .max = INT8_MAX},
        },
        .in_quant = {p->mult1, p->shift1},
        .out_quant = {p->mult2, p->shift2},
        .input = {.n = p->batches, .h = p->input_size, .w = 1, .c = 1},
        .state = {.n = p->batches, .h = p->filters * p->memory, .w = 1, .c = 1},
        .feature = {.n = p->filters, .h = p->input_size, .w = 1, .c = 1},
        .time = {.n = p->filters, .h = p->memory, .w = 1, .c = 1},
        .bias = {.n = p->units, .h = 1, .w = 1, .c = 1},
        .output = {.n = p->batches, .h = p->units, .w = 1, .c = 1},
    };
    return svdf;
}

/* One LSTM gate (g: 0..3 = i, f, g, o in the weight arrays) for arm_lstm_unidirectional_s8 / _s16:
 * its rows of the int8 weights and of the biases (bias and packed: values of `bias_bytes` each,
 * int32 or int64; packed holds the input side's effective biases [4][H], then the hidden side's). */
static inline cmsis_nn_lstm_gate tg_cmsis_lstm_gate(const tg_lstm_params_t *p, int32_t g, const int8_t *w_ih,
                                                    const int8_t *w_hh, const void *bias, const void *packed,
                                                    int32_t bias_bytes, arm_nn_activation_type act)
{
    const int32_t h = p->hidden;
    const cmsis_nn_lstm_gate gate = {
        .input_multiplier = p->in_mult[g],
        .input_shift = p->in_shift[g],
        .input_weights = w_ih + g * h * p->input_size,
        .input_effective_bias = (const int8_t *)packed + g * h * bias_bytes,
        .hidden_multiplier = p->rec_mult[g],
        .hidden_shift = p->rec_shift[g],
        .hidden_weights = w_hh + g * h * h,
        .hidden_effective_bias = (const int8_t *)packed + (4 + g) * h * bias_bytes,
        .bias = (const int8_t *)bias + g * h * bias_bytes,
        .activation_type = act,
    };
    return gate;
}

/* An LSTM layer's parameters (batch-major) as arm_lstm_unidirectional_s8 / _s16 take them. */
static inline cmsis_nn_lstm_params tg_cmsis_lstm_params(const tg_lstm_params_t *p, const int8_t *w_ih,
                                                        const int8_t *w_hh, const void *bias, const void *packed,
                                                        int32_t bias_bytes)
{
    const cmsis_nn_lstm_params params = {
        .time_major = 0,
        .batch_size = p->batches,
        .time_steps = p->steps,
        .input_size = p->input_size,
        .hidden_size = p->hidden,
        .input_offset = p->input_offset,
        .forget_to_cell_multiplier = p->forget_mult,
        .forget_to_cell_shift = p->forget_shift,
        .input_to_cell_multiplier = p->cell_mult,
        .input_to_cell_shift = p->cell_shift,
        .cell_clip = p->cell_clip,
        .cell_scale_power = p->cell_scale_power,
        .output_multiplier = p->output_mult,
        .output_shift = p->output_shift,
        .output_offset = p->hidden_zero_point,
        .forget_gate = tg_cmsis_lstm_gate(p, 1, w_ih, w_hh, bias, packed, bias_bytes, ARM_SIGMOID),
        .input_gate = tg_cmsis_lstm_gate(p, 0, w_ih, w_hh, bias, packed, bias_bytes, ARM_SIGMOID),
        .cell_gate = tg_cmsis_lstm_gate(p, 2, w_ih, w_hh, bias, packed, bias_bytes, ARM_TANH),
        .output_gate = tg_cmsis_lstm_gate(p, 3, w_ih, w_hh, bias, packed, bias_bytes, ARM_SIGMOID),
    };
    return params;
}

/* An LSTM's buffers: temp1 and temp2 (B x H int16 each) at the start of scratch, the layer's state
 * (tg_kernels_recurrent.h) as the hidden and cell state. */
static inline cmsis_nn_lstm_context tg_cmsis_lstm_context(const tg_lstm_params_t *p, int8_t *scratch, int8_t *state)
{
    const cmsis_nn_lstm_context ctx = {
        .temp1 = scratch,
        .temp2 = scratch + 2 * p->batches * p->hidden,
        .cell_state = state + p->c_offset,
        .hidden_state = state,
    };
    return ctx;
}
#endif /* TG_KERNELS_RECURRENT_H */

#endif /* TG_CMSIS_NN_ARGS_H */
