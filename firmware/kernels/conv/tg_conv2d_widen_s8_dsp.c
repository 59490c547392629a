/*
 * tg_conv2d_widen_s8_dsp: general 2-D convolution (any kernel size, stride, dilation and
 * padding; groups = 1) for ARMv7E-M (Cortex-M4/M7 DSP extension), int8 in/out,
 * per-channel requantization, with the weights int8 in flash: tg_conv2d_direct_s8_dsp's
 * direct convolution, each block of 4 output channels' weights widened into the scratch
 * at run time (tg_conv2d_widen_s8_dsp.h gives the method, the byte order and the loop
 * order: the output must not overlap the input).
 * Equals tg_conv2d_s8 bit for bit. numpy twin: tinygen.ref.kernels.conv2d_s8.
 *
 * Scratch: tg_conv2d_widen_s8_dsp_buffer_size bytes, 8-byte aligned; tinygen.kernels.table
 * sizes it.
 */
#include <stdint.h>

#include "tg_conv2d_widen_s8_dsp.h"
#include "tg_kernels.h"

void tg_conv2d_widen_s8_dsp(const tg_conv2d_params_t *p, const int8_t *input, const int8_t *packed,
                            const int32_t *bias, const int32_t *multiplier, const int8_t *shift, int8_t *scratch,
                            int8_t *output)
{
    /* local copies: an int8 store may alias any field of *p, not of g or q (no reloads after stores) */
    const tg_conv_direct_t g = tg_conv_direct_of(p);
    const tg_mat_mult_quant_t q = tg_mat_mult_quant(p->input_offset, p->output_offset, p->act_min, p->act_max,
                                                    p->kernel_h * p->kernel_w * p->in_c, p->out_c, bias,
                                                    multiplier, shift);
    tg_conv2d_widen_s8_dsp_with(&g, &q, input, packed, bias, multiplier, shift, scratch, output);
}
