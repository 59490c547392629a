/*
 * tg_conv2d_s8_s4_s8_mve: tg_conv2d_s8_s4_s8 (int8 activations, 4-bit weights: two's
 * complement codes c, or DoReFa's odd levels 2c + 1) for the Cortex-M55's Helium (MVE).
 * Same bytes as the portable kernel (LOWBIT.md); numpy twin: tinygen.ref.subbyte.conv2d_s8_s4_s8.
 *
 * Per pair of output pixels (raster order; the last of an odd count alone) both receptive
 * fields are copied into scratch (tg_subbyte_dsp_im2col: padded taps and the bytes up to D,
 * K = kernel_h * kernel_w * in_c rounded up to 32, hold the input zero point), then each
 * output channel's row of codes is read once for both pixels, 32 codes per step:
 *
 *   VLDRB w (16 bytes: codes 2j in the low nibbles, 2j + 1 in the high ones)
 *   VSHL #4, VSHR #4   -> the even codes, sign-extended (int8 lanes)
 *   VSHR #4            -> the odd codes
 *   per pixel: VLD20 / VLD21 (32 activations, even and odd lanes apart), 2 VMLADAVA.S8
 *
 * 12 instructions for 64 multiply-accumulates. The sums take the activations as they are
 * (x, not x + input_offset): acc = sum(c x) + input_offset * sum(c), and sum(c) of each
 * channel is taken once per call, by the first pair's pass (two VADDVA per step), into
 * scratch. Bytes past the row's end read as zero codes (a predicated load), the zero-point
 * bytes past K meet them or the row's zero padding codes, so they add nothing. With odd
 * weights, acc = 2 (sum(c x) + input_offset * sum(c)) + sum(x + input_offset), the last
 * sum over the D bytes (the zero-point bytes add 0 to it). Then TFLite's requantization.
 *
 * Scratch (tg_conv2d_s8_s4_s8_mve_buffer_size): [2 fields of D bytes][out_c int32 sums].
 * Needs __ARM_FEATURE_MVE (-mcpu=cortex-m55).
 */
#include <arm_mve.h>
#include <stdint.h>

#include "tg_conv2d_subbyte_dsp.h"
#include "tg_kernels_subbyte.h"
#include "tg_requant.h"

/* sum(x) over n bytes (n a multiple of 16). */
static inline int32_t tg_s4_mve_sum(const int8_t *x, int32_t n)
{
    int32_t s = 0, k;
    for (k = 0; k < n; k += 16) {
        s = vaddvaq_s8(s, vldrbq_s8(x + k));
    }
    return s;
}

/* The running sums of one step: 32 codes v against 32 activations of x0 (and x1). */
typedef struct {
    int32_t s0, s1, sw;
} tg_s4_mve_sums_t;

static inline __attribute__((always_inline)) void tg_s4_mve_step(int8x16_t v, const int8_t *x0, const int8_t *x1,
                                                                 int32_t two, int32_t want_sum,
                                                                 tg_s4_mve_sums_t *s)
{
    const int8x16_t even = vshrq_n_s8(vshlq_n_s8(v, 4), 4), odd = vshrq_n_s8(v, 4);
    const int8x16x2_t xa = vld2q_s8(x0);
    s->s0 = vmladavaq_s8(s->s0, xa.val[0], even);
    s->s0 = vmladavaq_s8(s->s0, xa.val[1], odd);
    if (two) {
        const int8x16x2_t xb = vld2q_s8(x1);
        s->s1 = vmladavaq_s8(s->s1, xb.val[0], even);
        s->s1 = vmladavaq_s8(s->s1, xb.val[1], odd);
    }
    if (want_sum) {
        s->sw = vaddvaq_s8(s->sw, even);
        s->sw = vaddvaq_s8(s->sw, odd);
    }
}

/*
 * One channel's sums over the fields x0 (and x1 where two): a[j] = sum(c x_j); with
 * want_sum, *wsum = sum(c). The row's `full` whole steps of 16 bytes, then, where
 * row_bytes % 16, one step of its last bytes (a predicated load: zero codes after them).
 */
static inline __attribute__((always_inline)) void tg_s4_mve_row(const int8_t *x0, const int8_t *x1, int32_t two,
                                                                 const uint8_t *w, int32_t full, int32_t row_bytes,
                                                                 int32_t want_sum, int32_t a[2], int32_t *wsum)
{
    tg_s4_mve_sums_t s = {0, 0, 0};
    int32_t i;
    for (i = 0; i < full; ++i) {
        tg_s4_mve_step(vreinterpretq_s8_u8(vldrbq_u8(w + 16 * i)), x0 + 32 * i, x1 + 32 * i, two, want_sum, &s);
    }
    if (16 * full < row_bytes) {
        const mve_pred16_t pred = vctp8q((uint32_t)(row_bytes - 16 * full));
        tg_s4_mve_step(vreinterpretq_s8_u8(vldrbq_z_u8(w + 16 * full, pred)), x0 + 32 * full, x1 + 32 * full, two,
                       want_sum, &s);
    }
    a[0] = s.s0;
    a[1] = s.s1;
    if (want_sum) {
        *wsum = s.sw;
    }
}

/* The int8 output of sum a (sum(c x)) with the channel's sum of codes ws and the pixel's xs. */
static inline __attribute__((always_inline)) int8_t tg_s4_mve_out(int32_t a, int32_t ws, int32_t xs, int32_t off,
                                                                  int32_t odd, int32_t bias, int32_t multiplier,
                                                                  int32_t shift, int32_t out_off, int32_t act_min,
                                                                  int32_t act_max)
{
    int32_t acc = a + off * ws;
    acc = (odd ? 2 * acc + xs : acc) + bias;
    acc = tg_requantize_fast(acc, multiplier, shift) + out_off;
    acc = acc < act_min ? act_min : acc;
    return (int8_t)(acc > act_max ? act_max : acc);
}

/* The outputs of pixels x0 (out0) and, where two, x1 (out1), every channel. The layer's
   quantization in locals: an int8 store may alias any field of *p. */
static inline __attribute__((always_inline)) void tg_s4_mve_pixels(
    const tg_conv2d_subbyte_params_t *p, const int8_t *x0, const int8_t *x1, int32_t two, int32_t field,
    const uint8_t *weights, int32_t row_bytes, int32_t want_sum, int32_t *wsums, const int32_t *bias,
    const int32_t *multiplier, const int8_t *shift, int8_t *out0, int8_t *out1)
{
    const int32_t full = row_bytes / 16, off = p->input_offset, odd = p->odd, out_c = p->out_c;
    const int32_t out_off = p->output_offset, act_min = p->act_min, act_max = p->act_max;
    const int32_t xs0 = odd ? tg_s4_mve_sum(x0, field) + field * off : 0;
    const int32_t xs1 = odd && two ? tg_s4_mve_sum(x1, field) + field * off : 0;
    int32_t oc;
    for (oc = 0; oc < out_c; ++oc) {
        const int32_t b = bias != NULL ? bias[oc] : 0, m = multiplier[oc], sh = shift[oc];
        int32_t a[2];
        if (want_sum) {
            tg_s4_mve_row(x0, x1, two, weights + oc * row_bytes, full, row_bytes, 1, a, &wsums[oc]);
        } else {
            tg_s4_mve_row(x0, x1, two, weights + oc * row_bytes, full, row_bytes, 0, a, NULL);
        }
        out0[oc] = tg_s4_mve_out(a[0], wsums[oc], xs0, off, odd, b, m, sh, out_off, act_min, act_max);
        if (two) {
            out1[oc] = tg_s4_mve_out(a[1], wsums[oc], xs1, off, odd, b, m, sh, out_off, act_min, act_max);
        }
    }
}

void tg_conv2d_s8_s4_s8_mve(const tg_conv2d_subbyte_params_t *p, const int8_t *input,
                            const uint8_t *weights, const int32_t *bias,
                            const int32_t *multiplier, const int8_t *shift,
                            int8_t *scratch, int8_t *output)
{
    const tg_conv2d_params_t c = {p->in_h, p->in_w, p->in_c, p->out_h, p->out_w, p->out_c,
                                  p->kernel_h, p->kernel_w, p->stride_h, p->stride_w,
                                  p->dilation_h, p->dilation_w, p->pad_top, p->pad_left, 1,
                                  p->input_offset, p->output_offset, p->act_min, p->act_max};
    const int32_t depth = p->kernel_h * p->kernel_w * p->in_c;
    const int32_t field = tg_conv2d_s8_s4_s8_mve_field(depth);
    const int32_t row_bytes = 4 * ((depth + 7) / 8);
    const int32_t pixels = p->out_h * p->out_w;
    int8_t *const col0 = scratch;
    int8_t *const col1 = col0 + field;
    int32_t *const wsums = (int32_t *)__builtin_assume_aligned(col1 + field, 4);
    int32_t oy = 0, ox = 0, n;

    for (n = 0; n + 2 <= pixels; n += 2) {
        tg_subbyte_dsp_im2col(&c, input, oy, ox, depth, field, col0);
        if (++ox == p->out_w) {
            ox = 0;
            ++oy;
        }
        tg_subbyte_dsp_im2col(&c, input, oy, ox, depth, field, col1);
        if (++ox == p->out_w) {
            ox = 0;
            ++oy;
        }
        if (n == 0) {       /* the first pass takes each channel's sum of codes too */
            tg_s4_mve_pixels(p, col0, col1, 1, field, weights, row_bytes, 1, wsums, bias, multiplier, shift,
                             &output[n * p->out_c], &output[(n + 1) * p->out_c]);
        } else {
            tg_s4_mve_pixels(p, col0, col1, 1, field, weights, row_bytes, 0, wsums, bias, multiplier, shift,
                             &output[n * p->out_c], &output[(n + 1) * p->out_c]);
        }
    }
    if (n < pixels) {       /* the last pixel of an odd count */
        tg_subbyte_dsp_im2col(&c, input, oy, ox, depth, field, col0);
        tg_s4_mve_pixels(p, col0, col0, 0, field, weights, row_bytes, n == 0, wsums, bias, multiplier, shift,
                         &output[n * p->out_c], &output[n * p->out_c]);
    }
}
