/*
 * tg_conv2d_b1_b1_b1_mve: tg_conv2d_b1_b1_b1 for the Cortex-M55 (Helium): the field path's
 * XNOR / popcount on 16 bytes at once (tg_conv2d_b1_mve.h), the other pixels on the DSP span
 * path, then one threshold compare per channel into the packed output word (the pixel loops:
 * tg_conv2d_b1_pixels.h). Same arguments and bytes as the portable kernel; numpy twin:
 * tinygen.ref.binary.conv2d_b1_b1_b1.
 */
#include "tg_conv2d_b1_mve.h"
#include "tg_conv2d_b1_pixels.h"

void tg_conv2d_b1_b1_b1_mve(const tg_conv2d_b1_params_t *p, const uint32_t *input,
                            const uint32_t *weights, const int32_t *thresholds, uint32_t *output)
{
    tg_conv2d_b1_b1_b1_pixels(p, input, weights, thresholds, output, tg_b1_field_counts_mve);
}
