/*
 * tg_conv2d_b1_b1_b1_dsp: tg_conv2d_b1_b1_b1 for ARMv7E-M (Cortex-M4/M7, DSP extension):
 * the XNOR / popcount accumulator of tg_conv2d_b1_dsp.h (Harley-Seal, USADA8), then one
 * threshold compare per channel into the packed output word (the pixel loops:
 * tg_conv2d_b1_pixels.h). Same arguments and bytes as the portable kernel; numpy twin:
 * tinygen.ref.binary.conv2d_b1_b1_b1.
 */
#include "tg_conv2d_b1_pixels.h"

void tg_conv2d_b1_b1_b1_dsp(const tg_conv2d_b1_params_t *p, const uint32_t *input,
                            const uint32_t *weights, const int32_t *thresholds, uint32_t *output)
{
    tg_conv2d_b1_b1_b1_pixels(p, input, weights, thresholds, output, tg_b1_field_counts);
}
