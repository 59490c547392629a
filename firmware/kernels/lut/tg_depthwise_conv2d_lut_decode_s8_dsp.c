/*
 * tg_depthwise_conv2d_lut_decode_s8_dsp: a depthwise convolution (depth multiplier 1), with
 * shared weights (LUT.md), on the ARMv7E-M DSP extension: the layer's weights decoded once into
 * the scratch, int8 in the int8 layout [kernel_h][kernel_w][out_c], then
 * tg_depthwise_conv2d_widen_s8_dsp on them (its own scratch after them). Chosen over the
 * portable LUT kernel, which decodes in its inner loop, where the arena has room
 * (tinygen/kernels/lut_table.py). numpy twin: the int8 kernel's, on the decoded weights.
 */
#include "tg_kernels_lut.h"
#include "tg_lut.h"

void tg_depthwise_conv2d_lut_decode_s8_dsp(const tg_conv2d_params_t *p, const int8_t *input,
                                           const uint32_t *packed, const int32_t *bias,
                                           const int32_t *multiplier, const int8_t *shift, int8_t *scratch,
                                           int8_t *output)
{
    const tg_lut_t lut = tg_lut_open(packed);
    const int32_t taps = p->kernel_h * p->kernel_w;
    tg_lut_decode_taps(&lut, taps, p->out_c, scratch);
    tg_depthwise_conv2d_widen_s8_dsp(p, input, scratch, bias, multiplier, shift,
                                     &scratch[TG_LUT_DECODED_BYTES(taps * p->out_c)], output);
}
