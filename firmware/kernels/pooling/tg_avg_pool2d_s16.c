/*
 * tg_avg_pool2d_s16: portable average pooling, int16 (16x8 models). Mirrors
 * TFLite's reference_integer_ops::AveragePool (count_include_pad = 0) and
 * PyTorch's avg_pool2d default (count_include_pad = 1, padded positions
 * holding the zero point, i.e. real 0).
 * numpy twin: tinygen.ref.int16.avg_pool2d_s16.
 */
#include "tg_kernels.h"

void tg_avg_pool2d_s16(const tg_pool2d_params_t *p, const int16_t *input, int16_t *output)
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
                int32_t sum = 0;
                int32_t count = 0;
                int32_t avg;
                for (ky = ky_start; ky < ky_end; ++ky) {
                    for (kx = kx_start; kx < kx_end; ++kx) {
                        const int32_t in_y = in_y_origin + ky;
                        const int32_t in_x = in_x_origin + kx;
                        sum += input[(in_y * p->in_w + in_x) * p->channels + c];
                        ++count;
                    }
                }
                if (p->count_include_pad) {
                    /* every out-of-bounds position holds the zero point */
                    sum += (p->kernel_h * p->kernel_w - count) * p->zero_point;
                    count = p->kernel_h * p->kernel_w;
                }
                if (count == 0) {
                    avg = 0; /* empty window: not produced by valid geometry */
                } else if (sum > 0) {
                    avg = (sum + count / 2) / count; /* halves away from zero */
                } else {
                    avg = (sum - count / 2) / count;
                }
                avg = avg < p->act_min ? p->act_min : avg;
                avg = avg > p->act_max ? p->act_max : avg;
                output[(out_y * p->out_w + out_x) * p->channels + c] = (int16_t)avg;
            }
        }
    }
}
