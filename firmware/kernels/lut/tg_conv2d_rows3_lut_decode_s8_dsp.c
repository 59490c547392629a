/*
 * tg_conv2d_rows3_lut_decode_s8_dsp: a 2-D convolution in 3-pixel blocks, with shared weights
 * (LUT.md), on the ARMv7E-M DSP extension: the layer's weights decoded once into the scratch,
 * int8 in the int8 layout, then tg_conv2d_rows3_s8_dsp on them (its own scratch after them).
 * Chosen over the portable LUT kernel, which decodes in its inner loop, where the arena has
 * room (tinygen/kernels/lut_table.py). numpy twin: the int8 kernel's, on the decoded weights.
 */
#include "tg_kernels_lut.h"
#include "tg_lut.h"

void tg_conv2d_rows3_lut_decode_s8_dsp(const tg_conv2d_params_t *p, const int8_t *input, const uint32_t *packed,
                                       const int32_t *bias, const int32_t *multiplier, const int8_t *shift,
                                       int8_t *scratch, int8_t *output)
{
    tg_conv2d_rows3_s8_dsp(p, input, scratch, bias, multiplier, shift,
                           tg_lut_decode_scratch(packed, p->out_c, p->kernel_h * p->kernel_w * p->in_c, scratch), output);
}
