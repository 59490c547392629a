/*
 * tg_conv2d_rows4_w16_s8_dsp: 2-D convolution by partial im2col with the output pixels in blocks
 * of 4 and the weights widened to int16 at build time, 4 pixels x 2 output channels at a time
 * (tg_conv2d_rows4_w16_s8_dsp.h): 11 instructions per 16 multiply-accumulates in its steps. A
 * --kernels auto candidate beside tg_conv2d_s8_dsp and tg_conv2d_rows3_s8_dsp; its weights are
 * packed int16 (tinygen.kernels.rows4_dsp.rows4_w16_weights, twice the int8 bytes); equals
 * tg_conv2d_s8 bit for bit. numpy twin: tinygen.ref.kernels.conv2d_s8.
 *
 * The 4-pixel block takes every size as an immediate: a specialized layer runs it
 * (tg_conv2d_rows4_w16_s8_dsp_inline). This generic entry point, for models built with
 * specialization off, computes each output alone from the same packed weights.
 *
 * Loop order: specialized, blocks of 4 output pixels in raster order, the last one the last 4
 * pixels, each reading its 4 fields whole before writing its outputs; generic, pixel by pixel,
 * the field copied before the pixel's outputs are written. The planner may write the output over
 * the input, the larger of the two orders' distances below it (tinygen/passes/inplace.py, ROWS4).
 */
#include "tg_conv2d_rows4_w16_s8_dsp.h"

void tg_conv2d_rows4_w16_s8_dsp(const tg_conv2d_params_t *p, const int8_t *input, const int16_t *packed,
                                const int32_t *bias, const int32_t *multiplier, const int8_t *shift,
                                int8_t *scratch, int8_t *output)
{
    const int32_t depth = p->kernel_h * p->kernel_w * p->in_c;
    const tg_mat_mult_quant_t q = tg_mat_mult_quant(p->input_offset, p->output_offset, p->act_min, p->act_max,
                                                    depth, p->out_c, bias, multiplier, shift);

    tg_conv2d_rows4_w16_s8_dsp_each(p, &q, input, packed, bias, multiplier, shift, scratch, output, 0);
}
