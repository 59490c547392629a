/*
 * tg_conv2d_add_s8_mve: a convolution with a fused residual add for Helium (Armv8.1-M MVE,
 * Cortex-M55): per pass, the receptive fields of tg_conv_mve_rows output pixels
 * (tg_conv2d_s8_mve.h), their int8 convolution (tg_mat_mult_s8_mve.h, the conv's own
 * requantization and clamp) into the scratch, then TFLite's ADD with the skip rows
 * (tg_add_s8_mve.h) into the output, which may be the skip buffer (tg_conv2d_add_s8_mve.h).
 * The packed constant: the add's two tables (tinygen/kernels/mve_pack.py add_mve_tables),
 * then the product's records. Scratch: mve_pack.py conv2d_add_mve_scratch. Equals
 * tg_conv2d_add_s8 bit for bit. numpy twin: tinygen.ref.kernels.conv2d_add_s8.
 */
#include "tg_conv2d_add_s8_mve.h"

void tg_conv2d_add_s8_mve(const tg_conv2d_add_params_t *p, const int8_t *input, const int8_t *skip,
                          const int32_t *packed, int8_t *scratch, int8_t *output)
{
    tg_conv2d_add_mve_run(p, input, skip, packed, packed + 2 * TG_ADD_MVE_TABLE_WORDS, scratch, output);
}
