/*
 * tg_conv2d_add_lut_decode_s8_mve: a convolution with a fused residual add and shared weights
 * (LUT.md), for Helium (Cortex-M55): the layer's weights decoded once into the scratch as
 * tg_conv2d_add_s8_mve's product records (tg_lut_mve.h), then its passes on them with the
 * add's tables from flash (tg_conv2d_add_s8_mve.h), its own scratch after the records. The
 * output may be the skip buffer. numpy twin: conv2d_add_s8 on the decoded weights.
 */
#include "tg_conv2d_add_s8_mve.h"
#include "tg_kernels_lut_mve.h"
#include "tg_lut_mve.h"

void tg_conv2d_add_lut_decode_s8_mve(const tg_conv2d_add_params_t *p, const int8_t *input, const int8_t *skip,
                                     const uint32_t *packed, int8_t *scratch, int8_t *output)
{
    const int32_t depth = p->kernel_h * p->kernel_w * p->in_c;
    const tg_lut_t lut = tg_lut_open(packed);
    const int32_t *tables = tg_lut_after(&lut, p->out_c);
    const int32_t *records = tg_lut_mve_mat_mult(&lut, tables + 2 * TG_ADD_MVE_TABLE_WORDS, p->out_c, depth, scratch);
    tg_conv2d_add_mve_run(p, input, skip, tables, records, tg_lut_mve_rest(scratch, p->out_c, depth), output);
}
