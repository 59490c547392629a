/* tg_depthwise_conv2d_s16 through CMSIS-NN's arm_depthwise_conv_wrapper_s16 (int64 bias). */
#include "tg_cmsis_nn.h"

#include "tg_cmsis_nn_args.h"

void tg_depthwise_conv2d_s16_cmsis_nn(const tg_conv2d_params_t *p, const int16_t *input,
                                      const int8_t *weights, const int64_t *bias,
                                      const int32_t *multiplier, const int32_t *shift,
                                      int8_t *scratch, int16_t *output)
{
    /* int16 activations are symmetric: CMSIS-NN ignores the offsets (0 here) */
    const cmsis_nn_dw_conv_params conv = tg_cmsis_dw_conv_params(p);
    /* CMSIS-NN's pointers are not const-qualified; it only reads them */
    const cmsis_nn_per_channel_quant_params quant = {(int32_t *)multiplier, (int32_t *)shift};
    const tg_cmsis_conv_dims_t d = tg_cmsis_conv_dims(p);
    const cmsis_nn_dims filter_dims = {.n = 1, .h = p->kernel_h, .w = p->kernel_w, .c = p->out_c};
    const cmsis_nn_context ctx = {
        scratch, arm_depthwise_conv_wrapper_s16_get_buffer_size(&conv, &d.input, &filter_dims, &d.output)};
    /* the code generator passes only arguments CMSIS-NN accepts: the status is SUCCESS */
    (void)arm_depthwise_conv_wrapper_s16(&ctx, &conv, &quant, &d.input, input, &filter_dims, weights,
                                         &d.bias, bias, &d.output, output);
}
