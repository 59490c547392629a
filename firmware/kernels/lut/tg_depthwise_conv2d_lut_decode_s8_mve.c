/*
 * tg_depthwise_conv2d_lut_decode_s8_mve: a depthwise convolution (depth multiplier 1, dilation
 * 1, at most 16 taps) with shared weights (LUT.md), for Helium (Cortex-M55): the layer's
 * weights decoded once into the scratch as tg_depthwise_conv2d_s8_mve's records
 * (tg_lut_mve.h), then tg_depthwise_conv2d_s8_mve on them, its own scratch after them.
 * numpy twin: depthwise_conv2d_s8 on the decoded weights.
 */
#include "tg_kernels_lut_mve.h"
#include "tg_kernels_mve.h"
#include "tg_lut_mve.h"

void tg_depthwise_conv2d_lut_decode_s8_mve(const tg_conv2d_params_t *p, const int8_t *input,
                                           const uint32_t *packed, int8_t *scratch, int8_t *output)
{
    const int32_t *records = tg_lut_mve_depthwise(packed, p->out_c, p->kernel_h * p->kernel_w, scratch);
    tg_depthwise_conv2d_s8_mve(p, input, records,
                               &scratch[TG_LUT_MVE_RECORDS_BYTES(tg_lut_mve_depthwise_bytes(p->out_c))], output);
}
