/*
 * tg_conv2d_rows3_s8_dsp: tg_conv2d_s8_dsp (2-D convolution by partial im2col) with the output
 * pixels in blocks of 3 (tg_conv2d_rows3_s8_dsp.h): each block's 3 receptive fields multiplied
 * in the pointwise kernel's 3-row x 2-channel block (tg_mat_mult_rows3_s8_dsp.h). A --kernels
 * auto candidate beside tg_conv2d_s8_dsp; same arguments, constants and results (equals
 * tg_conv2d_s8 bit for bit). numpy twin: tinygen.ref.kernels.conv2d_s8.
 *
 * The 3-row block takes every size as an immediate: a specialized layer runs it
 * (tg_conv2d_rows3_s8_dsp_inline). This generic entry point, for models built with
 * specialization off, runs tg_conv2d_s8_dsp's 2-row body, whose scratch is smaller.
 *
 * Loop order: specialized, blocks of 3 output pixels in raster order, the last one the last 3
 * pixels, each reading its 3 fields whole before writing its outputs; generic,
 * tg_conv2d_s8_dsp's order. The planner does not run it in place.
 */
#include "tg_conv2d_rows3_s8_dsp.h"

void tg_conv2d_rows3_s8_dsp(const tg_conv2d_params_t *p, const int8_t *input, const int8_t *weights,
                            const int32_t *bias, const int32_t *multiplier, const int8_t *shift, int8_t *scratch,
                            int8_t *output)
{
    const int32_t depth = p->kernel_h * p->kernel_w * p->in_c;
    const tg_mat_mult_quant_t q = tg_mat_mult_quant(p->input_offset, p->output_offset, p->act_min, p->act_max,
                                                    depth, p->out_c, bias, multiplier, shift);

    tg_conv2d_s8_dsp_with(p, &q, input, weights, bias, multiplier, shift, scratch, output, 0);
}
