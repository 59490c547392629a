/*
 * tg_max_pool2d_s16: portable max pooling, int16 (16x8 models). Mirrors TFLite's
 * reference_integer_ops::MaxPool: the maximum over the in-bounds elements of
 * each window (padding never wins), starting from -32768, then clamped.
 * numpy twin: tinygen.ref.int16.max_pool2d_s16.
 */
#include "tg_kernels.h"

void tg_max_pool2d_s16(const tg_pool2d_params_t *p, const int16_t *input, int16_t *output)
{
    int32_t out_y, out_x, c, ky, kx;

    for (out_y = 0; out_y < p->out_h; ++out_y) {
        const int32_t in_y_origin = out_y * p->stride_h - p->pad_top;
        /* the window rows that fall inside the input */
        const int32_t ky_start = in_y_origin < 0 ? -in_y_origin : 0;
        const int32_t ky_end = p->in_h - in_y_origin < p->kernel_h ? p->in_h - in_y_origin
                                                                   : p->kernel_h;
        for (out_x = 0; out_x < p->out_w; ++out_x) {
            const int32_t in_x_origin = out_x * p->stride_w - p->pad_left;
            const int32_t kx_start = in_x_origin < 0 ? -in_x_origin : 0;
            const int32_t kx_end = p->in_w - in_x_origin < p->kernel_w ? p->in_w - in_x_origin
                                                                       : p->kernel_w;
            for (c = 0; c < p->channels; ++c) {
                int32_t max = INT16_MIN;
                for (ky = ky_start; ky < ky_end; ++ky) {
                    for (kx = kx_start; kx < kx_end; ++kx) {
                        const int32_t in_y = in_y_origin + ky;
                        const int32_t in_x = in_x_origin + kx;
                        const int32_t v = input[(in_y * p->in_w + in_x) * p->channels + c];
                        max = v > max ? v : max;
                    }
                }
                max = max < p->act_min ? p->act_min : max;
                max = max > p->act_max ? p->act_max : max;
                output[(out_y * p->out_w + out_x) * p->channels + c] = (int16_t)max;
            }
        }
    }
}
