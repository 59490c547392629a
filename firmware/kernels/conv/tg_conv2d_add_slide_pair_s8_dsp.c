/*
 * tg_conv2d_add_slide_pair_s8_dsp: tg_conv2d_slide_pair_s8_dsp with a fused residual add
 * (tg_conv2d_slide_pair_s8_dsp.h); equals tg_conv2d_add_s8 bit for bit. numpy twin:
 * tinygen.ref.kernels.conv2d_add_s8.
 *
 * The ring runs in a specialized layer (tg_conv2d_add_slide_pair_s8_dsp_inline). This generic entry point, for
 * models built with specialization off, computes each output alone.
 *
 * Loop order: output byte p is written once, after skip byte p is read, and no other output reads skip byte
 * p, so the output may take the skip's place (not the conv input's).
 */
#include "tg_conv2d_slide_pair_s8_dsp.h"

void tg_conv2d_add_slide_pair_s8_dsp(const tg_conv2d_add_params_t *p, const int8_t *input, const int8_t *skip,
                                     const int16_t *packed, const int32_t *bias, const int32_t *multiplier,
                                     const int8_t *shift, int8_t *scratch, int8_t *output)
{
    tg_conv2d_add_rows4_w16_s8_dsp_each(p, input, skip, packed, bias, multiplier, shift, scratch, output,
                                        TG_SLIDE_PAIR);
}
