/*
 * tg_conv2d_s16_dsp: 2-D convolution of a 16x8 model for ARMv7E-M (Cortex-M4/M7 DSP
 * extension), any window, stride, dilation and padding: int16 input and output, the int8
 * weights widened to int16 at build time (tinygen.kernels.s16_dsp.s16_dsp_packed:
 * [out_c][kernel_h * kernel_w * in_c rounded up to even], the pad 0), then the per-channel
 * requantization records (int64 bias, multiplier and shift folded; tg_mat_mult_s16_dsp.h).
 *
 * im2col two output pixels at a time: their receptive fields copied into scratch as int16 rows
 * of the depth rounded up to even (zeros for the padding and the pad value: their products are
 * 0, the sums those TFLite forms leaving them out), then multiplied by every output channel's
 * weights with SMLAD on int16 pairs, two pixels by two channels per block
 * (tg_mat_mult_s16_dsp.h). Exact int64 sums: int32 runs of 256 products, which cannot overflow
 * for any weights (|product| <= 2^22), each added into an int64 accumulator; then
 * tg_s16_requant_s64 (tg_requantize_s64 with the bias).
 * Scratch: 2 rows of the depth rounded up to even, int16: 4 * ((kernel_h * kernel_w * in_c + 1)
 * & ~1) bytes (tinygen.kernels.s16_dsp.conv2d_s16_dsp_scratch).
 * Equals tg_conv2d_s16 bit for bit; numpy twin: tinygen.ref.int16.conv2d_s16.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "tg_kernels.h"
#include "tg_mat_mult_s16_dsp.h"

/* The receptive field of output pixel (out_y, out_x) as `row_len` int16 (the rest zeros). */
static void tg_im2col_s16(const tg_conv2d_params_t *p, const int16_t *input, int32_t out_y, int32_t out_x,
                          int32_t row_len, int16_t *row)
{
    const int32_t in_y0 = out_y * p->stride_h - p->pad_top;
    const int32_t in_x0 = out_x * p->stride_w - p->pad_left;
    const size_t px_bytes = (size_t)p->in_c * sizeof(int16_t);
    int16_t *dst = row;
    int32_t ky, kx;

    for (ky = 0; ky < p->kernel_h; ++ky) {
        const int32_t in_y = in_y0 + ky * p->dilation_h;
        for (kx = 0; kx < p->kernel_w; ++kx) {
            const int32_t in_x = in_x0 + kx * p->dilation_w;
            if (in_y < 0 || in_y >= p->in_h || in_x < 0 || in_x >= p->in_w) {
                memset(dst, 0, px_bytes);
            } else {
                memcpy(dst, &input[(in_y * p->in_w + in_x) * p->in_c], px_bytes);
            }
            dst += p->in_c;
        }
    }
    if (dst != row + row_len) {
        *dst = 0;                  /* the pad value of an odd depth */
    }
}

void tg_conv2d_s16_dsp(const tg_conv2d_params_t *p, const int16_t *input, const int16_t *packed, int8_t *scratch,
                       int16_t *output)
{
    const int32_t depth = p->kernel_h * p->kernel_w * p->in_c;
    const int32_t row_len = (depth + 1) & ~1;
    const int16_t *const weights = packed;
    const tg_s16_dsp_quant_t q = {packed + p->out_c * row_len, p->act_min, p->act_max};
    const int32_t pixels = p->out_h * p->out_w;
    int16_t *rows = (int16_t *)(void *)scratch;
    int32_t px;

    for (px = 0; px < pixels; px += 2) {
        const int32_t n = pixels - px >= 2 ? 2 : 1;
        tg_im2col_s16(p, input, px / p->out_w, px % p->out_w, row_len, rows);
        if (n == 2) {
            tg_im2col_s16(p, input, (px + 1) / p->out_w, (px + 1) % p->out_w, row_len, rows + row_len);
            tg_mat_mult_s16_dsp(rows, row_len, 2, row_len, weights, p->out_c, &q, output + px * p->out_c,
                                p->out_c, 0);
        } else {
            tg_mat_mult_s16_dsp(rows, row_len, 1, row_len, weights, p->out_c, &q, output + px * p->out_c,
                                p->out_c, 0);
        }
    }
}
