/*
 * tg_conv2d_lut_s8: portable 2-D convolution with shared weights (LUT.md), int8 in/out:
 * tg_conv2d_s8 with each weight decoded from its index and its channel's table as the
 * window sum reads it. numpy twin: tinygen.ref.kernels.conv2d_s8 (on the decoded weights).
 */
#include "tg_kernels_lut.h"
#include "tg_lut.h"

void tg_conv2d_lut_s8(const tg_conv2d_params_t *p, const int8_t *input, const uint32_t *packed,
                      const int32_t *bias, const int32_t *multiplier, const int8_t *shift, int8_t *output)
{
    const tg_lut_t lut = tg_lut_open(packed);
    int32_t out_y, out_x, oc;

    for (out_y = 0; out_y < p->out_h; ++out_y) {
        for (out_x = 0; out_x < p->out_w; ++out_x) {
            int8_t *out = &output[(out_y * p->out_w + out_x) * p->out_c];
            for (oc = 0; oc < p->out_c; ++oc) {
                out[oc] = tg_lut_output(tg_conv2d_lut_acc(p, &lut, input, out_y, out_x, oc), bias, multiplier,
                                        shift, oc, p->output_offset, p->act_min, p->act_max);
            }
        }
    }
}
