/*
 * tg_resize_bilinear_s8: portable reference bilinear resize, int8, NHWC with batch 1, with
 * or without half-pixel centers (PyTorch's align_corners=False), TFLite's integer arithmetic
 * (reference_ops::ResizeBilinearInteger, RESIZE_BILINEAR int8): source coordinates in
 * 1/1024 steps (plus the half-pixel offset), the four neighbours weighted in 1/2^20, rounded
 * half away from zero.
 * Input and output share quantization (the weights sum to 1).
 * numpy twin: tinygen.ref.layout.resize_bilinear_s8.
 */
#include "tg_kernels.h"

/* Source coordinate (1/1024 units) and its two neighbours along one axis. */
static void tg_bilinear_axis(int32_t value, int32_t scale_10, int32_t offset_10, int32_t size, int32_t *scaled,
                             int32_t *lo, int32_t *hi)
{
    const int32_t s = value * scale_10 + offset_10;
    const int32_t up = (s + (1 << 10) - 1) / (1 << 10);

    *scaled = s;
    *lo = s / (1 << 10) > 0 ? s / (1 << 10) : 0;
    *hi = up < size - 1 ? up : size - 1;
}

void tg_resize_bilinear_s8(const tg_resize_bilinear_params_t *p, const int8_t *input, int8_t *output)
{
    const int32_t c_n = p->channels;
    int32_t y, x, c;

    for (y = 0; y < p->out_h; ++y) {
        int32_t sy, y0, y1;
        tg_bilinear_axis(y, p->scale_h_10, p->offset_h_10, p->in_h, &sy, &y0, &y1);
        for (x = 0; x < p->out_w; ++x) {
            int32_t sx, x0, x1;
            const int8_t *r0, *r1;
            int64_t wy1, wy0, wx1, wx0;
            tg_bilinear_axis(x, p->scale_w_10, p->offset_w_10, p->in_w, &sx, &x0, &x1);
            wy1 = sy - (1 << 10) * y0;
            wy0 = (1 << 10) - wy1;
            wx1 = sx - (1 << 10) * x0;
            wx0 = (1 << 10) - wx1;
            r0 = &input[y0 * p->in_w * c_n];
            r1 = &input[y1 * p->in_w * c_n];
            for (c = 0; c < c_n; ++c) {
                const int64_t sum = r0[x0 * c_n + c] * wy0 * wx0 + r1[x0 * c_n + c] * wy1 * wx0
                                    + r0[x1 * c_n + c] * wy0 * wx1 + r1[x1 * c_n + c] * wy1 * wx1;
                const int64_t round = sum > 0 ? (1 << 19) : -(1 << 19);
                *output++ = (int8_t)((sum + round) / (1 << 20));
            }
        }
    }
}
