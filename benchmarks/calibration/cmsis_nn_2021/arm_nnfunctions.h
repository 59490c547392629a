/*
 * tinygen's compatibility layer: the CMSIS-NN of TFLite Micro v2.5 (CMSIS_5 commit 0d7e4fa7, 2021-02-24,
 * CMSIS/NN arm_nnfunctions.h V.6.5.3 of 19 January 2021), the CMSIS-NN of Plumerai's STM32F746G-Discovery
 * TFLM 2.5 point, under the calls tinygen's CMSIS-NN adapters (firmware/cmsis_nn/) make. Only
 * benchmarks/calibration/old_cmsis_nn.py uses it: it builds a tree whose Include/ holds this header, the 2021
 * header as arm_nnfunctions_2021.h and the 2021 NN, DSP and Core headers, and whose Source/ holds the 2021
 * sources. No CMSIS code is here.
 *
 * TFLM v2.5's kernels/cmsis_nn call the functions the adapters call, with the same arguments (the int8 API
 * of arm_convolve_wrapper_s8, arm_depthwise_conv_wrapper_s8, arm_fully_connected_s8, arm_avgpool_s8,
 * arm_max_pool_s8, arm_elementwise_add_s8, arm_softmax_s8), their quantization computed once in Prepare;
 * the 2021 functions return arm_status (the adapters ignore the status). Only the scratch differs: tinygen's
 * memory plan sizes it by the newer CMSIS-NN's formulas (tinygen.kernels.cmsis_nn), which for some layers are
 * smaller than the 2021 kernels need (a 1x1 convolution with a stride takes arm_convolve_s8's im2col column
 * in 2021; a 3x3 depthwise with only the top padding <= 1 takes arm_depthwise_conv_3x3_s8 in 2021, and the
 * 2021 average pooling sums into int32 per channel). For the adapters (which include tg_kernels.h first:
 * TG_KERNELS_H) these three take their buffer here, as TFLM took it from its arena: the same instructions.
 *
 * The API level these mappings present, for tinygen.kernels.cmsis_nn_tree's check:
 * $Revision: V.18.0.0 $ (the calls of v7.0.0 that the int8 adapters make; nothing else)
 */
#ifndef TG_CMSIS_NN_2021_H
#define TG_CMSIS_NN_2021_H

#include "arm_nnfunctions_2021.h"

#if defined(TG_KERNELS_H)

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* a layer needing more fails with an argument error and leaves its output unwritten, which the bit-exact
 * check reports */
#ifndef TG_CMSIS_NN_2021_SCRATCH_BYTES
#define TG_CMSIS_NN_2021_SCRATCH_BYTES 8192
#endif
int8_t tg_cmsis_nn_2021_scratch[TG_CMSIS_NN_2021_SCRATCH_BYTES] __attribute__((weak, aligned(4)));

/* a convolution wrapper (`fn`, its parameters' struct `params_t`) on the buffer here, sized by its 2021 formula */
#define TG2021_OWN_SCRATCH(fn, params_t)                                                                           \
    static inline arm_status tg2021_##fn(const cmsis_nn_context *ctx, const params_t *conv,                        \
                                         const cmsis_nn_per_channel_quant_params *quant,                           \
                                         const cmsis_nn_dims *input_dims, const int8_t *input,                     \
                                         const cmsis_nn_dims *filter_dims, const int8_t *filter,                   \
                                         const cmsis_nn_dims *bias_dims, const int32_t *bias,                      \
                                         const cmsis_nn_dims *output_dims, int8_t *output)                         \
    {                                                                                                              \
        const int32_t need = fn##_get_buffer_size(conv, input_dims, filter_dims, output_dims);                     \
        const cmsis_nn_context own = {tg_cmsis_nn_2021_scratch, need};                                             \
        (void)ctx;                                                                                                 \
        if (need > TG_CMSIS_NN_2021_SCRATCH_BYTES) {                                                               \
            return ARM_MATH_ARGUMENT_ERROR;                                                                        \
        }                                                                                                          \
        return fn(&own, conv, quant, input_dims, input, filter_dims, filter, bias_dims, bias, output_dims, output); \
    }

TG2021_OWN_SCRATCH(arm_convolve_wrapper_s8, cmsis_nn_conv_params)
TG2021_OWN_SCRATCH(arm_depthwise_conv_wrapper_s8, cmsis_nn_dw_conv_params)

static inline arm_status tg2021_avgpool_s8(const cmsis_nn_context *ctx, const cmsis_nn_pool_params *pool,
                                           const cmsis_nn_dims *input_dims, const int8_t *input,
                                           const cmsis_nn_dims *filter_dims, const cmsis_nn_dims *output_dims,
                                           int8_t *output)
{
    const int32_t need = arm_avgpool_s8_get_buffer_size(output_dims->w, input_dims->c);
    const cmsis_nn_context own = {tg_cmsis_nn_2021_scratch, need};
    (void)ctx;
    if (need > TG_CMSIS_NN_2021_SCRATCH_BYTES) {
        return ARM_MATH_ARGUMENT_ERROR;
    }
    return arm_avgpool_s8(&own, pool, input_dims, input, filter_dims, output_dims, output);
}

#define arm_convolve_wrapper_s8 tg2021_arm_convolve_wrapper_s8
#define arm_depthwise_conv_wrapper_s8 tg2021_arm_depthwise_conv_wrapper_s8
#define arm_avgpool_s8 tg2021_avgpool_s8

#ifdef __cplusplus
}
#endif

#endif /* TG_KERNELS_H */
#endif /* TG_CMSIS_NN_2021_H */
