/*
 * tg_depthwise_conv2d_3x3_s8_dsp: depthwise 2-D convolution, 3x3 windows, dilation 1,
 * stride_w 1 or 2, depth multiplier 1, for ARMv7E-M (Cortex-M4/M7 DSP extension), int8
 * in/out, per-channel requantization: tg_depthwise_conv2d_s8_dsp's 3x3 path alone
 * (tg_depthwise_conv2d_3x3_s8_dsp.h), for the layers whose records
 * (tinygen/kernels/depthwise_dsp.py) were packed: they hold the doubled weights and bias
 * and the requantization, so the layer needs no other constant. Same loop order as
 * tg_depthwise_conv2d_s8_dsp's 3x3 path (the output may overlap its input as that
 * kernel's). Equals tg_depthwise_conv2d_s8 bit for bit on the layers it serves.
 * numpy twin: tinygen.ref.kernels.depthwise_conv2d_s8.
 *
 * Scratch: the ring of 3 widened rows, depthwise_dsp.dw3_scratch bytes, 4-byte aligned.
 */
#include <stdint.h>

#include "tg_depthwise_conv2d_3x3_s8_dsp.h"
#include "tg_kernels.h"

void tg_depthwise_conv2d_3x3_s8_dsp(const tg_conv2d_params_t *p, const int8_t *input, const int32_t *packed,
                                    int8_t *scratch, int8_t *output)
{
    tg_dw3_run(p, input, packed + 1, scratch, output);
}
