/*
 * tg_conv2d_slide_pair_s8_dsp: a 3x3 stride-1 convolution over a ring of input rows widened once each
 * (tg_conv2d_slide_pair_s8_dsp.h), the weights as row-pair halfwords (h = 256 b + a) in the order its blocks
 * read them (tinygen.kernels.slide_dsp.slide_pair_weights); offered to --kernels auto where
 * tinygen.kernels.rows4_dsp.pair_exact holds; equals tg_conv2d_s8 bit for bit. numpy twin:
 * tinygen.ref.kernels.conv2d_s8.
 *
 * The ring runs in a specialized layer (tg_conv2d_slide_pair_s8_dsp_inline). This generic entry point, for
 * models built with specialization off, computes each output alone.
 */
#include "tg_conv2d_slide_pair_s8_dsp.h"

void tg_conv2d_slide_pair_s8_dsp(const tg_conv2d_params_t *p, const int8_t *input, const int16_t *packed,
                                 const int32_t *bias, const int32_t *multiplier, const int8_t *shift,
                                 int8_t *scratch, int8_t *output)
{
    const int32_t depth = p->kernel_h * p->kernel_w * p->in_c;
    const tg_mat_mult_quant_t q = tg_mat_mult_quant(p->input_offset, p->output_offset, p->act_min, p->act_max,
                                                    depth, p->out_c, bias, multiplier, shift);

    tg_conv2d_rows4_w16_s8_dsp_each(p, &q, input, packed, bias, multiplier, shift, scratch, output, TG_SLIDE_PAIR);
}
