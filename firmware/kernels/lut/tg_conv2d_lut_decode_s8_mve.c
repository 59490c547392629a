/*
 * tg_conv2d_lut_decode_s8_mve: a 2-D convolution, any geometry, with shared weights (LUT.md),
 * for Helium (Cortex-M55): the layer's weights decoded once into the scratch as
 * tg_conv2d_s8_mve's records (tg_lut_mve.h), then tg_conv2d_s8_mve on them, its own scratch
 * after them. numpy twin: conv2d_s8 on the decoded weights.
 */
#include "tg_kernels_lut_mve.h"
#include "tg_kernels_mve.h"
#include "tg_lut_mve.h"

void tg_conv2d_lut_decode_s8_mve(const tg_conv2d_params_t *p, const int8_t *input, const uint32_t *packed,
                                 int8_t *scratch, int8_t *output)
{
    const int32_t depth = p->kernel_h * p->kernel_w * p->in_c;
    tg_conv2d_s8_mve(p, input, tg_lut_mve_decode(packed, p->out_c, depth, scratch),
                     tg_lut_mve_rest(scratch, p->out_c, depth), output);
}
