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
 * The weights come widened to int16 at build time (tg_kernels.h gives the layout),
 * a pair of output channels interleaved per group of 4 values. Each input word is
 * widened to two int16 pairs with the input offset added (SXTAB16 with a packed
 * offset pair: x + offset lies in [-255, 255]); two SMLAD take 4 products. Blocks
 * of 2 output pixels (adjacent in a row, with the same in-bounds columns) x 2
 * output channels: per group, 2 input words, 4 SXTAB16, 4 weight words, 8 SMLAD.
 * Clipped kernel rows run on whole groups when in_c is a multiple of 4, one value
 * at a time otherwise. All sums are int32 as in TFLite.
 *
 * The epilogue per output byte: the conv's requantization and clamp, then TFLite's
 * ADD arithmetic with the skip byte, in one of three modes chosen once per call (see
 * TG_CONV_ADD_GENERAL below): the fast ones for the parameters TFLite's Prepare
 * produces, the general arithmetic for any others.
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
 * acc[2 * i + j] += sum over g < groups of 4 input bytes (x_i + 4 g, x_1 = x_0 + dx, plus
 * offset) times channel j's 4 widened weights of group g (w: 8 int16 per group, channel 0's
 * pairs (w0, w2), (w1, w3), then channel 1's); npix (1 or 2) is a constant after inlining.
 */
static inline __attribute__((always_inline)) void tg_conv_add_groups(const int8_t *x, int32_t dx, const int16_t *w,
                                                                     int32_t groups, int32_t offset2,
                                                                     int32_t npix, int32_t acc[4])
{
    const int32_t *wp = (const int32_t *)__builtin_assume_aligned(w, 4);
    const int32_t *const w_end = wp + 4 * groups;
    int32_t a00 = acc[0], a01 = acc[1], a10 = acc[2], a11 = acc[3];
    while (wp != w_end) {
        const int32_t v0 = tg_dsp_load_s8x4(x);
        const int32_t x0a = __sxtab16(offset2, v0), x0b = tg_dsp_sxtab16_odd(offset2, v0);
        int32_t x1a = 0, x1b = 0;
        const int32_t w0a = wp[0], w0b = wp[1], w1a = wp[2], w1b = wp[3];
        if (npix == 2) {
            const int32_t v1 = tg_dsp_load_s8x4(x + dx);
            x1a = __sxtab16(offset2, v1);
            x1b = tg_dsp_sxtab16_odd(offset2, v1);
        }
        a00 = __smlad(x0a, w0a, a00);
        a00 = __smlad(x0b, w0b, a00);
        a01 = __smlad(x0a, w1a, a01);
        a01 = __smlad(x0b, w1b, a01);
        if (npix == 2) {
            a10 = __smlad(x1a, w0a, a10);
            a10 = __smlad(x1b, w0b, a10);
            a11 = __smlad(x1a, w1a, a11);
            a11 = __smlad(x1b, w1b, a11);
        }
        x += 4;
        wp += 4;
    }
    acc[0] = a00;
    acc[1] = a01;
    acc[2] = a10;
    acc[3] = a11;
}

/* Channel c's weight for element k of a packed kernel row of `len` elements (see tg_conv2d_add_s8_dsp). */
static inline int32_t tg_conv_add_weight(const int16_t *row, int32_t len, int32_t k, int32_t c)
{
    const int32_t body = len & ~3;
    if (k >= body) {
        return row[2 * k + c];
    }
    return row[8 * (k >> 2) + 4 * c + ((k & 1) << 1) + ((k >> 1) & 1)];
}

/* The sums of the channel pair whose packed weights start at w, at the pixel(s) whose window starts at (in_y, in_x). */
static inline __attribute__((always_inline)) void tg_conv_add_sums(const tg_conv2d_add_params_t *p, const int8_t *input,
                                                                   const int16_t *w, tg_taps_t rows, tg_taps_t cols,
                                                                   int32_t in_y, int32_t in_x, int32_t npix,
                                                                   int32_t acc[4])
{
    const int32_t in_c = p->in_c, len = p->kernel_w * in_c, body = len & ~3;
    const int32_t dx = p->stride_w * in_c;
    const int32_t offset = p->input_offset;
    const int32_t offset2 = (int32_t)(((uint32_t)offset & 0xFFFFu) * 0x00010001u);
    int32_t ky, kx, ic, k;
    for (ky = rows.first; ky < rows.end; ++ky) {
        const int8_t *x = &input[((in_y + ky * p->dilation_h) * p->in_w + in_x) * in_c];
        const int16_t *row = w + 2 * ky * len;
        if (p->dilation_w == 1 && cols.first == 0 && cols.end == p->kernel_w) {     /* the whole row */
            tg_conv_add_groups(x, dx, row, body >> 2, offset2, npix, acc);
            for (k = body; k < len; ++k) {
                const int32_t x0 = x[k] + offset, w0 = row[2 * k], w1 = row[2 * k + 1];
                acc[0] += x0 * w0;
                acc[1] += x0 * w1;
                if (npix == 2) {
                    acc[2] += (x[dx + k] + offset) * w0;
                    acc[3] += (x[dx + k] + offset) * w1;
                }
            }
        } else if (p->dilation_w == 1 && (in_c & 3) == 0) {     /* clipped, on whole groups */
            k = cols.first * in_c;
            tg_conv_add_groups(x + k, dx, row + 2 * k, (cols.end - cols.first) * in_c >> 2, offset2, npix, acc);
        } else {                                                /* any other taps, one at a time */
            for (kx = cols.first; kx < cols.end; ++kx) {
                const int8_t *px = x + kx * p->dilation_w * in_c;
                for (ic = 0; ic < in_c; ++ic) {
                    const int32_t w0 = tg_conv_add_weight(row, len, kx * in_c + ic, 0);
                    const int32_t w1 = tg_conv_add_weight(row, len, kx * in_c + ic, 1);
                    acc[0] += (px[ic] + offset) * w0;
                    acc[1] += (px[ic] + offset) * w1;
                    if (npix == 2) {
                        acc[2] += (px[dx + ic] + offset) * w0;
                        acc[3] += (px[dx + ic] + offset) * w1;
                    }
                }
            }
        }
    }
}

/*
 * The epilogue's modes, checked once per call: TG_CONV_ADD_GENERAL, TFLite's arithmetic as
 * it is; TG_CONV_ADD_FAST, the conv's requantization by tg_requantize_fast (multipliers
 * >= 0) and the add's by SMMULR, as tg_add_s8_dsp does it and proves it exact there
 * (left_shift <= 20, multipliers >= 0, input shifts in [-31, 0], output shift in
 * [-31, -1]); TG_CONV_ADD_BOUNDED, the same with tg_requantize_bounded for the conv
 * (multipliers in [2^30, 2^31), shifts in [-31, -1], |bias| + depth * 255 * 128 < 2^30).
 */
enum { TG_CONV_ADD_GENERAL, TG_CONV_ADD_FAST, TG_CONV_ADD_BOUNDED };

/* Twice the add's rescaled input v (= x + offset), for n = -shift: n_minus_1 < 0 when n == 0. */
static inline __attribute__((always_inline)) int32_t tg_conv_add_twice(int32_t v, int32_t left_shift_1, int32_t m,
                                                                       int32_t n_minus_1)
{
    const int32_t x = tg_dsp_smmulr((int32_t)((uint32_t)v << left_shift_1), m);
    if (n_minus_1 < 0) {
        return x * 2;
    }
    /* arithmetic shifts of negative values: see tg_requant.h */
    return (int32_t)((uint32_t)(((x + (x >> 31)) >> n_minus_1) + 1) & ~1u);
}

/* One output byte from the conv's sum and the skip byte. */
static inline __attribute__((always_inline)) int8_t tg_conv_add_out(const tg_conv2d_add_params_t *p, int32_t acc,
                                                                    int32_t m, int32_t s, int32_t skip, int32_t mode)
{
    int32_t c, out;
    if (mode == TG_CONV_ADD_BOUNDED) {
        c = tg_requantize_bounded(acc, m, s);
    } else if (mode == TG_CONV_ADD_FAST) {
        c = tg_requantize_fast(acc, m, s);
    } else {
        c = tg_requantize(acc, m, s);
    }
    c += p->output_offset;
    c = c < p->act_min ? p->act_min : c;
    c = c > p->act_max ? p->act_max : c;
    if (mode == TG_CONV_ADD_GENERAL) {
        const int32_t sum =
            tg_requantize_smaller_than_one_exp((c + p->conv_offset) * ((int32_t)1 << p->add_left_shift),
                                               p->conv_multiplier, p->conv_shift) +
            tg_requantize_smaller_than_one_exp((skip + p->skip_offset) * ((int32_t)1 << p->add_left_shift),
                                               p->skip_multiplier, p->skip_shift);
        out = tg_requantize_smaller_than_one_exp(sum, p->add_output_multiplier, p->add_output_shift) +
              p->add_output_offset;
    } else {
        const int32_t x = tg_dsp_smmulr(
            tg_conv_add_twice(c + p->conv_offset, p->add_left_shift + 1, p->conv_multiplier, -p->conv_shift - 1) +
                tg_conv_add_twice(skip + p->skip_offset, p->add_left_shift + 1, p->skip_multiplier,
                                  -p->skip_shift - 1),
            p->add_output_multiplier);
        out = tg_dsp_ssat8_asr1(((x + (x >> 31)) >> (-p->add_output_shift - 1)) + 1 + 2 * p->add_output_offset);
    }
    out = out < p->add_act_min ? p->add_act_min : out;
    out = out > p->add_act_max ? p->add_act_max : out;
    return (int8_t)out;
}

/* The outputs of npix pixels at output index `index` (pixel i, channel c at index + i * out_c + c). */
static inline __attribute__((always_inline)) void tg_conv_add_block(const tg_conv2d_add_params_t *p, const int8_t *input,
                                                                    const int8_t *skip, const int16_t *packed,
                                                                    const int32_t *bias, const int32_t *multiplier,
                                                                    const int32_t *shift, tg_taps_t rows,
                                                                    tg_taps_t cols, int32_t in_y, int32_t in_x,
                                                                    int32_t index, int32_t npix, int32_t mode,
                                                                    int8_t *output)
{
    const int32_t out_c = p->out_c;
    const int32_t pair_size = 2 * p->kernel_h * p->kernel_w * p->in_c;
    int32_t oc, i;
    for (oc = 0; oc < out_c; oc += 2) {
        const int32_t two = oc + 1 < out_c;
        const int32_t b0 = bias != NULL ? bias[oc] : 0, b1 = bias != NULL && two ? bias[oc + 1] : 0;
        int32_t acc[4] = {b0, b1, b0, b1};
        tg_conv_add_sums(p, input, packed + (oc >> 1) * pair_size, rows, cols, in_y, in_x, npix, acc);
        for (i = 0; i < npix; ++i) {
            const int32_t at = index + i * out_c + oc;
            const int8_t y0 = tg_conv_add_out(p, acc[2 * i], multiplier[oc], shift[oc], skip[at], mode);
            if (two) {
                const int8_t y1 = tg_conv_add_out(p, acc[2 * i + 1], multiplier[oc + 1], shift[oc + 1], skip[at + 1],
                                                  mode);
                output[at + 1] = y1;
            }
            output[at] = y0;
        }
    }
}

static inline __attribute__((always_inline)) void tg_conv_add_all(const tg_conv2d_add_params_t *p, const int8_t *input,
                                                                  const int8_t *skip, const int16_t *packed,
                                                                  const int32_t *bias, const int32_t *multiplier,
                                                                  const int32_t *shift, int32_t mode, int8_t *output)
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
                tg_conv_add_block(p, input, skip, packed, bias, multiplier, shift, rows, cols, in_y, in_x, index, 2,
                                  mode, output);
                out_x += 2;
            } else {
                tg_conv_add_block(p, input, skip, packed, bias, multiplier, shift, rows, cols, in_y, in_x, index, 1,
                                  mode, output);
                out_x += 1;
            }
        }
    }
}

void tg_conv2d_add_s8_dsp(const tg_conv2d_add_params_t *p, const int8_t *input, const int8_t *skip,
                          const int16_t *packed, const int32_t *bias, const int32_t *multiplier,
                          const int32_t *shift, int8_t *output)
{
    /* a local copy: an int8 store may alias any field of *p, not of q (no reloads after stores) */
    const tg_conv2d_add_params_t q = *p;
    const int32_t depth = q.kernel_h * q.kernel_w * q.in_c;
    const int32_t bias_limit = ((int32_t)1 << 30) - (depth < 32768 ? depth : 32767) * 255 * 128;
    int32_t fast = q.add_left_shift >= 0 && q.add_left_shift <= 20 && q.conv_multiplier >= 0 &&
                   q.skip_multiplier >= 0 && q.add_output_multiplier >= 0 && q.conv_shift <= 0 &&
                   q.skip_shift <= 0 && q.add_output_shift < 0 && q.conv_shift >= -31 && q.skip_shift >= -31 &&
                   q.add_output_shift >= -31;
    int32_t bounded = fast && depth < 32768;
    int32_t oc;
    for (oc = 0; oc < q.out_c && fast; ++oc) {
        const int32_t b = bias != NULL ? bias[oc] : 0;
        fast = multiplier[oc] >= 0 && shift[oc] >= -31 && shift[oc] <= 31;
        bounded = bounded && multiplier[oc] >= ((int32_t)1 << 30) && shift[oc] <= -1 && b < bias_limit &&
                  b > -bias_limit;
    }
    if (fast && bounded) {
        tg_conv_add_all(&q, input, skip, packed, bias, multiplier, shift, TG_CONV_ADD_BOUNDED, output);
    } else if (fast) {
        tg_conv_add_all(&q, input, skip, packed, bias, multiplier, shift, TG_CONV_ADD_FAST, output);
    } else {
        tg_conv_add_all(&q, input, skip, packed, bias, multiplier, shift, TG_CONV_ADD_GENERAL, output);
    }
}
