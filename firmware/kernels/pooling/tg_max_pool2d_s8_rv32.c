/*
 * tg_max_pool2d_s8_rv32: max pooling for RV32IM (ESP32-C3), int8: per output pixel the
 * window's in-bounds rows and columns and its first address computed once (padding never
 * wins), then 4 channels per step (4 LB and 4 compare-and-keep per window position, one
 * address for the 4, a row step after each row), the rest one at a time. Each running
 * maximum starts from act_min (>= -128), which folds the lower clamp into the maximum; the
 * upper clamp follows. RV32IMC has no byte-lane SIMD and no MAX instruction (Zbb): a
 * branch and at most one move per element, fewer instructions than a branch-free select
 * (SLT, NEG, XOR, AND, XOR). The output must not overlap the input.
 * Equals tg_max_pool2d_s8 bit for bit. numpy twin: tinygen.ref.kernels.max_pool2d_s8.
 */
#include <stdint.h>

#include "tg_kernels.h"
#include "tg_pool2d_rv32.h"

void tg_max_pool2d_s8_rv32(const tg_pool2d_params_t *p, const int8_t *input, int8_t *output)
{
    /* a local copy: an int8 store may alias any field of *p, not of q (no reloads after stores) */
    const tg_pool2d_params_t q = *p;
    const int32_t channels = q.channels, whole = q.channels & ~3, row_step = q.in_w * q.channels;
    int32_t oy, ox, c, ky, kx;
    for (oy = 0; oy < q.out_h; ++oy) {
        const int32_t iy = oy * q.stride_h - q.pad_top;
        int32_t ky0, ky1, kx0, kx1;
        tg_pool_span(iy, q.in_h, q.kernel_h, &ky0, &ky1);
        for (ox = 0; ox < q.out_w; ++ox) {
            const int32_t ix = ox * q.stride_w - q.pad_left;
            tg_pool_span(ix, q.in_w, q.kernel_w, &kx0, &kx1);
            const int32_t rows = ky1 > ky0 && kx1 > kx0 ? ky1 - ky0 : 0, cols = kx1 - kx0;
            /* the window's first in-bounds element, channel 0 (none in an empty window) */
            const int8_t *window = rows ? input + ((iy + ky0) * q.in_w + ix + kx0) * channels : input;
            int8_t *out = output + (oy * q.out_w + ox) * channels;
            for (c = 0; c < whole; c += 4) {
                int32_t m0 = q.act_min, m1 = q.act_min, m2 = q.act_min, m3 = q.act_min;
                const int8_t *row = window + c;
                for (ky = 0; ky < rows; ++ky, row += row_step) {
                    const int8_t *x = row;
                    for (kx = 0; kx < cols; ++kx) {
                        m0 = x[0] > m0 ? x[0] : m0;
                        m1 = x[1] > m1 ? x[1] : m1;
                        m2 = x[2] > m2 ? x[2] : m2;
                        m3 = x[3] > m3 ? x[3] : m3;
                        x += channels;
                    }
                }
                out[c] = (int8_t)(m0 > q.act_max ? q.act_max : m0);
                out[c + 1] = (int8_t)(m1 > q.act_max ? q.act_max : m1);
                out[c + 2] = (int8_t)(m2 > q.act_max ? q.act_max : m2);
                out[c + 3] = (int8_t)(m3 > q.act_max ? q.act_max : m3);
            }
            for (c = whole; c < channels; ++c) {
                int32_t m = q.act_min;
                const int8_t *row = window + c;
                for (ky = 0; ky < rows; ++ky, row += row_step) {
                    const int8_t *x = row;
                    for (kx = 0; kx < cols; ++kx) {
                        m = *x > m ? *x : m;
                        x += channels;
                    }
                }
                out[c] = (int8_t)(m > q.act_max ? q.act_max : m);
            }
        }
    }
}
