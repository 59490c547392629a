/*
 * tg_conv2d_add_s8: portable 2-D convolution with a fused residual add, int8.
 * Each output byte p is tg_conv2d_s8's int8 result c[p] (per-channel requantization
 * to the conv's grid, clamped to act_min..act_max), then tg_add_s8's arithmetic
 * (TFLite's int8 ADD) of c[p] and skip[p], clamped to add_act_min..add_act_max.
 * numpy twin: tinygen.ref.kernels.conv2d_add_s8.
 *
 * Loop order: out_y, out_x, out_c; output byte p is written once, after its
 * window and skip byte p are read, and no other step reads skip byte p: the
 * output may take the skip tensor's place (in place, distance 0).
 */
#include "tg_conv2d_s8.h"
#include "tg_kernels.h"
#include "tg_requant.h"

void tg_conv2d_add_s8(const tg_conv2d_add_params_t *p, const int8_t *input, const int8_t *skip,
                      const int8_t *weights, const int32_t *bias, const int32_t *multiplier,
                      const int8_t *shift, int8_t *output)
{
    /* the convolution's part of the parameters, as tg_conv2d_s8 takes them */
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
    int32_t out_y, out_x, oc;

    for (out_y = 0; out_y < p->out_h; ++out_y) {
        for (out_x = 0; out_x < p->out_w; ++out_x) {
            for (oc = 0; oc < p->out_c; ++oc) {
                const int32_t index = (out_y * p->out_w + out_x) * p->out_c + oc;
                const int8_t c = tg_conv2d_s8_output(&conv, input, weights, bias, multiplier, shift, out_y, out_x, oc);
                output[index] = tg_conv_add_one(p, c, skip[index]);
            }
        }
    }
}
