/*
 * tg_conv2d_add_s8_dsp: 2-D convolution with a fused residual add, int8, for
 * ARMv7E-M (Cortex-M4/M7 DSP extension). Equals tg_conv2d_add_s8 bit for bit.
 * numpy twin: tinygen.ref.kernels.conv2d_add_s8.
 *
 * A direct convolution with no scratch, the input read where it lies: the core of
 * tg_conv2d_direct_s8_dsp.h (1 output pixel x 4 output channels per step, in-bounds
 * taps only, weights widened to int16 at build time), then per output byte the
 * conv's requantization and clamp and TFLite's ADD arithmetic with the skip byte
 * (tg_conv2d_add_s8_dsp.h), in one of three modes chosen once per call: the fast
 * ones for the parameters TFLite's Prepare produces, the general arithmetic for any
 * others.
 *
 * Loop order: output pixels in raster order; within them, blocks of 4 channels in
 * increasing order. Output byte p is written once, after its window and skip byte p
 * are read, and no other output reads skip byte p: the output may take the skip
 * tensor's place (in place, distance 0). It must not overlap the conv's input.
 *
 * Needs __ARM_FEATURE_DSP (-mcpu=cortex-m4 / cortex-m7).
 */
#include <stdint.h>

#include "tg_conv2d_add_s8_dsp.h"
#include "tg_kernels.h"

void tg_conv2d_add_s8_dsp(const tg_conv2d_add_params_t *p, const int8_t *input, const int8_t *skip,
                          const int16_t *packed, const int32_t *bias, const int32_t *multiplier,
                          const int8_t *shift, int8_t *output)
{
    /* a local copy: an int8 store may alias any field of *p, not of q (no reloads after stores) */
    const tg_conv2d_add_params_t q = *p;
    tg_conv2d_add_s8_dsp_body(&q, tg_conv_add_mode(&q, bias, multiplier, shift), input, skip, packed, bias,
                              multiplier, shift, output);
}
