/*
 * tg_avg_pool2d_s8_dsp: average pooling, int8, for ARMv7E-M (Cortex-M4/M7 DSP
 * extension). Equals tg_avg_pool2d_s8 bit for bit (TFLite's reference AveragePool,
 * and PyTorch's count_include_pad); numpy twin: tinygen.ref.kernels.avg_pool2d_s8.
 *
 * NHWC keeps a pixel's channels contiguous: 8 channels at a time, each window pixel
 * is two 32-bit loads and four SXTAB16, which add bytes 0, 2 (or, rotated, 1, 3)
 * sign-extended into two int16 sums. A window of at most 256 pixels keeps each sum
 * inside int16 (256 * -128 = -32768); larger windows, and the channels after the last
 * block of 4, are summed one channel at a time in int32. Each sum is then divided by
 * the count rounding halves away from zero (SDIV), as TFLite does.
 *
 * Loop order: output pixels in raster order; within one, channel blocks in increasing
 * order, each block's outputs written after all reads of its window.
 *
 * Needs __ARM_FEATURE_DSP (-mcpu=cortex-m4 / cortex-m7).
 */
#include <arm_acle.h>
#include <stdint.h>

#include "tg_dsp_s8.h"
#include "tg_kernels.h"

/* Window pixels whose int8 sum always fits an int16 lane. */
#define TG_AP_MAX_LANE_PIXELS 256

/* What an output pixel's channels share. */
typedef struct {
    const int8_t *first;    /* channel 0 of the window's first in-bounds pixel */
    int32_t rows, cols;     /* in-bounds window */
    int32_t row_step;       /* bytes between window rows */
    int32_t channels;
    int32_t extra;          /* added to every sum: padded positions holding the zero point */
    int32_t count;          /* the divisor */
    int32_t act_min, act_max;
} tg_ap_window_t;

/* sum / count rounded half away from zero, then the activation clamp. */
static inline int8_t tg_ap_out(int32_t sum, const tg_ap_window_t *w)
{
    int32_t avg;
    sum += w->extra;
    avg = (sum > 0 ? sum + w->count / 2 : sum - w->count / 2) / w->count;
    avg = avg < w->act_min ? w->act_min : avg;
    avg = avg > w->act_max ? w->act_max : avg;
    return (int8_t)avg;
}

/* Channels c..c+7 (eight, or four when `four`, a constant where inlined) summed in int16 lanes. */
static inline __attribute__((always_inline)) void
tg_ap_lanes(const tg_ap_window_t *w, int32_t c, int32_t four, int8_t *out)
{
    const int8_t *row = w->first + c;
    int32_t s02 = 0, s13 = 0, t02 = 0, t13 = 0, r, k;
    for (r = 0; r < w->rows; ++r, row += w->row_step) {
        const int8_t *x = row;
        for (k = 0; k < w->cols; ++k, x += w->channels) {
            const int32_t v = tg_dsp_load_s8x4(x);
            s02 = __sxtab16(s02, v);
            s13 = tg_dsp_sxtab16_odd(s13, v);
            if (!four) {
                const int32_t u = tg_dsp_load_s8x4(x + 4);
                t02 = __sxtab16(t02, u);
                t13 = tg_dsp_sxtab16_odd(t13, u);
            }
        }
    }
    out[c] = tg_ap_out((int16_t)s02, w);
    out[c + 1] = tg_ap_out((int16_t)s13, w);
    out[c + 2] = tg_ap_out(s02 >> 16, w);
    out[c + 3] = tg_ap_out(s13 >> 16, w);
    if (!four) {
        out[c + 4] = tg_ap_out((int16_t)t02, w);
        out[c + 5] = tg_ap_out((int16_t)t13, w);
        out[c + 6] = tg_ap_out(t02 >> 16, w);
        out[c + 7] = tg_ap_out(t13 >> 16, w);
    }
}

/* One output pixel, every channel. */
static __attribute__((noinline)) void tg_ap_pixel(const tg_ap_window_t *win, int8_t *out)
{
    const tg_ap_window_t w = *win;
    int32_t c = 0;
    if (w.rows * w.cols <= TG_AP_MAX_LANE_PIXELS) {
        for (; c + 8 <= w.channels; c += 8) {
            tg_ap_lanes(&w, c, 0, out);
        }
        if (c + 4 <= w.channels) {
            tg_ap_lanes(&w, c, 1, out);
            c += 4;
        }
    }
    for (; c < w.channels; ++c) {
        const int8_t *row = w.first + c;
        int32_t sum = 0, r, k;
        for (r = 0; r < w.rows; ++r, row += w.row_step) {
            for (k = 0; k < w.cols; ++k) {
                sum += row[k * w.channels];
            }
        }
        out[c] = tg_ap_out(sum, &w);
    }
}

/* The first in-bounds window position along one axis and how many there are. */
static inline int32_t tg_ap_valid(int32_t origin, int32_t kernel, int32_t size, int32_t *first)
{
    const int32_t k0 = origin < 0 ? -origin : 0;
    const int32_t k1 = size - origin < kernel ? size - origin : kernel;
    *first = k0;
    return k1 > k0 ? k1 - k0 : 0;
}

void tg_avg_pool2d_s8_dsp(const tg_pool2d_params_t *p, const int8_t *input, int8_t *output)
{
    const int32_t channels = p->channels, window = p->kernel_h * p->kernel_w;
    int32_t out_y, out_x, c;
    tg_ap_window_t w;
    w.row_step = p->in_w * channels;
    w.channels = channels;
    w.act_min = p->act_min;
    w.act_max = p->act_max;
    for (out_y = 0; out_y < p->out_h; ++out_y) {
        const int32_t in_y = out_y * p->stride_h - p->pad_top;
        int32_t ky;
        w.rows = tg_ap_valid(in_y, p->kernel_h, p->in_h, &ky);
        for (out_x = 0; out_x < p->out_w; ++out_x, output += channels) {
            const int32_t in_x = out_x * p->stride_w - p->pad_left;
            int32_t kx, n;
            w.cols = tg_ap_valid(in_x, p->kernel_w, p->in_w, &kx);
            n = w.rows * w.cols;
            if (n == 0 && !p->count_include_pad) {     /* an empty window (not from valid geometry) */
                for (c = 0; c < channels; ++c) {
                    output[c] = (int8_t)(0 < p->act_min ? p->act_min : 0 > p->act_max ? p->act_max : 0);
                }
                continue;
            }
            w.first = n == 0 ? input : input + ((in_y + ky) * p->in_w + in_x + kx) * channels;
            w.count = p->count_include_pad ? window : n;
            w.extra = p->count_include_pad ? (window - n) * p->zero_point : 0;
            tg_ap_pixel(&w, output);
        }
    }
}
