/*
 * The window walk of the float32 pools (tg_max_pool2d_f32, tg_avg_pool2d_f32, tg_l2_pool2d_f32),
 * TFLite's reference pooling loops: per output pixel and channel, an accumulator from `start`
 * takes each of the window's positions inside the input in order (`step`, rows then columns,
 * counting them), `finish` turns it into the value, which is clamped to act_min..act_max. The
 * walk is always_inline and its functions constants, so each kernel compiles to its own loop.
 * NHWC, batch 1. Not in place.
 */
#ifndef TG_POOL2D_F32_H
#define TG_POOL2D_F32_H

#include <stdint.h>

#include "tg_kernels.h"

typedef float (*tg_pool_step_f32)(float acc, float x);
typedef float (*tg_pool_finish_f32)(float acc, int32_t count);

static inline __attribute__((always_inline)) void tg_pool2d_walk_f32(const tg_pool2d_f32_params_t *p,
                                                                      const float *input, float *output, float start,
                                                                      tg_pool_step_f32 step,
                                                                      tg_pool_finish_f32 finish)
{
    int32_t out_y, out_x, c, ky, kx;

    for (out_y = 0; out_y < p->out_h; ++out_y) {
        const int32_t in_y_origin = out_y * p->stride_h - p->pad_top;
        for (out_x = 0; out_x < p->out_w; ++out_x) {
            const int32_t in_x_origin = out_x * p->stride_w - p->pad_left;
            for (c = 0; c < p->channels; ++c) {
                float acc = start;
                int32_t count = 0;
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
                        acc = step(acc, input[(in_y * p->in_w + in_x) * p->channels + c]);
                        ++count;
                    }
                }
                output[(out_y * p->out_w + out_x) * p->channels + c] =
                    tg_clamp_value_f32(finish(acc, count), p->act_min, p->act_max);
            }
        }
    }
}

#endif /* TG_POOL2D_F32_H */
