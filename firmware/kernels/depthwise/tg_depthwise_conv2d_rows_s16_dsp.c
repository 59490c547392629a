/*
 * tg_depthwise_conv2d_rows_s16_dsp: depthwise 2-D convolution of a 16x8 model for ARMv7E-M
 * (Cortex-M4/M7 DSP extension), any window of fewer than 512 taps, any stride, dilation 1,
 * any depth multiplier (output channel c reads input channel c / depth_multiplier), any padding:
 * int16 input and output, one constant `packed` (tinygen.kernels.s16_dsp.
 * s16_dsp_depthwise_rows_packed), per output channel its weights widened to int16 as kernel_h
 * rows of (kernel_w + 1) / 2 words, w[r][2k] | w[r][2k + 1] << 16 (an odd width's last word 0 on
 * top), then its requantization record (tg_mat_mult_s16_dsp.h).
 *
 * A ring of kernel_h input rows in scratch, each rearranged per channel into column pairs
 * (tg_depthwise_rows_s16_dsp.h: 0 in the padding), as tg_depthwise_conv2d_3x3_s16_dsp does for
 * 3x3 windows of stride 1. Each input row is rearranged once. Per channel and kernel row, that
 * row's first four weight words in registers (the rest read; windows up to 4 wide: two kernel
 * rows a pass, their 4 words in registers), one pass along the output row adds each pixel's
 * products into an int32 row of sums: the window row starts at padded column x * stride_w of the
 * channel's int16 run, read two taps per word (an odd start is a word load across two pairs:
 * Cortex-M4/M7 load unaligned words) and multiplied with SMLAD by two taps' weights; an odd
 * width's last pair takes the column past the window times the weight 0. Then the row of sums
 * requantized into the output.
 *
 * Accumulation: int32. Each product |x * w| <= 32768 * 128 = 2^22 and a window has fewer than 512
 * taps, so |sum| < 2^31 for any weights: the exact sum TFLite forms in int64 (a padding tap adds
 * 0 * w = 0, as TFLite leaving it out). Then tg_s16_requant_rec, saturated to int16 and, where
 * the layer's activation range is narrower, each output row clamped to it after. Equals
 * tg_depthwise_conv2d_s16 bit for bit on the layers it takes (tinygen.kernels.s16_table); numpy
 * twin: tinygen.ref.int16.depthwise_conv2d_s16.
 *
 * Scratch: kernel_h ring rows of in_c * kp words, kp = ((out_w - 1) * stride_w + kernel_w + 2) / 2
 * (the padded columns the windows read and one past), then out_w int32 sums, 4-byte aligned
 * (tinygen.kernels.s16_dsp.depthwise_rows_s16_dsp_scratch). The input and output do not overlap.
 */
#include <arm_acle.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "tg_depthwise_rows_s16_dsp.h"
#include "tg_kernels.h"
#include "tg_mat_mult_s16_dsp.h"

/* a += the products of the column pairs at x (int16) with weight words w0 .. w3 and from w[4] on,
   `pairs` of them (a constant where inlined with one: the branches go) */
#define TG_DWR_MACS(a, x)                                                      \
    do {                                                                       \
        a = __smlad(tg_s16_load_pair(x), w0, a);                               \
        if (pairs > 1) {                                                       \
            a = __smlad(tg_s16_load_pair((x) + 2), w1, a);                     \
        }                                                                      \
        if (pairs > 2) {                                                       \
            a = __smlad(tg_s16_load_pair((x) + 4), w2, a);                     \
        }                                                                      \
        if (pairs > 3) {                                                       \
            a = __smlad(tg_s16_load_pair((x) + 6), w3, a);                     \
        }                                                                      \
        for (k = 4; k < pairs; ++k) {                                          \
            a = __smlad(tg_s16_load_pair((x) + 2 * k), w[k], a);               \
        }                                                                      \
    } while (0)

/*
 * One kernel row of one channel along the output row: acc[x] (first: set, else added to) the
 * products of the row's `pairs` weight words w (the first four in registers) with the ring row's
 * column pairs from x * stride on (int16 x at pixel 0's first tap). Two pixels per step.
 */
static inline __attribute__((always_inline)) void tg_dwr_pass(const int16_t *x, const int32_t *w, int32_t pairs,
                                                              int32_t stride, int32_t out_w, int32_t first,
                                                              int32_t *acc)
{
    const int32_t w0 = w[0], w1 = pairs > 1 ? w[1] : 0, w2 = pairs > 2 ? w[2] : 0, w3 = pairs > 3 ? w[3] : 0;
    int32_t k, i;
    for (i = 0; i + 2 <= out_w; i += 2) {
        const int16_t *const y = x + stride;
        int32_t a = first ? 0 : acc[i], b = first ? 0 : acc[i + 1];
        TG_DWR_MACS(a, x);
        TG_DWR_MACS(b, y);
        acc[i] = a;
        acc[i + 1] = b;
        x += 2 * stride;
    }
    if (i < out_w) {
        int32_t a = first ? 0 : acc[i];
        TG_DWR_MACS(a, x);
        acc[i] = a;
    }
}

/*
 * Two kernel rows at once (windows up to 4 wide: pairs 1 or 2, a constant where inlined): as
 * tg_dwr_pass, x and z the two rows' ring rows at pixel 0's first tap, w their weight words in
 * turn; each sum read and written once for both rows.
 */
static inline __attribute__((always_inline)) void tg_dwr_pass2(const int16_t *x, const int16_t *z, const int32_t *w,
                                                               int32_t pairs, int32_t stride, int32_t out_w,
                                                               int32_t first, int32_t *acc)
{
    const int32_t u0 = w[0], u1 = pairs > 1 ? w[1] : 0, v0 = w[pairs], v1 = pairs > 1 ? w[pairs + 1] : 0;
    int32_t i;
    for (i = 0; i + 2 <= out_w; i += 2) {
        int32_t a = first ? 0 : acc[i], b = first ? 0 : acc[i + 1];
        a = __smlad(tg_s16_load_pair(x), u0, a);
        b = __smlad(tg_s16_load_pair(x + stride), u0, b);
        a = __smlad(tg_s16_load_pair(z), v0, a);
        b = __smlad(tg_s16_load_pair(z + stride), v0, b);
        if (pairs > 1) {
            a = __smlad(tg_s16_load_pair(x + 2), u1, a);
            b = __smlad(tg_s16_load_pair(x + stride + 2), u1, b);
            a = __smlad(tg_s16_load_pair(z + 2), v1, a);
            b = __smlad(tg_s16_load_pair(z + stride + 2), v1, b);
        }
        acc[i] = a;
        acc[i + 1] = b;
        x += 2 * stride;
        z += 2 * stride;
    }
    if (i < out_w) {
        int32_t a = first ? 0 : acc[i];
        a = __smlad(tg_s16_load_pair(x), u0, a);
        a = __smlad(tg_s16_load_pair(z), v0, a);
        if (pairs > 1) {
            a = __smlad(tg_s16_load_pair(x + 2), u1, a);
            a = __smlad(tg_s16_load_pair(z + 2), v1, a);
        }
        acc[i] = a;
    }
}

/* The ring row of kernel row r: ring + ((first + r) mod kh) * row int16, first < kh and r < kh. */
static inline const int16_t *tg_dwr_row(const int16_t *ring, int32_t first, int32_t r, int32_t kh, int32_t row)
{
    const int32_t slot = first + r;
    return ring + (slot >= kh ? slot - kh : slot) * row;
}

/*
 * The output row's channels: per channel its kernel rows' passes into acc (ring row of kernel row
 * r: ring + ((first + r) mod kernel_h) * row int16), then acc requantized into the output row;
 * pairs a constant where inlined with one.
 */
static inline __attribute__((always_inline)) void tg_dwr_channels(const tg_conv2d_params_t *p, const int16_t *ring,
                                                                  int32_t first, int32_t row, int32_t kp,
                                                                  const int16_t *packed, int32_t pairs,
                                                                  int32_t *acc, int16_t *out_row)
{
    const int32_t kh = p->kernel_h, channels = p->out_c, out_w = p->out_w, stride = p->stride_w;
    const int32_t per_channel = 2 * kh * pairs + TG_S16_RECORD;     /* int16 */
    int32_t ch, r, i;
    for (ch = 0; ch < channels; ++ch) {
        const int16_t *const pk = packed + ch * per_channel;
        const int32_t *const w = (const int32_t *)(const void *)pk;
        const tg_s16_record_t rec = tg_s16_record(pk + 2 * kh * pairs);
        const int16_t *const x = ring + 2 * (ch / p->depth_multiplier) * kp;     /* its input channel's */
        int16_t *out = out_row + ch;
        if (pairs <= 2 && kh >= 2) {     /* windows up to 4 wide: two kernel rows a pass */
            tg_dwr_pass2(tg_dwr_row(x, first, 0, kh, row), tg_dwr_row(x, first, 1, kh, row), w, pairs, stride,
                         out_w, 1, acc);
            for (r = 2; r + 2 <= kh; r += 2) {
                tg_dwr_pass2(tg_dwr_row(x, first, r, kh, row), tg_dwr_row(x, first, r + 1, kh, row),
                             w + r * pairs, pairs, stride, out_w, 0, acc);
            }
        } else {
            tg_dwr_pass(tg_dwr_row(x, first, 0, kh, row), w, pairs, stride, out_w, 1, acc);
            r = 1;
        }
        for (; r < kh; ++r) {
            tg_dwr_pass(tg_dwr_row(x, first, r, kh, row), w + r * pairs, pairs, stride, out_w, 0, acc);
        }
        for (i = 0; i < out_w; ++i) {
            *out = tg_s16_sat(tg_s16_requant_rec(acc[i], rec));
            out += channels;
        }
    }
}

void tg_depthwise_conv2d_rows_s16_dsp(const tg_conv2d_params_t *p, const int16_t *input, const int16_t *packed,
                                      int8_t *scratch, int16_t *output)
{
    const int32_t channels = p->out_c, kh = p->kernel_h, pairs = (p->kernel_w + 1) / 2;
    const int32_t kp = ((p->out_w - 1) * p->stride_w + p->kernel_w + 2) / 2, row_words = p->in_c * kp;
    int32_t *const ring = (int32_t *)(void *)scratch;
    int32_t *const acc = ring + kh * row_words;
    const int16_t *const ring16 = (const int16_t *)(const void *)ring;
    int32_t out_y, r, next_row = -p->pad_top;     /* the first input row not yet in the ring */

    for (out_y = 0; out_y < p->out_h; ++out_y) {
        const int32_t top = out_y * p->stride_h - p->pad_top, slot = (top % kh + kh) % kh;
        int16_t *const out_row = output + out_y * p->out_w * channels;
        for (r = next_row > top ? next_row : top; r < top + kh; ++r) {
            tg_dw_rows_gather(r >= 0 && r < p->in_h ? input + r * p->in_w * p->in_c : NULL, p->in_w, p->pad_left,
                              p->in_c, kp, ring + (r % kh + kh) % kh * row_words);
        }
        next_row = top + kh;
        /* widths up to 8 with their weight words per row a constant: the loops unrolled */
        if (pairs == 1) {
            tg_dwr_channels(p, ring16, slot, 2 * row_words, kp, packed, 1, acc, out_row);
        } else if (pairs == 2) {
            tg_dwr_channels(p, ring16, slot, 2 * row_words, kp, packed, 2, acc, out_row);
        } else if (pairs == 3) {
            tg_dwr_channels(p, ring16, slot, 2 * row_words, kp, packed, 3, acc, out_row);
        } else if (pairs == 4) {
            tg_dwr_channels(p, ring16, slot, 2 * row_words, kp, packed, 4, acc, out_row);
        } else {
            tg_dwr_channels(p, ring16, slot, 2 * row_words, kp, packed, pairs, acc, out_row);
        }
        tg_s16_clamp_span(out_row, p->out_w * channels, p->act_min, p->act_max);
    }
}
