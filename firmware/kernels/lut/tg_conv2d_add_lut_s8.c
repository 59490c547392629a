/*
 * tg_conv2d_add_lut_s8: tg_conv2d_add_s8 with shared weights (LUT.md): the convolution's
 * int8 result as tg_conv2d_lut_s8 computes it, then the residual add with the skip tensor.
 * Loop order and in-place use as tg_conv2d_add_s8. numpy twin: tinygen.ref.kernels.conv2d_add_s8.
 */
#include "tg_conv2d_s8.h"
#include "tg_kernels_lut.h"
#include "tg_lut.h"

void tg_conv2d_add_lut_s8(const tg_conv2d_add_params_t *p, const int8_t *input, const int8_t *skip,
                          const uint32_t *packed, const int32_t *bias, const int32_t *multiplier,
                          const int8_t *shift, int8_t *output)
{
    /* the convolution's part of the parameters, as tg_conv2d_lut_s8 takes them */
    const tg_conv2d_params_t conv = {
        .in_h = p->in_h, .in_w = p->in_w, .in_c = p->in_c,
        .out_h = p->out_h, .out_w = p->out_w, .out_c = p->out_c,
        .kernel_h = p->kernel_h, .kernel_w = p->kernel_w,
        .stride_h = p->stride_h, .stride_w = p->stride_w,
        .dilation_h = p->dilation_h, .dilation_w = p->dilation_w,
        .pad_top = p->pad_top, .pad_left = p->pad_left,
        .depth_multiplier = 1,
        .input_offset = p->input_offset, .output_offset = p->output_offset,
        .act_min = p->act_min, .act_max = p->act_max,
    };
    const tg_lut_t lut = tg_lut_open(packed);
    int32_t out_y, out_x, oc;

    for (out_y = 0; out_y < p->out_h; ++out_y) {
        for (out_x = 0; out_x < p->out_w; ++out_x) {
            for (oc = 0; oc < p->out_c; ++oc) {
                const int32_t index = (out_y * p->out_w + out_x) * p->out_c + oc;
                const int8_t c = tg_lut_output(tg_conv2d_lut_acc(&conv, &lut, input, out_y, out_x, oc), bias,
                                               multiplier, shift, oc, p->output_offset, p->act_min, p->act_max);
                output[index] = tg_conv_add_one(p, c, skip[index]);
            }
        }
    }
}
