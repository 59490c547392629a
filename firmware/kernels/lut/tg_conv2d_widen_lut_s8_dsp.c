/*
 * tg_conv2d_widen_lut_s8_dsp: tg_conv2d_widen_s8_dsp with shared weights (LUT.md);
 * tg_conv2d_widen_lut_s8_dsp.h gives the method and the scratch. Equal to tg_conv2d_s8 on the
 * decoded weights.
 */
#include <stdint.h>

#include "tg_conv2d_widen_lut_s8_dsp.h"

void tg_conv2d_widen_lut_s8_dsp(const tg_conv2d_params_t *p, const int8_t *input, const uint32_t *packed,
                                const int32_t *bias, const int32_t *multiplier, const int8_t *shift, int8_t *scratch,
                                int8_t *output)
{
    /* local copies: an int8 store may alias any field of *p, not of g or q (no reloads after stores) */
    const tg_conv_direct_t g = tg_conv_direct_of(p);
    const tg_mat_mult_quant_t q = tg_mat_mult_quant(p->input_offset, p->output_offset, p->act_min, p->act_max,
                                                    p->kernel_h * p->kernel_w * p->in_c, p->out_c, bias,
                                                    multiplier, shift);
    if (q.bounded) {    /* a constant in each branch */
        tg_conv_widen_lut_all(&g, &q, 1, input, packed, bias, multiplier, shift, scratch, output);
    } else {
        tg_conv_widen_lut_all(&g, &q, 0, input, packed, bias, multiplier, shift, scratch, output);
    }
}
