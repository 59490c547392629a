/*
 * tg_conv2d_add_s8_mve's steps, with the add's two tables and the product's records where the
 * caller finds them (tg_conv2d_add_s8_mve: both in its packed constant; the LUT kernel decoding
 * the weights into its scratch, tg_conv2d_add_lut_decode_s8_mve: the records there): per pass,
 * the receptive fields of tg_conv_mve_rows output pixels (tg_conv2d_s8_mve.h), their int8
 * convolution (tg_mat_mult_s8_mve.h) into the scratch, then TFLite's ADD with the skip rows
 * (tg_add_s8_mve.h) into the output, which may be the skip buffer.
 */
#ifndef TG_CONV2D_ADD_S8_MVE_H
#define TG_CONV2D_ADD_S8_MVE_H

#include "tg_add_s8_mve.h"
#include "tg_conv2d_s8_mve.h"
#include "tg_kernels.h"
#include "tg_mat_mult_s8_mve.h"

static inline void tg_conv2d_add_mve_run(const tg_conv2d_add_params_t *p, const int8_t *input, const int8_t *skip,
                                         const int32_t *tables, const int32_t *records, int8_t *scratch,
                                         int8_t *output)
{
    const tg_conv2d_params_t conv = {p->in_h, p->in_w, p->in_c, p->out_h, p->out_w, p->out_c,
                                     p->kernel_h, p->kernel_w, p->stride_h, p->stride_w, p->dilation_h, p->dilation_w,
                                     p->pad_top, p->pad_left, 1, p->input_offset, p->output_offset, p->act_min,
                                     p->act_max};
    const tg_add_mve_t add = tg_add_mve(tables, p->add_output_multiplier, p->add_output_shift, p->add_output_offset,
                                        p->add_act_min, p->add_act_max);
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

#endif /* TG_CONV2D_ADD_S8_MVE_H */
