/*
 * tg_depthwise_conv2d_s16_dsp: depthwise 2-D convolution of a 16x8 model for ARMv7E-M
 * (Cortex-M4/M7 DSP extension), any window of fewer than 512 taps, stride, dilation, padding
 * and depth multiplier: int16 input and output, the int8 weights widened to int16 at build
 * time (tinygen.kernels.s16_dsp.s16_dsp_depthwise_packed: [kernel_h * kernel_w][out_c rounded
 * up to even], the pad 0), then per output channel a requantization record (int64 bias,
 * multiplier and shift folded: tg_mat_mult_s16_dsp.h).
 *
 * Per output pixel the window is clipped to the input once (the padding's products are 0 and
 * left out, as TFLite does). Depth multiplier 1: the channels in blocks of 4 (the last 1 to 3 one
 * by one); each tap's input and weights read as int16 pairs (one word: two neighbouring channels) and
 * multiplied lane by lane with SMLABB / SMLATT. Other multipliers: one output channel at a
 * time against its input channel.
 *
 * Accumulation: int32. Each product |x * w| <= 32768 * 128 = 2^22 and a window has fewer than
 * 512 taps (tinygen.kernels.s16_dsp.depthwise_s16_dsp_serves: a larger window takes
 * tg_depthwise_conv2d_s16), so |sum| < 2^31 for any weights: the exact sum TFLite forms in
 * int64, requantized by tg_s16_requant_s32 (one SMLAL: tg_requantize_s64 of the sum plus the
 * int64 bias, proof at the records in tg_mat_mult_s16_dsp.h).
 * Equals tg_depthwise_conv2d_s16 bit for bit; numpy twin: tinygen.ref.int16.depthwise_conv2d_s16.
 */
#include <arm_acle.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "tg_kernels.h"
#include "tg_mat_mult_s16_dsp.h"

static inline int32_t tg_dw_load_pair(const int16_t *p)
{
    int32_t v;
    memcpy(&v, p, sizeof v);
    return v;
}

/* The taps [*lo, *hi) of a window along one axis that land inside [0, size). */
static void tg_dw_clip(int32_t origin, int32_t taps, int32_t dilation, int32_t size, int32_t *lo, int32_t *hi)
{
    int32_t first = origin >= 0 ? 0 : (-origin + dilation - 1) / dilation;
    int32_t last = origin > size - 1 ? 0 : (size - 1 - origin) / dilation + 1;
    *lo = first;
    *hi = last < taps ? last : taps;
}

/* The window geometry of one output pixel, shared by its channel blocks. */
typedef struct {
    const int16_t *x;          /* input at the first tap inside the window, channel 0 */
    const int16_t *w;          /* packed weights of that tap, channel 0 */
    int32_t rows, cols;        /* taps inside the window along y and x */
    int32_t x_row, x_col;      /* input step per tap along y and x, int16 */
    int32_t w_row;             /* weight step per tap along y */
    int32_t w_col;             /* weight step per tap along x (a packed row) */
} tg_dw_window_t;

/* Output channel c's int32 sum requantized by its record and clamped. */
static inline int16_t tg_dw_out(int32_t acc, const int16_t *rec, int32_t c, const tg_conv2d_params_t *p)
{
    return tg_s16_clamp(tg_s16_requant_s32(acc, rec + c * TG_S16_RECORD), p->act_min, p->act_max);
}

void tg_depthwise_conv2d_s16_dsp(const tg_conv2d_params_t *p, const int16_t *input, const int16_t *packed,
                                 int16_t *output)
{
    const int32_t w_col = (p->out_c + 1) & ~1;
    const int16_t *const weights = packed;
    const int16_t *const rec = packed + p->kernel_h * p->kernel_w * w_col;
    int32_t out_y, out_x, c, ky, kx;

    for (out_y = 0; out_y < p->out_h; ++out_y) {
        const int32_t in_y0 = out_y * p->stride_h - p->pad_top;
        int32_t ky_lo, ky_hi;
        tg_dw_clip(in_y0, p->kernel_h, p->dilation_h, p->in_h, &ky_lo, &ky_hi);
        for (out_x = 0; out_x < p->out_w; ++out_x) {
            const int32_t in_x0 = out_x * p->stride_w - p->pad_left;
            int16_t *out = &output[(out_y * p->out_w + out_x) * p->out_c];
            tg_dw_window_t win;
            int32_t kx_lo, kx_hi;
            tg_dw_clip(in_x0, p->kernel_w, p->dilation_w, p->in_w, &kx_lo, &kx_hi);
            win.rows = ky_hi > ky_lo ? ky_hi - ky_lo : 0;
            win.cols = kx_hi > kx_lo ? kx_hi - kx_lo : 0;
            win.x = &input[((in_y0 + ky_lo * p->dilation_h) * p->in_w + in_x0 + kx_lo * p->dilation_w) * p->in_c];
            win.w = &weights[(ky_lo * p->kernel_w + kx_lo) * w_col];
            win.x_row = p->dilation_h * p->in_w * p->in_c;
            win.x_col = p->dilation_w * p->in_c;
            win.w_row = p->kernel_w * w_col;
            win.w_col = w_col;
            if (win.rows == 0 || win.cols == 0) {
                win.rows = 0;      /* the whole window in the padding: the sums are 0 */
            }
            if (p->depth_multiplier != 1) {
                for (c = 0; c < p->out_c; ++c) {
                    const int32_t ic = c / p->depth_multiplier;
                    int32_t a = 0;
                    for (ky = 0; ky < win.rows; ++ky) {
                        const int16_t *xr = win.x + ky * win.x_row + ic;
                        const int16_t *wr = win.w + ky * win.w_row + c;
                        for (kx = 0; kx < win.cols; ++kx) {
                            a += (int32_t)xr[kx * win.x_col] * (int32_t)wr[kx * win.w_col];
                        }
                    }
                    out[c] = tg_dw_out(a, rec, c, p);
                }
                continue;
            }
            for (c = 0; c + 4 <= p->out_c; c += 4) {     /* 4 channels: two pairs */
                int32_t a0 = 0, a1 = 0, a2 = 0, a3 = 0;
                for (ky = 0; ky < win.rows; ++ky) {
                    const int16_t *xr = win.x + ky * win.x_row + c;
                    const int16_t *wr = win.w + ky * win.w_row + c;
                    for (kx = 0; kx < win.cols; ++kx) {
                        const int32_t x01 = tg_dw_load_pair(xr), x23 = tg_dw_load_pair(xr + 2);
                        const int32_t w01 = tg_dw_load_pair(wr), w23 = tg_dw_load_pair(wr + 2);
                        a0 = __smlabb(x01, w01, a0);
                        a1 = __smlatt(x01, w01, a1);
                        a2 = __smlabb(x23, w23, a2);
                        a3 = __smlatt(x23, w23, a3);
                        xr += win.x_col;
                        wr += win.w_col;
                    }
                }
                out[c] = tg_dw_out(a0, rec, c, p);
                out[c + 1] = tg_dw_out(a1, rec, c + 1, p);
                out[c + 2] = tg_dw_out(a2, rec, c + 2, p);
                out[c + 3] = tg_dw_out(a3, rec, c + 3, p);
            }
            for (; c < p->out_c; ++c) {                   /* the last 1 to 3 channels, one by one */
                int32_t a = 0;
                for (ky = 0; ky < win.rows; ++ky) {
                    const int16_t *xr = win.x + ky * win.x_row + c;
                    const int16_t *wr = win.w + ky * win.w_row + c;
                    for (kx = 0; kx < win.cols; ++kx) {
                        a += (int32_t)xr[kx * win.x_col] * (int32_t)wr[kx * win.w_col];
                    }
                }
                out[c] = tg_dw_out(a, rec, c, p);
            }
        }
    }
}
