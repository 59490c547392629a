/*
 * tg_conv2d_s8_dsp: general 2-D convolution (any kernel size, stride,
 * dilation and padding; groups = 1) for ARMv7E-M (Cortex-M4/M7 DSP
 * extension), int8 in/out, per-channel requantization, by partial im2col:
 * the receptive fields of 2 output pixels are copied into the scratch buffer
 * (padded taps hold the input zero point, so they contribute nothing), then
 * multiplied by the [out_c][kernel_h * kernel_w * in_c] weights with SIMD
 * multiply-accumulates (tg_mat_mult_s8_dsp.h).
 * Equals tg_conv2d_s8 bit for bit. numpy twin: tinygen.ref.kernels.conv2d_s8.
 *
 * Loop order (in-place planning relies on it): for each block of 2 output
 * pixels in raster order, all reads of the block's input happen before any
 * write of the block's outputs; outputs are written only inside their block.
 *
 * Scratch, 8-byte aligned: the two int8 receptive fields (2 * K bytes rounded up
 * to 8, K = kernel_h * kernel_w * in_c), then tg_mat_mult_s8_dsp_buffer_size(K, out_c)
 * bytes for the mat-mult; tinygen.kernels.table sizes it.
 */
#include "tg_conv2d_s8_dsp.h"

void tg_conv2d_s8_dsp(const tg_conv2d_params_t *p, const int8_t *input,
                      const int8_t *weights, const int32_t *bias,
                      const int32_t *multiplier, const int8_t *shift,
                      int8_t *scratch, int8_t *output)
{
    const int32_t depth = p->kernel_h * p->kernel_w * p->in_c;
    const tg_mat_mult_quant_t q = tg_mat_mult_quant(p->input_offset, p->output_offset, p->act_min, p->act_max,
                                                    depth, p->out_c, bias, multiplier, shift);

    tg_conv2d_s8_dsp_with(p, &q, input, weights, bias, multiplier, shift, scratch, output, 0);
}
