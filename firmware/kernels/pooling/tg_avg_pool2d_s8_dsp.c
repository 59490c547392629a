/*
 * tg_avg_pool2d_s8_dsp: average pooling, int8, for ARMv7E-M (Cortex-M4/M7 DSP
 * extension). Equals tg_avg_pool2d_s8 bit for bit (TFLite's reference AveragePool,
 * and PyTorch's count_include_pad); numpy twin: tinygen.ref.kernels.avg_pool2d_s8.
 *
 * NHWC keeps a pixel's channels contiguous: 16 channels at a time (then 4), each
 * window pixel is four 32-bit loads and eight SXTAB16, which add bytes 0, 2 (or, rotated,
 * 1, 3) sign-extended into two int16 sums. 256 pixels keep each sum inside int16
 * (256 * -128 = -32768): the int16 sums are added to int32 sums every 256 pixels, so any
 * window takes this path (a global average pool of a whole feature map included; its rows
 * are one run of pixels). The channels after the last block of 4 are summed one channel at
 * a time in int32. Each sum is then divided by the count rounding halves away from zero
 * (SDIV), as TFLite does.
 *
 * Loop order: output pixels in raster order; within one, channel blocks in increasing
 * order, each block's outputs written after all reads of its window.
 *
 * Needs __ARM_FEATURE_DSP (-mcpu=cortex-m4 / cortex-m7).
 */
/* tg_ap_run16's asm holds 13 registers, which GCC's register allocation at -Os and -O1 cannot find
   ("impossible constraints"; -O0 and -Og too): the file is compiled as at -O2 whatever the
   build's level (at -O2 the same code; a library's user may build with -Os or a debug -O0). */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("O2")
#endif
#include <arm_acle.h>
#include <stdint.h>

#include "tg_dsp_s8.h"
#include "tg_avg_pool2d_s8_dsp.h"
#include "tg_kernels.h"

/* Window pixels whose int8 sum always fits an int16 lane: the lanes are added to int32
   sums (flushed) at least this often. */
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

/* The int16 lanes of acc (words 2i: channels 4i, 4i + 2; 2i + 1: 4i + 1, 4i + 3) added to
   the int32 sums of `width` channels and cleared. */
static inline __attribute__((always_inline)) void tg_ap_flush(int32_t *acc, int32_t *sum, int32_t width)
{
    int32_t i;
#pragma GCC unroll 4
    for (i = 0; i < width / 4; ++i) {
        sum[4 * i] += (int16_t)acc[2 * i];
        sum[4 * i + 1] += (int16_t)acc[2 * i + 1];
        sum[4 * i + 2] += acc[2 * i] >> 16;
        sum[4 * i + 3] += acc[2 * i + 1] >> 16;
        acc[2 * i] = acc[2 * i + 1] = 0;
    }
}

/* m > 0 pixels of 16 channels at x, step bytes apart, added to the int16 lanes acc[0..7]
   (tg_ap_lanes' layout): per pixel two LDRD and eight SXTAB16, two pixels per loop step.
   x and step word-aligned. */
static inline __attribute__((always_inline)) void tg_ap_run16(const int8_t *x, int32_t step, int32_t m, int32_t *acc)
{
    int32_t a0 = acc[0], a1 = acc[1], a2 = acc[2], a3 = acc[3], a4 = acc[4], a5 = acc[5], a6 = acc[6], a7 = acc[7];
    int32_t v0, v1;
    /* an odd pixel first, then two per loop step */
    __asm__ volatile(
        "tst    %[m], #1\n\t"
        "beq    1f\n\t"
        TG_AP_PIXEL16_ASM
        "subs   %[m], %[m], #1\n\t"
        "beq    2f\n\t"
        "1:\n\t"
        TG_AP_PIXEL16_ASM
        TG_AP_PIXEL16_ASM
        "subs   %[m], %[m], #2\n\t"
        "bne    1b\n\t"
        "2:\n\t"
        : [x] "+&r"(x), [m] "+&r"(m), [v0] "=&r"(v0), [v1] "=&r"(v1), [a0] "+&r"(a0), [a1] "+&r"(a1),
          [a2] "+&r"(a2), [a3] "+&r"(a3), [a4] "+&r"(a4), [a5] "+&r"(a5), [a6] "+&r"(a6), [a7] "+&r"(a7)
        : [step] "r"(step)
        : "memory", "cc");
    acc[0] = a0;
    acc[1] = a1;
    acc[2] = a2;
    acc[3] = a3;
    acc[4] = a4;
    acc[5] = a5;
    acc[6] = a6;
    acc[7] = a7;
}

/*
 * Channels c..c + width - 1 (width 16 or 4, a constant where inlined) summed over the
 * window: each pixel's width / 4 words go through SXTAB16 (bytes 0, 2) and its rotated form
 * (bytes 1, 3) into width / 2 words of int16 lanes, which are added to int32 sums every
 * TG_AP_MAX_LANE_PIXELS pixels and at the end. A window whose rows are adjacent in memory
 * (a global pool) is one run of pixels.
 */
static inline __attribute__((always_inline)) void
tg_ap_lanes(const tg_ap_window_t *w, int32_t c, int32_t width, int8_t *out)
{
    const int32_t whole = w->row_step == w->cols * w->channels;
    const int32_t rows = whole ? 1 : w->rows, cols = whole ? w->rows * w->cols : w->cols;
    const int8_t *row = w->first + c;
    int32_t acc[8] = {0}, sum[16] = {0};
    int32_t r, i, left = TG_AP_MAX_LANE_PIXELS;
    for (r = 0; r < rows; ++r, row += w->row_step) {
        const int8_t *x = row;
        int32_t k = cols;
        while (k > 0) {
            int32_t m = k < left ? k : left;
            k -= m;
            left -= m;
            if (width == 16 && m > 0 && (((uintptr_t)x | (uint32_t)w->channels) & 3u) == 0) {
                tg_ap_run16(x, w->channels, m, acc);
                x += m * w->channels;
                m = 0;
            }
            for (; m > 0; --m, x += w->channels) {
#pragma GCC unroll 4
                for (i = 0; i < width / 4; ++i) {
                    const int32_t v = tg_dsp_load_s8x4(x + 4 * i);
                    acc[2 * i] = __sxtab16(acc[2 * i], v);
                    acc[2 * i + 1] = tg_dsp_sxtab16_odd(acc[2 * i + 1], v);
                }
            }
            if (left == 0) {
                tg_ap_flush(acc, sum, width);
                left = TG_AP_MAX_LANE_PIXELS;
            }
        }
    }
    tg_ap_flush(acc, sum, width);
    for (i = 0; i < width; ++i) {
        out[c + i] = tg_ap_out(sum[i], w);
    }
}

/* One output pixel, every channel. */
static __attribute__((noinline)) void tg_ap_pixel(const tg_ap_window_t *win, int8_t *out)
{
    const tg_ap_window_t w = *win;
    int32_t c = 0;
    for (; c + 16 <= w.channels; c += 16) {
        tg_ap_lanes(&w, c, 16, out);
    }
    for (; c + 4 <= w.channels; c += 4) {   /* no 8-wide copy: 0.5 KB of code for one window pass */
        tg_ap_lanes(&w, c, 4, out);
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
