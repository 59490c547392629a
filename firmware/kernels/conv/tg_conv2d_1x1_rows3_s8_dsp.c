/*
 * tg_conv2d_1x1_rows3_s8_dsp: tg_conv2d_1x1_s8_dsp with the output pixels in blocks of 3
 * (tg_mat_mult_rows3_s8_dsp.h): 21 instructions per 24 multiply-accumulates in its steps
 * against 16 per 16. A --kernels auto candidate beside tg_conv2d_1x1_s8_dsp; same arguments,
 * constants and results (equals tg_conv2d_s8 bit for bit on the shapes it accepts).
 * numpy twin: tinygen.ref.kernels.conv2d_s8.
 *
 * The 3-row blocks take every size as an immediate (the step's 14 registers leave none for
 * the depth): a specialized layer runs them (tg_conv2d_1x1_rows3_s8_dsp_inline). This generic
 * entry point, for models built with specialization off, runs tg_conv2d_1x1_s8_dsp's 2-row
 * product, whose scratch is smaller.
 *
 * Loop order (in-place planning relies on it, tinygen/passes/inplace.py): specialized, blocks of
 * 3 rows in increasing order, the last one the last 3 rows (overlapping the block before where
 * rows % 3 != 0), each reading its 3 input rows whole before writing its output rows; generic,
 * tg_conv2d_1x1_s8_dsp's order.
 */
#include "tg_kernels.h"
#include "tg_mat_mult_rows3_s8_dsp.h"

void tg_conv2d_1x1_rows3_s8_dsp(const tg_conv2d_params_t *p, const int8_t *input, const int8_t *weights,
                                const int32_t *bias, const int32_t *multiplier, const int8_t *shift,
                                int8_t *scratch, int8_t *output)
{
    const tg_mat_mult_quant_t q = tg_mat_mult_quant(p->input_offset, p->output_offset, p->act_min, p->act_max,
                                                    p->in_c, p->out_c, bias, multiplier, shift);

    tg_mat_mult_s8_dsp(p->out_h * p->out_w, p->in_c, p->out_c, input, weights, bias, multiplier, shift, &q,
                       scratch, output);
}
