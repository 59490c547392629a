/*
 * tg_conv2d_1x1_s8_mve: pointwise (1x1, stride 1, no padding) 2-D convolution for Helium
 * (Armv8.1-M MVE, Cortex-M55), int8 in/out, per-channel requantization: the
 * [in_h * in_w][in_c] input times the packed weights (tg_mat_mult_s8_mve.h, 2 pixels x 4
 * channels per step of VMLADAVA.S8). Equals tg_conv2d_s8 bit for bit.
 * numpy twin: tinygen.ref.kernels.conv2d_s8.
 */
#include "tg_kernels.h"
#include "tg_mat_mult_s8_mve.h"

void tg_conv2d_1x1_s8_mve(const tg_conv2d_params_t *p, const int8_t *input, const int32_t *packed, int8_t *output)
{
    tg_mat_mult_s8_mve(p->out_h * p->out_w, p->in_c, p->out_c, input, packed, p->output_offset, p->act_min,
                       p->act_max, output);
}
