/*
 * tg_resize_bilinear_f32: RESIZE_BILINEAR on float32 (TFLite's reference ResizeBilinear), NHWC,
 * every batch. Per output row (column) i, the source coordinate s = (i + 0.5f) * scale - 0.5f
 * with half-pixel centers, else i * scale; its neighbours floor(s) (at least 0) and ceil(s) (at
 * most size - 1); d = s - floor. Each output v00 * (1 - dy) * (1 - dx) + v10 * dy * (1 - dx) +
 * v01 * (1 - dy) * dx + v11 * dy * dx + 0.0f, in that order. Not in place.
 * numpy twin: tinygen.ref.mathops_f32.resize_bilinear_f32.
 */
#include "tg_kernels_math.h"

/* Output row (column) i's source coordinate s, its neighbours floor(s) (at least 0) and ceil(s)
 * (at most size - 1) as int32 without the C library (s within int32's range), and s - floor. */
static float neighbours(int32_t i, float scale, int32_t half_pixel_centers, int32_t size, int32_t *lower,
                        int32_t *upper)
{
    const float s = half_pixel_centers ? ((float)i + 0.5f) * scale - 0.5f : (float)i * scale;
    const int32_t t = (int32_t)s;               /* towards zero */
    const int32_t floor_s = t - (s < (float)t);
    const int32_t ceil_s = t + (s > (float)t);

    *lower = floor_s > 0 ? floor_s : 0;
    *upper = ceil_s < size - 1 ? ceil_s : size - 1;
    return s - (float)*lower;
}

void tg_resize_bilinear_f32(const tg_resize_bilinear_f32_params_t *p, const float *input, float *output)
{
    const int32_t c_n = p->channels;
    const int32_t row = p->in_w * c_n;
    int32_t b, y, x, c, y0, y1, x0, x1;

    for (b = 0; b < p->batches; ++b) {
        const float *image = input + b * p->in_h * row;
        for (y = 0; y < p->out_h; ++y) {
            const float dy = neighbours(y, p->scale_h, p->half_pixel_centers, p->in_h, &y0, &y1);
            for (x = 0; x < p->out_w; ++x) {
                const float dx = neighbours(x, p->scale_w, p->half_pixel_centers, p->in_w, &x0, &x1);
                for (c = 0; c < c_n; ++c) {
                    *output++ = image[y0 * row + x0 * c_n + c] * (1.0f - dy) * (1.0f - dx)
                              + image[y1 * row + x0 * c_n + c] * dy * (1.0f - dx)
                              + image[y0 * row + x1 * c_n + c] * (1.0f - dy) * dx
                              + image[y1 * row + x1 * c_n + c] * dy * dx
                              + 0.0f;
                }
            }
        }
    }
}
