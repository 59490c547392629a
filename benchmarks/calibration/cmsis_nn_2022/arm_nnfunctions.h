/*
 * tinygen's compatibility layer: ARM-software/CMSIS-NN at 011bf32 (2022-09-30, Include/arm_nnfunctions.h
 * V.11.0.0), the CMSIS-NN of TinyEngine's README's STM32H743 column, under the calls tinygen's CMSIS-NN
 * adapters (firmware/cmsis_nn/) make. Only benchmarks/calibration/old_cmsis_nn.py uses it: it builds a
 * tree whose Include/ holds this header, the 2022 header as arm_nnfunctions_2022.h and the 2022 tree's
 * other headers, and whose Source/ holds the 2022 sources. No CMSIS code is here.
 *
 * The int8 functions the adapters call have the same names and arguments in 2022 but one: the 2022
 * arm_convolve_wrapper_s8 runs a 1x1 convolution with a stride through arm_convolve_s8, whose im2col
 * column tinygen's memory plan (the newer CMSIS-NN's formulas, tinygen.kernels.cmsis_nn) does not
 * hold; for the adapters (which include tg_kernels.h first: TG_KERNELS_H) it takes its buffer here.
 *
 * The API level these mappings present, for tinygen.kernels.cmsis_nn_tree's check:
 * $Revision: V.18.0.0 $ (the calls of v7.0.0 that the int8 adapters make; nothing else)
 */
#ifndef TG_CMSIS_NN_2022_H
#define TG_CMSIS_NN_2022_H

#include "arm_nnfunctions_2022.h"

#if defined(TG_KERNELS_H)

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* the convolutions' im2col column (TFLM took it from its arena: the same instructions); a layer needing
 * more fails with an argument error and leaves its output unwritten, which the bit-exact check reports */
#ifndef TG_CMSIS_NN_2022_SCRATCH_BYTES
#define TG_CMSIS_NN_2022_SCRATCH_BYTES 8192
#endif
int8_t tg_cmsis_nn_2022_scratch[TG_CMSIS_NN_2022_SCRATCH_BYTES] __attribute__((weak, aligned(4)));

static inline arm_cmsis_nn_status tg2022_convolve_wrapper_s8(const cmsis_nn_context *ctx,
                                                             const cmsis_nn_conv_params *conv,
                                                             const cmsis_nn_per_channel_quant_params *quant,
                                                             const cmsis_nn_dims *input_dims, const int8_t *input,
                                                             const cmsis_nn_dims *filter_dims, const int8_t *filter,
                                                             const cmsis_nn_dims *bias_dims, const int32_t *bias,
                                                             const cmsis_nn_dims *output_dims, int8_t *output)
{
    const int32_t need = arm_convolve_wrapper_s8_get_buffer_size(conv, input_dims, filter_dims, output_dims);
    const cmsis_nn_context own = {tg_cmsis_nn_2022_scratch, need};
    if (need > TG_CMSIS_NN_2022_SCRATCH_BYTES) {
        return ARM_CMSIS_NN_ARG_ERROR;
    }
    (void)ctx;
    return arm_convolve_wrapper_s8(&own, conv, quant, input_dims, input, filter_dims, filter, bias_dims, bias,
                                   output_dims, output);
}

#define arm_convolve_wrapper_s8 tg2022_convolve_wrapper_s8

#ifdef __cplusplus
}
#endif

#endif /* TG_KERNELS_H */
#endif /* TG_CMSIS_NN_2022_H */
