/*
 * tg_conv2d_add_s8_dsp: 2-D convolution with a fused residual add, int8, for
 * ARMv7E-M (Cortex-M4/M7 DSP extension). Equals tg_conv2d_add_s8 bit for bit.
 * numpy twin: tinygen.ref.kernels.conv2d_add_s8.
 *
 * A direct convolution with no scratch: the input is read where it lies. Per
 * output pixel the in-bounds kernel rows are walked; in each, the in-bounds taps
 * are one run of contiguous input bytes (kernel columns x in_c, for dilation 1;
 * one run per tap otherwise) and the matching weights [oc][ky][kx][ic] are
 * contiguous too, so padded taps are skipped rather than multiplied by zero.
 * Each input word is widened to two int16 pairs with the input offset added
 * (SXTAB16 with a packed offset pair: x + offset lies in [-255, 255]); each
 * weight word with SXTB16; two SMLAD take 4 products. Blocks of 2 output pixels
 * (adjacent in a row, with the same in-bounds columns) x 2 output channels share
 * those widened words: 8 SMLAD per 2 input and 2 weight words. All sums are int32
 * as in TFLite.
 *
 * The epilogue per output byte: the conv's requantization (tg_requantize_fast)
 * and clamp, then TFLite's ADD arithmetic with the skip byte, its three rescalings
 * by tg_requantize_fast, which equals MultiplyByQuantizedMultiplierSmallerThanOneExp
 * for a multiplier >= 0 and a shift in [-31, 0] (a shift of 0 takes its left-shift
 * branch by 0). Parameters outside those ranges (never produced by TFLite's
 * Prepare) take tg_requantize and tg_requantize_smaller_than_one_exp instead.
 *
 * Loop order: output pixels in raster order, one or two at a time; within them,
 * channel pairs in increasing order. Output byte p is written once, after its
 * window and skip byte p are read, and no other output reads skip byte p: the
 * output may take the skip tensor's place (in place, distance 0). It must not
 * overlap the conv's input.
 *
 * Needs __ARM_FEATURE_DSP (-mcpu=cortex-m4 / cortex-m7).
 */
#include <arm_acle.h>
#include <stddef.h>
#include <stdint.h>

#include "tg_dsp_s8.h"
#include "tg_kernels.h"
#include "tg_requant.h"

/* In-bounds kernel taps [first, end) of a window starting at `origin` (dilation d, size k, extent n). */
typedef struct {
    int32_t first, end;
} tg_taps_t;

static inline tg_taps_t tg_conv_add_taps(int32_t origin, int32_t d, int32_t k, int32_t n)
{
    tg_taps_t t;
    t.first = origin < 0 ? (-origin + d - 1) / d : 0;
    t.end = n - origin <= 0 ? 0 : (n - origin + d - 1) / d;
    t.end = t.end < k ? t.end : k;
    t.first = t.first < t.end ? t.first : t.end;
    return t;
}

/*
 * acc[2 * i + j] += sum_k (x_i[k] + offset) * w_j[k], k < n, for pixels i < npix
 * (x_1 = x_0 + dx) and channels j < nch (w_1 = w_0 + dw); npix and nch are 1 or 2,
 * constants after inlining.
 */
static inline __attribute__((always_inline)) void tg_conv_add_dot(const int8_t *x, int32_t dx, const int8_t *w,
                                                                  int32_t dw, int32_t n, int32_t offset,
                                                                  int32_t npix, int32_t nch, int32_t acc[4])
{
    const int32_t offset2 = (int32_t)(((uint32_t)offset & 0xFFFFu) * 0x00010001u);
    const int8_t *const x_end = x + (n & ~3);
    int32_t a00 = acc[0], a01 = acc[1], a10 = acc[2], a11 = acc[3];
    int32_t k;
    while (x != x_end) {
        const int32_t v0 = tg_dsp_load_s8x4(x);
        const int32_t x0a = __sxtab16(offset2, v0), x0b = tg_dsp_sxtab16_odd(offset2, v0);
        int32_t x1a = 0, x1b = 0, vw, wa, wb;
        if (npix == 2) {
            const int32_t v1 = tg_dsp_load_s8x4(x + dx);
            x1a = __sxtab16(offset2, v1);
            x1b = tg_dsp_sxtab16_odd(offset2, v1);
        }
        vw = tg_dsp_load_s8x4(w);
        wa = __sxtb16(vw);
        wb = tg_dsp_sxtb16_odd(vw);
        a00 = __smlad(x0a, wa, a00);
        a00 = __smlad(x0b, wb, a00);
        if (npix == 2) {
            a10 = __smlad(x1a, wa, a10);
            a10 = __smlad(x1b, wb, a10);
        }
        if (nch == 2) {
            vw = tg_dsp_load_s8x4(w + dw);
            wa = __sxtb16(vw);
            wb = tg_dsp_sxtb16_odd(vw);
            a01 = __smlad(x0a, wa, a01);
            a01 = __smlad(x0b, wb, a01);
            if (npix == 2) {
                a11 = __smlad(x1a, wa, a11);
                a11 = __smlad(x1b, wb, a11);
            }
        }
        x += 4;
        w += 4;
    }
    for (k = 0; k < (n & 3); ++k) {      /* the last n % 4, one at a time */
        const int32_t x0 = x[k] + offset, w0 = w[k];
        a00 += x0 * w0;
        if (npix == 2) {
            a10 += (x[dx + k] + offset) * w0;
        }
        if (nch == 2) {
            a01 += x0 * w[dw + k];
            if (npix == 2) {
                a11 += (x[dx + k] + offset) * w[dw + k];
            }
        }
    }
    acc[0] = a00;
    acc[1] = a01;
    acc[2] = a10;
    acc[3] = a11;
}

/* The sums of output channels oc (and oc + 1 for nch == 2) at the pixel(s) whose first window starts at in_x. */
static inline __attribute__((always_inline)) void tg_conv_add_sums(const tg_conv2d_add_params_t *p, const int8_t *input,
                                                                   const int8_t *weights, tg_taps_t rows,
                                                                   tg_taps_t cols, int32_t in_y, int32_t in_x,
                                                                   int32_t oc, int32_t npix, int32_t nch,
                                                                   int32_t acc[4])
{
    const int32_t in_c = p->in_c;
    const int32_t dx = p->stride_w * in_c;
    const int32_t dw = p->kernel_h * p->kernel_w * in_c;
    int32_t ky, kx;
    for (ky = rows.first; ky < rows.end; ++ky) {
        const int8_t *x = &input[((in_y + ky * p->dilation_h) * p->in_w + in_x + cols.first * p->dilation_w) * in_c];
        const int8_t *w = &weights[((oc * p->kernel_h + ky) * p->kernel_w + cols.first) * in_c];
        if (p->dilation_w == 1) {
            tg_conv_add_dot(x, dx, w, dw, (cols.end - cols.first) * in_c, p->input_offset, npix, nch, acc);
            continue;
        }
        for (kx = cols.first; kx < cols.end; ++kx) {
            tg_conv_add_dot(x, dx, w, dw, in_c, p->input_offset, npix, nch, acc);
            x += p->dilation_w * in_c;
            w += in_c;
        }
    }
}

/* MultiplyByQuantizedMultiplier (any shift) or ...SmallerThanOneExp (shift <= 0), by tg_requantize_fast when fast. */
static inline __attribute__((always_inline)) int32_t tg_conv_add_scale(int32_t x, int32_t m, int32_t s, int32_t fast,
                                                                       int32_t below_one)
{
    if (fast) {
        return tg_requantize_fast(x, m, s);
    }
    return below_one ? tg_requantize_smaller_than_one_exp(x, m, s) : tg_requantize(x, m, s);
}

/* One output byte from the conv's sum and the skip byte. */
static inline __attribute__((always_inline)) int8_t tg_conv_add_out(const tg_conv2d_add_params_t *p, int32_t acc,
                                                                    int32_t m, int32_t s, int32_t skip, int32_t fast)
{
    int32_t c = tg_conv_add_scale(acc, m, s, fast, 0) + p->output_offset;
    int32_t out;
    c = c < p->act_min ? p->act_min : c;
    c = c > p->act_max ? p->act_max : c;
    out = tg_conv_add_scale((c + p->conv_offset) * ((int32_t)1 << p->add_left_shift), p->conv_multiplier,
                            p->conv_shift, fast, 1) +
          tg_conv_add_scale((skip + p->skip_offset) * ((int32_t)1 << p->add_left_shift), p->skip_multiplier,
                            p->skip_shift, fast, 1);
    out = tg_conv_add_scale(out, p->add_output_multiplier, p->add_output_shift, fast, 1) + p->add_output_offset;
    out = out < p->add_act_min ? p->add_act_min : out;
    out = out > p->add_act_max ? p->add_act_max : out;
    return (int8_t)out;
}

/* The npix x nch outputs of one block at output index `index` (pixel i, channel j at index + i * out_c + j). */
static inline __attribute__((always_inline)) void tg_conv_add_block(const tg_conv2d_add_params_t *p, const int8_t *input,
                                                                    const int8_t *skip, const int8_t *weights,
                                                                    const int32_t *bias, const int32_t *multiplier,
                                                                    const int32_t *shift, tg_taps_t rows,
                                                                    tg_taps_t cols, int32_t in_y, int32_t in_x,
                                                                    int32_t index, int32_t npix, int32_t fast,
                                                                    int8_t *output)
{
    const int32_t out_c = p->out_c;
    int32_t oc = 0;
    for (; oc + 2 <= out_c; oc += 2) {
        const int32_t b0 = bias != NULL ? bias[oc] : 0, b1 = bias != NULL ? bias[oc + 1] : 0;
        int32_t acc[4] = {b0, b1, b0, b1};
        int32_t i;
        tg_conv_add_sums(p, input, weights, rows, cols, in_y, in_x, oc, npix, 2, acc);
        for (i = 0; i < npix; ++i) {
            const int32_t at = index + i * out_c + oc;
            const int8_t y0 = tg_conv_add_out(p, acc[2 * i], multiplier[oc], shift[oc], skip[at], fast);
            const int8_t y1 = tg_conv_add_out(p, acc[2 * i + 1], multiplier[oc + 1], shift[oc + 1], skip[at + 1], fast);
            output[at] = y0;
            output[at + 1] = y1;
        }
    }
    if (oc < out_c) {      /* the last channel of an odd count */
        const int32_t b = bias != NULL ? bias[oc] : 0;
        int32_t acc[4] = {b, 0, b, 0};
        int32_t i;
        tg_conv_add_sums(p, input, weights, rows, cols, in_y, in_x, oc, npix, 1, acc);
        for (i = 0; i < npix; ++i) {
            const int32_t at = index + i * out_c + oc;
            output[at] = tg_conv_add_out(p, acc[2 * i], multiplier[oc], shift[oc], skip[at], fast);
        }
    }
}

static inline __attribute__((always_inline)) void tg_conv_add_all(const tg_conv2d_add_params_t *p, const int8_t *input,
                                                                  const int8_t *skip, const int8_t *weights,
                                                                  const int32_t *bias, const int32_t *multiplier,
                                                                  const int32_t *shift, int32_t fast, int8_t *output)
{
    int32_t out_y, out_x;
    for (out_y = 0; out_y < p->out_h; ++out_y) {
        const int32_t in_y = out_y * p->stride_h - p->pad_top;
        const tg_taps_t rows = tg_conv_add_taps(in_y, p->dilation_h, p->kernel_h, p->in_h);
        for (out_x = 0; out_x < p->out_w;) {
            const int32_t in_x = out_x * p->stride_w - p->pad_left;
            const tg_taps_t cols = tg_conv_add_taps(in_x, p->dilation_w, p->kernel_w, p->in_w);
            const int32_t index = (out_y * p->out_w + out_x) * p->out_c;
            tg_taps_t next = cols;
            if (out_x + 1 < p->out_w) {
                next = tg_conv_add_taps(in_x + p->stride_w, p->dilation_w, p->kernel_w, p->in_w);
            }
            if (out_x + 1 < p->out_w && next.first == cols.first && next.end == cols.end) {
                tg_conv_add_block(p, input, skip, weights, bias, multiplier, shift, rows, cols, in_y, in_x, index, 2,
                                  fast, output);
                out_x += 2;
            } else {
                tg_conv_add_block(p, input, skip, weights, bias, multiplier, shift, rows, cols, in_y, in_x, index, 1,
                                  fast, output);
                out_x += 1;
            }
        }
    }
}

void tg_conv2d_add_s8_dsp(const tg_conv2d_add_params_t *p, const int8_t *input, const int8_t *skip,
                          const int8_t *weights, const int32_t *bias, const int32_t *multiplier,
                          const int32_t *shift, int8_t *output)
{
    int32_t fast = p->conv_multiplier >= 0 && p->skip_multiplier >= 0 && p->add_output_multiplier >= 0 &&
                   p->conv_shift <= 0 && p->skip_shift <= 0 && p->add_output_shift <= 0 && p->conv_shift >= -31 &&
                   p->skip_shift >= -31 && p->add_output_shift >= -31;
    int32_t oc;
    for (oc = 0; oc < p->out_c && fast; ++oc) {
        fast = multiplier[oc] >= 0 && shift[oc] >= -31 && shift[oc] <= 31;
    }
    if (fast) {
        tg_conv_add_all(p, input, skip, weights, bias, multiplier, shift, 1, output);
    } else {
        tg_conv_add_all(p, input, skip, weights, bias, multiplier, shift, 0, output);
    }
}
