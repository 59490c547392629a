/* tg_transpose_conv2d_s8 through CMSIS-NN's arm_transpose_conv_s8. */
#include "tg_cmsis_nn.h"

#include "arm_nnfunctions.h"

void tg_transpose_conv2d_s8_cmsis_nn(const tg_transpose_conv2d_params_t *p, const int8_t *input,
                                     const int8_t *weights, const int32_t *bias,
                                     const int32_t *multiplier, const int32_t *shift,
                                     int8_t *scratch, int8_t *output)
{
    /* padding_offsets (newer trees) stay 0: arm_transpose_conv_s8 does not read them */
    const cmsis_nn_transpose_conv_params conv = {
        .input_offset = p->input_offset,
        .output_offset = p->output_offset,
        .stride = {.w = p->stride_w, .h = p->stride_h},
        .padding = {.w = p->pad_left, .h = p->pad_top},
        .dilation = {.w = 1, .h = 1},
        .activation = {.min = p->act_min, .max = p->act_max},
    };
    /* CMSIS-NN's pointers are not const-qualified; it only reads them */
    const cmsis_nn_per_channel_quant_params quant = {(int32_t *)multiplier, (int32_t *)shift};
    const cmsis_nn_dims input_dims = {.n = 1, .h = p->in_h, .w = p->in_w, .c = p->in_c};
    const cmsis_nn_dims filter_dims = {.n = p->out_c, .h = p->kernel_h, .w = p->kernel_w, .c = p->in_c};
    const cmsis_nn_dims bias_dims = {.n = 1, .h = 1, .w = 1, .c = p->out_c};
    const cmsis_nn_dims output_dims = {.n = 1, .h = p->out_h, .w = p->out_w, .c = p->out_c};
    /* its rolling buffer of rows (tinygen.kernels.cmsis_nn.transpose_conv_scratch) */
    const int32_t row = (p->in_w - 1) * p->stride_w + (p->kernel_w > p->stride_w ? p->kernel_w : p->stride_w);
    const cmsis_nn_context ctx = {scratch, (p->kernel_h > p->stride_h ? p->kernel_h : p->stride_h) * row * p->out_c * 4};
    const cmsis_nn_context unused = {NULL, 0};
    /* the code generator passes only layers it computes exactly (transpose_conv_exact): SUCCESS */
    (void)arm_transpose_conv_s8(&ctx, &unused, &conv, &quant, &input_dims, input, &filter_dims, weights, &bias_dims,
                                bias, &output_dims, output);
}
