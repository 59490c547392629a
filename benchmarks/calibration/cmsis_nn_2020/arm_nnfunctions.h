/*
 * tinygen's compatibility layer: the CMSIS-NN of TFLite Micro v2.3.1 (CMSIS_5 commit 1150e71e,
 * 2020-05-19, CMSIS/NN arm_nnfunctions.h V.3.0.0) under the calls tinygen's CMSIS-NN adapters
 * (firmware/cmsis_nn/) make. Only benchmarks/calibration/old_cmsis_nn.py uses it: it builds a
 * tree whose Include/ holds this header, the 2020 header as arm_nnfunctions_2020.h and the 2020
 * CMSIS DSP and Core headers, and whose Source/ holds the 2020 sources TFLM v2.3.1 compiled.
 * No CMSIS code is here: this file maps names and arguments.
 *
 * The adapters include tg_kernels.h first (TG_KERNELS_H): for them the newer API's names are
 * mapped onto static inline functions that call the 2020 ones as TFLM v2.3.1's cmsis-nn kernels
 * did (tensorflow/lite/micro/kernels/cmsis-nn/ at v2.3.1). The 2020 sources, which also
 * include "arm_nnfunctions.h", see the 2020 header alone.
 *
 * The API level these mappings present, for tinygen.kernels.cmsis_nn_tree's check:
 * $Revision: V.18.0.0 $ (the calls of v7.0.0 that the int8 adapters below make; nothing else)
 */
#ifndef TG_CMSIS_NN_2020_H
#define TG_CMSIS_NN_2020_H

#include "arm_nnfunctions_2020.h"

#if defined(TG_KERNELS_H)

#include <stddef.h>
#include <stdint.h>

#include "tflm_v231_invoke.h"

#ifdef __cplusplus
extern "C" {
#endif

/* the argument structs of the newer API that the 2020 header lacks (field names as there) */
typedef struct {
    int32_t input_offset;
    int32_t output_offset;
    int32_t ch_mult;
    cmsis_nn_tile stride;
    cmsis_nn_tile padding;
    cmsis_nn_tile dilation;
    cmsis_nn_activation activation;
} cmsis_nn_dw_conv_params;

typedef struct {
    int32_t input_offset;
    int32_t filter_offset;
    int32_t output_offset;
    cmsis_nn_activation activation;
} cmsis_nn_fc_params;

typedef struct {
    cmsis_nn_tile stride;
    cmsis_nn_tile padding;
    cmsis_nn_activation activation;
} cmsis_nn_pool_params;

/*
 * Scratch: tinygen's memory plan sizes the adapters' scratch by the newer CMSIS-NN's formulas
 * (tinygen.kernels.cmsis_nn), which for some layers (a 3x3 depthwise with padding <= 1, a 1x1
 * convolution with a stride) are smaller than what the 2020 kernels TFLM v2.3.1 chose there
 * need. The convolutions take their im2col column from this one buffer instead (TFLM took it
 * from its arena: the same instructions); a layer needing more fails with an argument error
 * and leaves its output unwritten, which the build's bit-exact check reports.
 */
#ifndef TG_CMSIS_NN_2020_SCRATCH_BYTES
#define TG_CMSIS_NN_2020_SCRATCH_BYTES 8192
#endif
int16_t tg_cmsis_nn_2020_scratch[TG_CMSIS_NN_2020_SCRATCH_BYTES / 2] __attribute__((weak, aligned(4)));

static inline int16_t *tg_cmsis_nn_2020_buffer(int32_t bytes)
{
    return bytes <= TG_CMSIS_NN_2020_SCRATCH_BYTES ? tg_cmsis_nn_2020_scratch : NULL;
}

/* conv.cc: arm_convolve_wrapper_s8 (the 2020 dispatch: 1x1 fast, 1xN, generic), its buffer as above */
static inline int32_t tg2020_convolve_wrapper_s8_get_buffer_size(const cmsis_nn_conv_params *conv,
                                                                 const cmsis_nn_dims *input,
                                                                 const cmsis_nn_dims *filter,
                                                                 const cmsis_nn_dims *output)
{
    return arm_convolve_wrapper_s8_get_buffer_size((cmsis_nn_conv_params *)conv, (cmsis_nn_dims *)input,
                                                   (cmsis_nn_dims *)filter, (cmsis_nn_dims *)output);
}

static inline arm_status tg2020_convolve_wrapper_s8(const cmsis_nn_context *ctx, const cmsis_nn_conv_params *conv,
                                                    const cmsis_nn_per_channel_quant_params *quant,
                                                    const cmsis_nn_dims *input_dims, const int8_t *input,
                                                    const cmsis_nn_dims *filter_dims, const int8_t *filter,
                                                    const cmsis_nn_dims *bias_dims, const int32_t *bias,
                                                    const cmsis_nn_dims *output_dims, int8_t *output)
{
    /* conv.cc's Eval: its quantization parameters first (tflm_v231_invoke.h), then the kernel */
    if (tg2020_invoke_conv(TG2020_CONV, input_dims->c, output_dims->c, quant->multiplier, quant->shift,
                           conv->activation.min, conv->activation.max) != 0) {
        return ARM_MATH_ARGUMENT_ERROR;
    }
    const int32_t need = tg2020_convolve_wrapper_s8_get_buffer_size(conv, input_dims, filter_dims, output_dims);
    const cmsis_nn_context own = {tg_cmsis_nn_2020_buffer(need), need};
    if (need > 0 && own.buf == NULL) {
        return ARM_MATH_ARGUMENT_ERROR;
    }
    (void)ctx;
    return arm_convolve_wrapper_s8(&own, conv, quant, input_dims, input, filter_dims, filter, bias_dims, bias,
                                   output_dims, output);
}

/* depthwise_conv.cc: arm_depthwise_conv_s8_opt for a depth multiplier of 1, else arm_depthwise_conv_s8 */
static inline int32_t tg2020_depthwise_conv_wrapper_s8_get_buffer_size(const cmsis_nn_dw_conv_params *conv,
                                                                       const cmsis_nn_dims *input,
                                                                       const cmsis_nn_dims *filter,
                                                                       const cmsis_nn_dims *output)
{
    (void)output;
    return conv->ch_mult == 1 ? arm_depthwise_conv_s8_opt_get_buffer_size((uint16_t)input->c, (uint16_t)filter->w,
                                                                         (uint16_t)filter->h)
                              : 0;
}

static inline arm_status tg2020_depthwise_conv_wrapper_s8(const cmsis_nn_context *ctx,
                                                          const cmsis_nn_dw_conv_params *conv,
                                                          const cmsis_nn_per_channel_quant_params *quant,
                                                          const cmsis_nn_dims *in, const int8_t *input,
                                                          const cmsis_nn_dims *filter_dims, const int8_t *filter,
                                                          const cmsis_nn_dims *bias_dims, const int32_t *bias,
                                                          const cmsis_nn_dims *out, int8_t *output)
{
    (void)ctx;
    (void)bias_dims;
    if (tg2020_invoke_conv(TG2020_DEPTHWISE, in->c, out->c, quant->multiplier, quant->shift, conv->activation.min,
                           conv->activation.max) != 0) {
        return ARM_MATH_ARGUMENT_ERROR;
    }
    if (conv->ch_mult == 1) {
        const int32_t need = tg2020_depthwise_conv_wrapper_s8_get_buffer_size(conv, in, filter_dims, out);
        int16_t *buf = tg_cmsis_nn_2020_buffer(need);
        if (need > 0 && buf == NULL) {
            return ARM_MATH_ARGUMENT_ERROR;
        }
        return arm_depthwise_conv_s8_opt(input, (uint16_t)in->w, (uint16_t)in->h, (uint16_t)in->c, filter,
                                         (uint16_t)out->c, (uint16_t)filter_dims->w, (uint16_t)filter_dims->h,
                                         (uint16_t)conv->padding.w, (uint16_t)conv->padding.h,
                                         (uint16_t)conv->stride.w, (uint16_t)conv->stride.h, bias, output,
                                         quant->shift, quant->multiplier, (uint16_t)out->w, (uint16_t)out->h,
                                         conv->output_offset, conv->input_offset, conv->activation.min,
                                         conv->activation.max, (uint16_t)conv->dilation.w,
                                         (uint16_t)conv->dilation.h, buf);
    }
    return arm_depthwise_conv_s8(input, (uint16_t)in->w, (uint16_t)in->h, (uint16_t)in->c, filter, (uint16_t)out->c,
                                 (uint16_t)conv->ch_mult, (uint16_t)filter_dims->w, (uint16_t)filter_dims->h,
                                 (uint16_t)conv->padding.w, (uint16_t)conv->padding.h, (uint16_t)conv->stride.w,
                                 (uint16_t)conv->stride.h, bias, output, quant->shift, quant->multiplier,
                                 (uint16_t)out->w, (uint16_t)out->h, conv->output_offset, conv->input_offset,
                                 conv->activation.min, conv->activation.max, (uint16_t)conv->dilation.w,
                                 (uint16_t)conv->dilation.h, NULL);
}

/* fully_connected.cc: the 2020 arm_fully_connected_s8 (per-tensor; filter dims n = depth, c = outputs) */
static inline arm_status tg2020_fully_connected_s8(const cmsis_nn_context *ctx, const cmsis_nn_fc_params *fc,
                                                   const cmsis_nn_per_tensor_quant_params *quant,
                                                   const cmsis_nn_dims *input_dims, const int8_t *input,
                                                   const cmsis_nn_dims *filter_dims, const int8_t *filter,
                                                   const cmsis_nn_dims *bias_dims, const int32_t *bias,
                                                   const cmsis_nn_dims *output_dims, int8_t *output)
{
    (void)bias_dims;
    (void)output_dims;
    if (tg2020_invoke_fc(filter_dims->n, filter_dims->c, quant->multiplier, quant->shift, fc->activation.min,
                         fc->activation.max) != 0) {
        return ARM_MATH_ARGUMENT_ERROR;
    }
    return arm_fully_connected_s8(input, filter, (uint16_t)filter_dims->n, (uint16_t)filter_dims->c,
                                  (uint16_t)input_dims->n, fc->input_offset, fc->filter_offset, quant->multiplier,
                                  quant->shift, fc->output_offset, bias, output, fc->activation.min,
                                  fc->activation.max, (q15_t *)ctx->buf);
}

/* pooling.cc: the 2020 arm_avgpool_s8 (an int16 sum per channel) and arm_max_pool_s8 */
static inline int32_t tg2020_avgpool_s8_get_buffer_size(int32_t out_w, int32_t channels)
{
    return arm_avgpool_s8_get_buffer_size((int)out_w, (int)channels);
}

static inline arm_status tg2020_avgpool_s8(const cmsis_nn_context *ctx, const cmsis_nn_pool_params *pool,
                                           const cmsis_nn_dims *in, const int8_t *input,
                                           const cmsis_nn_dims *window, const cmsis_nn_dims *out, int8_t *output)
{
    if (tg2020_invoke_pool(TG2020_AVGPOOL, in->c, pool->activation.min, pool->activation.max) != 0) {
        return ARM_MATH_ARGUMENT_ERROR;
    }
    return arm_avgpool_s8(in->h, in->w, out->h, out->w, pool->stride.h, pool->stride.w, window->h, window->w,
                          pool->padding.h, pool->padding.w, pool->activation.min, pool->activation.max, in->c,
                          (int8_t *)input, (int16_t *)ctx->buf, output);
}

static inline arm_status tg2020_max_pool_s8(const cmsis_nn_context *ctx, const cmsis_nn_pool_params *pool,
                                            const cmsis_nn_dims *in, const int8_t *input,
                                            const cmsis_nn_dims *window, const cmsis_nn_dims *out, int8_t *output)
{
    (void)ctx;
    if (tg2020_invoke_pool(TG2020_MAXPOOL, in->c, pool->activation.min, pool->activation.max) != 0) {
        return ARM_MATH_ARGUMENT_ERROR;
    }
    return arm_max_pool_s8((uint16_t)in->h, (uint16_t)in->w, (uint16_t)out->h, (uint16_t)out->w,
                           (uint16_t)pool->stride.h, (uint16_t)pool->stride.w, (uint16_t)window->h,
                           (uint16_t)window->w, (uint16_t)pool->padding.h, (uint16_t)pool->padding.w,
                           (int8_t)pool->activation.min, (int8_t)pool->activation.max, (uint16_t)in->c,
                           (int8_t *)input, NULL, output);
}

/* add.cc: arm_elementwise_add_s8 (the adapters' signature is the 2020 one), after its Eval's parameters */
static inline arm_status tg2020_elementwise_add_s8(const int8_t *input_1, const int8_t *input_2, int32_t offset_1,
                                                   int32_t mult_1, int32_t shift_1, int32_t offset_2, int32_t mult_2,
                                                   int32_t shift_2, int32_t left_shift, int8_t *output,
                                                   int32_t out_offset, int32_t out_mult, int32_t out_shift,
                                                   int32_t act_min, int32_t act_max, uint32_t size)
{
    const int32_t mult[3] = {mult_1, mult_2, out_mult}, shift[3] = {shift_1, shift_2, out_shift};
    if (tg2020_invoke_add((int32_t)size, left_shift, mult, shift, act_min, act_max) != 0) {
        return ARM_MATH_ARGUMENT_ERROR;
    }
    return arm_elementwise_add_s8(input_1, input_2, offset_1, mult_1, shift_1, offset_2, mult_2, shift_2, left_shift,
                                  output, out_offset, out_mult, out_shift, act_min, act_max, size);
}

/* softmax.cc: arm_softmax_s8 (the 2020 signature too), after its Eval's parameters */
static inline void tg2020_softmax_s8(const int8_t *input, int32_t rows, int32_t depth, int32_t mult, int32_t shift,
                                     int32_t diff_min, int8_t *output)
{
    if (tg2020_invoke_softmax(depth, mult, shift, diff_min) == 0) {
        arm_softmax_s8(input, rows, depth, mult, shift, diff_min, output);
    }
}

/* the adapters' calls, renamed; a wrapper whose layer's parameters differ from what TFLM v2.3.1's Eval computes
 * (tflm_v231_invoke.c) leaves the output unwritten */
#define arm_convolve_wrapper_s8_get_buffer_size tg2020_convolve_wrapper_s8_get_buffer_size
#define arm_convolve_wrapper_s8 tg2020_convolve_wrapper_s8
#define arm_depthwise_conv_wrapper_s8_get_buffer_size tg2020_depthwise_conv_wrapper_s8_get_buffer_size
#define arm_depthwise_conv_wrapper_s8 tg2020_depthwise_conv_wrapper_s8
#define arm_fully_connected_s8 tg2020_fully_connected_s8
#define arm_avgpool_s8_get_buffer_size tg2020_avgpool_s8_get_buffer_size
#define arm_avgpool_s8 tg2020_avgpool_s8
#define arm_max_pool_s8 tg2020_max_pool_s8
#define arm_elementwise_add_s8 tg2020_elementwise_add_s8
#define arm_softmax_s8 tg2020_softmax_s8

#ifdef __cplusplus
}
#endif

#endif /* TG_KERNELS_H */
#endif /* TG_CMSIS_NN_2020_H */
