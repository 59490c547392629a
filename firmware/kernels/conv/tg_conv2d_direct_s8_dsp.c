/*
 * tg_conv2d_direct_s8_dsp: 2-D convolution, int8, for ARMv7E-M (Cortex-M4/M7 DSP
 * extension), with no scratch: a direct convolution reading the input in place
 * (tg_conv2d_direct_s8_dsp.h gives the method), 1 output pixel x 4 output channels
 * per step, the weights widened to int16 at build time. Equals tg_conv2d_s8 bit for
 * bit. numpy twin: tinygen.ref.kernels.conv2d_s8.
 *
 * For the layers where tg_conv2d_s8_dsp's im2col scratch would sit on the arena's
 * peak (tinygen/passes/lower_peak.py). Loop order: output pixels in raster order,
 * per pixel the blocks of 4 channels in increasing order, each written after all its
 * reads. The output must not overlap the input.
 *
 * Needs __ARM_FEATURE_DSP (-mcpu=cortex-m4 / cortex-m7).
 */
#include <stdint.h>

#include "tg_conv2d_direct_s8_dsp.h"
#include "tg_kernels.h"

void tg_conv2d_direct_s8_dsp(const tg_conv2d_params_t *p, const int8_t *input, const int16_t *packed,
                             const int32_t *bias, const int32_t *multiplier, const int8_t *shift, int8_t *output)
{
    /* local copies: an int8 store may alias any field of *p, not of g or q (no reloads after stores) */
    const tg_conv_direct_t g = tg_conv_direct_of(p);
    const tg_mat_mult_quant_t q = tg_mat_mult_quant(p->input_offset, p->output_offset, p->act_min, p->act_max,
                                                    p->kernel_h * p->kernel_w * p->in_c, p->out_c, bias,
                                                    multiplier, shift);
    if (q.bounded) {
        tg_conv2d_direct_s8_dsp_with(&g, &q, 1, input, packed, bias, multiplier, shift, output);
    } else {
        tg_conv2d_direct_s8_dsp_with(&g, &q, 0, input, packed, bias, multiplier, shift, output);
    }
}
