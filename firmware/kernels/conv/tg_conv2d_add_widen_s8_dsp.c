/*
 * tg_conv2d_add_widen_s8_dsp: tg_conv2d_add_s8_dsp (a 2-D convolution with a fused
 * residual add, int8, ARMv7E-M) with the weights int8 in flash, each block of 4 output
 * channels' weights widened into the scratch at run time (tg_conv2d_widen_s8_dsp.h: the
 * method, the byte order and the loop order). The output may take the skip's place, not
 * the conv input's. Equals tg_conv2d_add_s8 bit for bit.
 * numpy twin: tinygen.ref.kernels.conv2d_add_s8.
 *
 * Scratch: tg_conv2d_widen_s8_dsp_buffer_size bytes, 8-byte aligned.
 */
#include <stdint.h>

#include "tg_conv2d_widen_s8_dsp.h"
#include "tg_kernels.h"

void tg_conv2d_add_widen_s8_dsp(const tg_conv2d_add_params_t *p, const int8_t *input, const int8_t *skip,
                                const int8_t *packed, const int32_t *bias, const int32_t *multiplier,
                                const int8_t *shift, int8_t *scratch, int8_t *output)
{
    /* a local copy: an int8 store may alias any field of *p, not of q (no reloads after stores) */
    const tg_conv2d_add_params_t q = *p;
    tg_conv2d_add_widen_s8_dsp_with(&q, tg_conv_add_mode(&q, bias, multiplier, shift), input, skip, packed, bias,
                                    multiplier, shift, scratch, output);
}
