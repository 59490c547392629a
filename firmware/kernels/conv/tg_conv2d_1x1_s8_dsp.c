/*
 * tg_conv2d_1x1_s8_dsp: pointwise (1x1, stride 1, no padding) 2-D convolution
 * for ARMv7E-M (Cortex-M4/M7 DSP extension), int8 in/out, per-channel
 * requantization: the [in_h * in_w][in_c] input times the [out_c][in_c]
 * weights, with SIMD multiply-accumulates (tg_mat_mult_s8_dsp.h).
 * Equals tg_conv2d_s8 bit for bit on the shapes it accepts.
 * numpy twin: tinygen.ref.kernels.conv2d_s8.
 *
 * Loop order (in-place planning relies on it): for each block of 2 rows (output
 * pixels) in increasing order, it reads only the block's input rows and writes
 * only the block's output rows (reads and writes interleaved within the block).
 */
#include "tg_kernels.h"
#include "tg_mat_mult_s8_dsp.h"

void tg_conv2d_1x1_s8_dsp(const tg_conv2d_params_t *p, const int8_t *input,
                          const int8_t *weights, const int32_t *bias,
                          const int32_t *multiplier, const int8_t *shift,
                          int8_t *scratch, int8_t *output)
{
    const tg_mat_mult_quant_t q = tg_mat_mult_quant(p->input_offset, p->output_offset, p->act_min, p->act_max,
                                                    p->in_c, p->out_c, bias, multiplier, shift);

    tg_mat_mult_s8_dsp(p->out_h * p->out_w, p->in_c, p->out_c, input, weights, bias, multiplier, shift,
                       &q, scratch, output);
}
