/*
 * tg_conv2d_add_s8_mve: a convolution with a fused residual add for Helium (Armv8.1-M MVE,
 * Cortex-M55): per pass, the receptive fields of tg_conv_mve_rows output pixels
 * (tg_conv2d_s8_mve.h), their int8 convolution (tg_mat_mult_s8_mve.h, the conv's own
 * requantization and clamp) into the scratch, then TFLite's ADD with the skip rows
 * (tg_add_s8_mve.h) into the output, which may be the skip buffer. The packed constant:
 * the add's two tables (tinygen/kernels/mve_pack.py add_mve_tables), then the product's
 * records. Scratch: mve_pack.py conv2d_add_mve_scratch. Equals tg_conv2d_add_s8 bit for bit.
 * numpy twin: tinygen.ref.kernels.conv2d_add_s8.
 */
#include "tg_add_s8_mve.h"
#include "tg_conv2d_s8_mve.h"
#include "tg_kernels.h"
#include "tg_mat_mult_s8_mve.h"

void tg_conv2d_add_s8_mve(const tg_conv2d_add_params_t *p, const int8_t *input, const int8_t *skip,
                          const int32_t *packed, int8_t *scratch, int8_t *output)
{
    const tg_conv2d_params_t conv = {p->in_h, p->in_w, p->in_c, p->out_h, p->out_w, p->out_c,
                                     p->kernel_h, p->kernel_w, p->stride_h, p->stride_w, p->dilation_h, p->dilation_w,
                                     p->pad_top, p->pad_left, 1, p->input_offset, p->output_offset, p->act_min,
                                     p->act_max};
    const tg_add_mve_t add = tg_add_mve(packed, p->add_output_multiplier, p->add_output_shift, p->add_output_offset,
                                        p->add_act_min, p->add_act_max);
    const int32_t *records = packed + 2 * TG_ADD_MVE_TABLE_WORDS;
    const tg_conv_mve_geometry_t g = tg_conv_mve_geometry(&conv);
    const int32_t pixels = p->out_h * p->out_w;
    const int32_t rows = tg_conv_mve_rows(g.stride, pixels);
    int8_t *sums = scratch + rows * g.stride + TG_MVE_STEP;
    for (int32_t first = 0; first < pixels; first += rows) {
        const int32_t count = pixels - first < rows ? pixels - first : rows;
        tg_conv_mve_fields(&g, input, first, count, scratch);
        tg_mat_mult_s8_mve(count, g.stride, p->out_c, scratch, records, p->output_offset, p->act_min, p->act_max,
                           sums);
        tg_add_mve_apply(&add, sums, skip + first * p->out_c, count * p->out_c, output + first * p->out_c);
    }
}
