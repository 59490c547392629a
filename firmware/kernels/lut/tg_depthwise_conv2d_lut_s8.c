/*
 * tg_depthwise_conv2d_lut_s8: portable depthwise 2-D convolution with shared weights
 * (LUT.md), int8 in/out: tg_depthwise_conv2d_s8 with each tap's weight decoded from its index
 * as it is read. The indices are one row in the int8 layout, [kernel_h][kernel_w][out_c]
 * (a channel's few taps would waste most of a word each); the tables per tensor or per
 * output channel. numpy twin: tinygen.ref.kernels.depthwise_conv2d_s8 (on the decoded weights).
 */
#include "tg_kernels_lut.h"
#include "tg_lut.h"

void tg_depthwise_conv2d_lut_s8(const tg_conv2d_params_t *p, const int8_t *input, const uint32_t *packed,
                                const int32_t *bias, const int32_t *multiplier, const int8_t *shift,
                                int8_t *output)
{
    const tg_lut_t lut = tg_lut_open(packed);
    int32_t out_y, out_x, ic, m, ky, kx;

    for (out_y = 0; out_y < p->out_h; ++out_y) {
        const int32_t in_y_origin = out_y * p->stride_h - p->pad_top;
        for (out_x = 0; out_x < p->out_w; ++out_x) {
            const int32_t in_x_origin = out_x * p->stride_w - p->pad_left;
            for (ic = 0; ic < p->in_c; ++ic) {
                for (m = 0; m < p->depth_multiplier; ++m) {
                    const int32_t oc = ic * p->depth_multiplier + m;
                    const int8_t *table = tg_lut_table(&lut, oc);
                    int32_t acc = 0;
                    for (ky = 0; ky < p->kernel_h; ++ky) {
                        const int32_t in_y = in_y_origin + ky * p->dilation_h;
                        if (in_y < 0 || in_y >= p->in_h) {
                            continue; /* padding: (zero point + input_offset) == 0 */
                        }
                        for (kx = 0; kx < p->kernel_w; ++kx) {
                            const int32_t in_x = in_x_origin + kx * p->dilation_w;
                            int32_t in_val;
                            if (in_x < 0 || in_x >= p->in_w) {
                                continue;
                            }
                            in_val = input[(in_y * p->in_w + in_x) * p->in_c + ic];
                            acc += (int32_t)table[tg_lut_index(lut.rows, (ky * p->kernel_w + kx) * p->out_c + oc,
                                                               lut.bits)] * (in_val + p->input_offset);
                        }
                    }
                    output[(out_y * p->out_w + out_x) * p->out_c + oc] =
                        tg_lut_output(acc, bias, multiplier, shift, oc, p->output_offset, p->act_min, p->act_max);
                }
            }
        }
    }
}
