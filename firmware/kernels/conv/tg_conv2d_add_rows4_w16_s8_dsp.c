/*
 * tg_conv2d_add_rows4_w16_s8_dsp: a 2-D convolution with a fused residual add, the convolution in
 * blocks of 4 output pixels x 2 channels with int16 weights packed at build time
 * (tg_conv2d_rows4_w16_s8_dsp.h, as tg_conv2d_rows4_w16_s8_dsp), the conv bytes of 4 blocks at a
 * time (TG_ROWS4_ADD_BLOCKS) then added to the skip bytes with tg_conv2d_add_s8_dsp's
 * arithmetic, each input's term read from a table of its 256 byte values built in scratch at the
 * layer's start (tg_conv_add_tables, tg_conv_add_block). A --kernels auto candidate beside
 * tg_conv2d_add_s8_dsp and tg_conv2d_add_widen_s8_dsp; equals tg_conv2d_add_s8 bit for
 * bit. numpy twin: tinygen.ref.kernels.conv2d_add_s8.
 *
 * The blocks run in a specialized layer (tg_conv2d_add_rows4_w16_s8_dsp_inline). This generic
 * entry point, for models built with specialization off, computes each output alone.
 *
 * Loop order: output byte p is written once, after skip byte p is read, and no other output
 * reads skip byte p, so the output may take the skip's place (not the conv input's).
 */
#include "tg_conv2d_rows4_w16_s8_dsp.h"

void tg_conv2d_add_rows4_w16_s8_dsp(const tg_conv2d_add_params_t *p, const int8_t *input, const int8_t *skip,
                                    const int16_t *packed, const int32_t *bias, const int32_t *multiplier,
                                    const int8_t *shift, int8_t *scratch, int8_t *output)
{
    tg_conv2d_add_rows4_w16_s8_dsp_each(p, input, skip, packed, bias, multiplier, shift, scratch, output, 0);
}
