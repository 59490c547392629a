/* tg_conv2d_s8 through CMSIS-NN's arm_convolve_wrapper_s8. */
#include "tg_cmsis_nn.h"

#include "tg_cmsis_nn_args.h"

void tg_conv2d_s8_cmsis_nn(const tg_conv2d_params_t *p, const int8_t *input,
                           const int8_t *weights, const int32_t *bias,
                           const int32_t *multiplier, const int32_t *shift,
                           int8_t *scratch, int8_t *output)
{
    const cmsis_nn_conv_params conv = tg_cmsis_conv_params(p);
    /* CMSIS-NN's pointers are not const-qualified; it only reads them */
    const cmsis_nn_per_channel_quant_params quant = {(int32_t *)multiplier, (int32_t *)shift};
    const tg_cmsis_conv_dims_t d = tg_cmsis_conv_dims(p);
    const cmsis_nn_dims filter_dims = {.n = p->out_c, .h = p->kernel_h, .w = p->kernel_w, .c = p->in_c};
    const cmsis_nn_context ctx = {
        scratch, arm_convolve_wrapper_s8_get_buffer_size(&conv, &d.input, &filter_dims, &d.output)};
    /* the code generator passes only arguments CMSIS-NN accepts: the status is SUCCESS */
    (void)arm_convolve_wrapper_s8(&ctx, &conv, &quant, &d.input, input, &filter_dims, weights,
                                  &d.bias, bias, &d.output, output);
}
