/*
 * tg_avg_pool2d_f32: average pooling on float32, TFLite's reference_ops::AveragePool: the
 * window's positions inside the input summed in order (total = 0.f), divided by their count
 * (a float), then clamped. Bit for bit TFLite Micro's (tg_kernels_f32.h).
 * numpy twin: tinygen.ref.float32.avg_pool2d_f32.
 */
#include <stdint.h>

#include "tg_kernels.h"

void tg_avg_pool2d_f32(const tg_pool2d_f32_params_t *p, const float *input, float *output)
{
    int32_t out_y, out_x, c, ky, kx;

    for (out_y = 0; out_y < p->out_h; ++out_y) {
        const int32_t in_y_origin = out_y * p->stride_h - p->pad_top;
        for (out_x = 0; out_x < p->out_w; ++out_x) {
            const int32_t in_x_origin = out_x * p->stride_w - p->pad_left;
            for (c = 0; c < p->channels; ++c) {
                float total = 0.0f;
                float count = 0.0f;
                for (ky = 0; ky < p->kernel_h; ++ky) {
                    const int32_t in_y = in_y_origin + ky;
                    if (in_y < 0 || in_y >= p->in_h) {
                        continue;
                    }
                    for (kx = 0; kx < p->kernel_w; ++kx) {
                        const int32_t in_x = in_x_origin + kx;
                        if (in_x < 0 || in_x >= p->in_w) {
                            continue;
                        }
                        total += input[(in_y * p->in_w + in_x) * p->channels + c];
                        count += 1.0f;
                    }
                }
                output[(out_y * p->out_w + out_x) * p->channels + c] =
                    tg_clamp_value_f32(total / count, p->act_min, p->act_max);
            }
        }
    }
}
