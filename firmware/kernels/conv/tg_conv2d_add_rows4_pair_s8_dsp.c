/*
 * tg_conv2d_add_rows4_pair_s8_dsp: tg_conv2d_add_rows4_w16_s8_dsp (a 2-D convolution in 4-pixel
 * blocks with a fused residual add, tg_conv2d_rows4_w16_s8_dsp.h) with the weights packed as
 * row-pair halfwords (h = 256 b + a, the int8 weights' bytes; tg_rows4_loop_dsp.h), offered to
 * --kernels auto where tinygen.kernels.rows4_dsp.pair_exact holds; equals tg_conv2d_add_s8 bit
 * for bit. numpy twin: tinygen.ref.kernels.conv2d_add_s8.
 *
 * The blocks run in a specialized layer (tg_conv2d_add_rows4_pair_s8_dsp_inline). This generic
 * entry point, for models built with specialization off, computes each output alone.
 *
 * Loop order: output byte p is written once, after skip byte p is read, and no other output
 * reads skip byte p, so the output may take the skip's place (not the conv input's).
 */
#include "tg_conv2d_rows4_w16_s8_dsp.h"

void tg_conv2d_add_rows4_pair_s8_dsp(const tg_conv2d_add_params_t *p, const int8_t *input, const int8_t *skip,
                                     const int16_t *packed, const int32_t *bias, const int32_t *multiplier,
                                     const int8_t *shift, int8_t *scratch, int8_t *output)
{
    tg_conv2d_add_rows4_w16_s8_dsp_each(p, input, skip, packed, bias, multiplier, shift, scratch, output, 1);
}
