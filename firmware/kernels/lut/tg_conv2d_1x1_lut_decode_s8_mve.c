/*
 * tg_conv2d_1x1_lut_decode_s8_mve: a pointwise convolution (1x1, stride 1, no padding) with
 * shared weights (LUT.md), for Helium (Cortex-M55): the layer's weights decoded once into the
 * scratch as tg_conv2d_1x1_s8_mve's records (tg_lut_mve.h), then tg_conv2d_1x1_s8_mve on them.
 * numpy twin: conv2d_s8 on the decoded weights.
 */
#include "tg_kernels_lut_mve.h"
#include "tg_kernels_mve.h"
#include "tg_lut_mve.h"

void tg_conv2d_1x1_lut_decode_s8_mve(const tg_conv2d_params_t *p, const int8_t *input, const uint32_t *packed,
                                     int8_t *scratch, int8_t *output)
{
    tg_conv2d_1x1_s8_mve(p, input, tg_lut_mve_decode(packed, p->out_c, p->in_c, scratch), output);
}
