/*
 * tg_avg_pool2d_s8_rv32: average pooling for RV32IM (ESP32-C3), int8: per output pixel the
 * window's in-bounds rows and columns computed once, then 4 channels per step (4 LB and 4
 * ADD per window position, one address for the 4), the rest one at a time; the sum
 * divided as tg_avg_pool2d_s8 does (DIV, rounding halves away from zero; padded positions
 * as the zero point with count_include_pad). The output must not overlap the input.
 * Equals tg_avg_pool2d_s8 bit for bit. numpy twin: tinygen.ref.kernels.avg_pool2d_s8.
 */
#include <stdint.h>

#include "tg_kernels.h"
#include "tg_pool2d_rv32.h"

/* The average of `count` in-bounds values summing to sum, as tg_avg_pool2d_s8 rounds and clamps it. */
static inline int8_t tg_avg_finish(const tg_pool2d_params_t *p, int32_t sum, int32_t count)
{
    int32_t avg;
    if (p->count_include_pad) {
        sum += (p->kernel_h * p->kernel_w - count) * p->zero_point;
        count = p->kernel_h * p->kernel_w;
    }
    if (count == 0) {
        avg = 0;
    } else if (sum > 0) {
        avg = (sum + count / 2) / count;
    } else {
        avg = (sum - count / 2) / count;
    }
    avg = avg < p->act_min ? p->act_min : avg;
    avg = avg > p->act_max ? p->act_max : avg;
    return (int8_t)avg;
}

void tg_avg_pool2d_s8_rv32(const tg_pool2d_params_t *p, const int8_t *input, int8_t *output)
{
    /* a local copy: an int8 store may alias any field of *p, not of q (no reloads after stores) */
    const tg_pool2d_params_t q = *p;
    const int32_t channels = q.channels, whole = q.channels & ~3;
    int32_t oy, ox, c, ky, kx;
    for (oy = 0; oy < q.out_h; ++oy) {
        const int32_t iy = oy * q.stride_h - q.pad_top;
        int32_t ky0, ky1, kx0, kx1;
        tg_pool_span(iy, q.in_h, q.kernel_h, &ky0, &ky1);
        for (ox = 0; ox < q.out_w; ++ox) {
            const int32_t ix = ox * q.stride_w - q.pad_left;
            tg_pool_span(ix, q.in_w, q.kernel_w, &kx0, &kx1);
            const int32_t count = ky1 > ky0 && kx1 > kx0 ? (ky1 - ky0) * (kx1 - kx0) : 0;
            int8_t *out = output + (oy * q.out_w + ox) * channels;
            for (c = 0; c < whole; c += 4) {
                int32_t s0 = 0, s1 = 0, s2 = 0, s3 = 0;
                for (ky = ky0; ky < ky1; ++ky) {
                    const int8_t *x = input + ((iy + ky) * q.in_w + ix + kx0) * channels + c;
                    for (kx = kx0; kx < kx1; ++kx) {
                        s0 += x[0];
                        s1 += x[1];
                        s2 += x[2];
                        s3 += x[3];
                        x += channels;
                    }
                }
                out[c] = tg_avg_finish(&q, s0, count);
                out[c + 1] = tg_avg_finish(&q, s1, count);
                out[c + 2] = tg_avg_finish(&q, s2, count);
                out[c + 3] = tg_avg_finish(&q, s3, count);
            }
            for (c = whole; c < channels; ++c) {
                int32_t s = 0;
                for (ky = ky0; ky < ky1; ++ky) {
                    const int8_t *x = input + ((iy + ky) * q.in_w + ix + kx0) * channels + c;
                    for (kx = kx0; kx < kx1; ++kx) {
                        s += *x;
                        x += channels;
                    }
                }
                out[c] = tg_avg_finish(&q, s, count);
            }
        }
    }
}
