/*
 * tg_conv2d_rows4_pair_s8_dsp: tg_conv2d_rows4_w16_s8_dsp's 4-pixel blocks (4 pixels x 2 output
 * channels at a time, tg_conv2d_rows4_w16_s8_dsp.h) with the weights packed at build time as
 * row-pair halfwords, h = 256 b + a for channels A and B of a pair
 * (tinygen.kernels.rows4_dsp.rows4_pair_weights): the int8 weights' bytes, 12 instructions per 16
 * multiply-accumulates in its steps (an LDR and an SXTB16 for the int16 kernel's LDRD;
 * tg_rows4_loop_dsp.h). Offered to --kernels auto only where every channel pair's h fits int16 and
 * its sums stay exact (tinygen.kernels.rows4_dsp.pair_exact); equals tg_conv2d_s8 bit for bit.
 * numpy twin: tinygen.ref.kernels.conv2d_s8.
 *
 * The 4-pixel block takes every size as an immediate: a specialized layer runs it
 * (tg_conv2d_rows4_pair_s8_dsp_inline). This generic entry point, for models built with
 * specialization off, computes each output alone, each weight read back from its halfword.
 *
 * Loop order: as tg_conv2d_rows4_w16_s8_dsp's; the planner may write its output over its input,
 * starting the distance tinygen/passes/inplace.py's ROWS4 model gives below it.
 */
#include "tg_conv2d_rows4_w16_s8_dsp.h"

void tg_conv2d_rows4_pair_s8_dsp(const tg_conv2d_params_t *p, const int8_t *input, const int16_t *packed,
                                 const int32_t *bias, const int32_t *multiplier, const int8_t *shift,
                                 int8_t *scratch, int8_t *output)
{
    const int32_t depth = p->kernel_h * p->kernel_w * p->in_c;
    const tg_mat_mult_quant_t q = tg_mat_mult_quant(p->input_offset, p->output_offset, p->act_min, p->act_max,
                                                    depth, p->out_c, bias, multiplier, shift);

    tg_conv2d_rows4_w16_s8_dsp_each(p, &q, input, packed, bias, multiplier, shift, scratch, output, 1);
}
