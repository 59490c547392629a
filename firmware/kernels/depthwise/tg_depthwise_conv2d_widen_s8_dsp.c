/*
 * tg_depthwise_conv2d_widen_s8_dsp: a depthwise 2-D convolution, int8, depth multiplier 1,
 * ARMv7E-M, with the weights int8 in flash: tg_depthwise_conv2d_s8_dsp's any-window path,
 * which widens each block of 4 channels' weights, bias, multipliers and shifts into the
 * scratch at the call, then runs the layer from there (3x3 windows in runs of pixels).
 * Fewer constants than the 3x3 path's per-channel records, for a few more instructions.
 * numpy twin: tinygen.ref.kernels.depthwise_conv2d_s8.
 *
 * Scratch: tinygen.kernels.depthwise_dsp.depthwise_widen_scratch bytes, 4-byte aligned.
 */
#include <stdint.h>

#include "tg_kernels.h"

void tg_depthwise_conv2d_widen_s8_dsp(const tg_conv2d_params_t *p, const int8_t *input,
                                      const int8_t *weights, const int32_t *bias,
                                      const int32_t *multiplier, const int8_t *shift,
                                      int8_t *scratch, int8_t *output)
{
    tg_dw_any_window(p, input, weights, bias, multiplier, shift, scratch, output);
}
