/*
 * tg_conv2d_s8_mve: 2-D convolution (any window, stride, dilation and padding) for Helium
 * (Armv8.1-M MVE, Cortex-M55), int8 in/out, per-channel requantization: the receptive
 * fields of TG_CONV_MVE_ROWS output pixels gathered into the scratch
 * (tg_conv2d_s8_mve.h), then multiplied by the packed weights (tg_mat_mult_s8_mve.h).
 * Scratch: tinygen/kernels/mve_pack.py conv2d_mve_scratch. Equals tg_conv2d_s8 bit for bit.
 * numpy twin: tinygen.ref.kernels.conv2d_s8.
 */
#include "tg_conv2d_s8_mve.h"
#include "tg_kernels.h"
#include "tg_mat_mult_s8_mve.h"

void tg_conv2d_s8_mve(const tg_conv2d_params_t *p, const int8_t *input, const int32_t *packed, int8_t *scratch,
                      int8_t *output)
{
    const tg_conv_mve_geometry_t g = tg_conv_mve_geometry(p);
    const int32_t pixels = p->out_h * p->out_w;
    const int32_t rows = tg_conv_mve_rows(g.stride, pixels);
    for (int32_t first = 0; first < pixels; first += rows) {
        const int32_t count = pixels - first < rows ? pixels - first : rows;
        tg_conv_mve_fields(&g, input, first, count, scratch);
        tg_mat_mult_s8_mve(count, g.stride, p->out_c, scratch, packed, p->output_offset, p->act_min, p->act_max,
                           output + first * p->out_c);
    }
}
