/*
 * tg_conv2d_gated_s8_dsp: gated 2-D convolution for ARMv7E-M (see tg_kernels_gating.h),
 * by partial im2col as tg_conv2d_s8_dsp: the receptive fields of 2 output pixels are
 * copied and widened to int16 once, then each kept channel costs one dot product over
 * them (two kept channels at a time: each widened input word feeds 4 SMLAD), so the
 * work scales with the channels kept. numpy twin: tinygen.gating.ref.conv2d_gated_s8.
 *
 * Scratch, 8-byte aligned: the two int8 receptive fields (2 * K bytes rounded up to 8,
 * K = kernel_h * kernel_w * in_c), the two widened rows (4 * K rounded up to 4 values),
 * then the kept channels' indices (int16 [out_c]).
 */
#include "tg_conv2d_gated.h"
#include "tg_conv2d_s8_dsp.h"

/* acc[2 * i + j] += row i . weight row w_j over the depth, rows widened by tg_widen_rows_s8 (2 rows). */
static inline __attribute__((always_inline)) void tg_gated_dot2(const int16_t *x, const int8_t *w0,
                                                                const int8_t *w1, int32_t depth, int32_t acc[4])
{
    const int32_t *xp = (const int32_t *)__builtin_assume_aligned(x, 8);
    const int32_t body = depth & ~3;
    const int16_t *const tail = x + 2 * body;
    const int8_t *p0 = w0, *p1 = w1;
    const int8_t *const end = w0 + body;
    int32_t a00 = acc[0], a01 = acc[1], a10 = acc[2], a11 = acc[3];
    int32_t k;

    while (p0 != end) {
        int32_t x0a, x0b, x1a, x1b;
        const int32_t v0 = tg_dsp_load_s8x4_post(&p0), v1 = tg_dsp_load_s8x4_post(&p1);
        const int32_t w0a = __sxtb16(v0), w0b = tg_dsp_sxtb16_odd(v0);
        const int32_t w1a = __sxtb16(v1), w1b = tg_dsp_sxtb16_odd(v1);
        tg_load_pair_post(&xp, &x0a, &x0b);
        tg_load_pair_post(&xp, &x1a, &x1b);
        a00 = __smlad(x0a, w0a, a00);
        a00 = __smlad(x0b, w0b, a00);
        a10 = __smlad(x1a, w0a, a10);
        a10 = __smlad(x1b, w0b, a10);
        a01 = __smlad(x0a, w1a, a01);
        a01 = __smlad(x0b, w1b, a01);
        a11 = __smlad(x1a, w1a, a11);
        a11 = __smlad(x1b, w1b, a11);
    }
    for (k = body; k < depth; ++k) {    /* the last depth % 4, in natural order */
        a00 += tail[k - body] * w0[k];
        a10 += tail[4 + k - body] * w0[k];
        a01 += tail[k - body] * w1[k];
        a11 += tail[4 + k - body] * w1[k];
    }
    acc[0] = a00;
    acc[1] = a01;
    acc[2] = a10;
    acc[3] = a11;
}

/* The gated output of channel c from its sum: both requantizations by their fast forms. */
static inline __attribute__((always_inline)) int8_t tg_gated_out(const tg_conv2d_gated_params_t *p,
                                                                 const tg_mat_mult_quant_t *q,
                                                                 const int32_t *multiplier, const int32_t *shift,
                                                                 int32_t c, int32_t acc, int32_t g)
{
    const tg_mat_mult_out_t oq = {q->output_offset, q->act_min, q->act_max};
    const int32_t y = q->bounded ? tg_mat_mult_out(acc, multiplier[c], shift[c], oq, 1)
                                 : tg_mat_mult_out(acc, multiplier[c], shift[c], oq, 0);
    /* |product| <= 255 * 255; the multiplier is non-negative */
    int32_t out = tg_requantize_fast((y - p->output_offset) * g, p->gate_multiplier, p->gate_shift) +
                  p->gate_output_offset;
    out = out < p->gate_act_min ? p->gate_act_min : out;
    out = out > p->gate_act_max ? p->gate_act_max : out;
    return (int8_t)out;
}

void tg_conv2d_gated_s8_dsp(const tg_conv2d_gated_params_t *p, const int8_t *input, const int8_t *gate,
                            const int8_t *weights, const int32_t *bias, const int32_t *multiplier,
                            const int32_t *shift, int8_t *scratch, int8_t *output)
{
    const tg_conv2d_params_t conv = tg_conv2d_gated_conv(p);
    const int32_t depth = p->kernel_h * p->kernel_w * p->in_c;
    const int32_t pixels = p->out_h * p->out_w;
    const int32_t out_c = p->out_c;
    const tg_mat_mult_quant_t q = tg_mat_mult_quant(p->input_offset, p->output_offset, p->act_min, p->act_max,
                                                    depth, out_c, bias, multiplier, shift);
    const int8_t dropped = tg_conv2d_gated_dropped(p);
    const int32_t gate_zero = -p->gate_input_offset;
    int8_t *const col0 = scratch, *const col1 = scratch + depth;
    int16_t *const buf = (int16_t *)(void *)(scratch + tg_conv2d_s8_dsp_im2col_size(depth));
    int16_t *const kept = buf + 2 * ((depth + 3) & ~3);
    int32_t n_kept = 0, oy = 0, ox = 0, n, c, j;

    for (c = 0; c < out_c; ++c) {
        if (gate[c] != gate_zero) {
            kept[n_kept++] = (int16_t)c;
        }
    }
    for (n = 0; n < pixels; n += 2) {
        const int32_t rows = n + 2 <= pixels ? 2 : 1;
        int8_t *const out0 = &output[n * out_c], *const out1 = out0 + out_c;
        tg_conv2d_s8_dsp_im2col(&conv, input, oy, ox, col0);
        if (++ox == p->out_w) {
            ox = 0;
            ++oy;
        }
        if (rows == 2) {
            tg_conv2d_s8_dsp_im2col(&conv, input, oy, ox, col1);
            if (++ox == p->out_w) {
                ox = 0;
                ++oy;
            }
        }
        tg_fill_s8(out0, dropped, rows * out_c);    /* the dropped channels; kept ones are overwritten */
        if (rows == 2) {
            tg_widen_rows_s8(col0, col1, 2, depth, p->input_offset, buf);
            for (j = 0; j + 2 <= n_kept; j += 2) {
                const int32_t c0 = kept[j], c1 = kept[j + 1];
                const int32_t b0 = bias != NULL ? bias[c0] : 0, b1 = bias != NULL ? bias[c1] : 0;
                int32_t a[4] = {b0, b1, b0, b1};
                tg_gated_dot2(buf, &weights[c0 * depth], &weights[c1 * depth], depth, a);
                out0[c0] = tg_gated_out(p, &q, multiplier, shift, c0, a[0], gate[c0] + p->gate_input_offset);
                out0[c1] = tg_gated_out(p, &q, multiplier, shift, c1, a[1], gate[c1] + p->gate_input_offset);
                out1[c0] = tg_gated_out(p, &q, multiplier, shift, c0, a[2], gate[c0] + p->gate_input_offset);
                out1[c1] = tg_gated_out(p, &q, multiplier, shift, c1, a[3], gate[c1] + p->gate_input_offset);
            }
        } else {
            tg_widen_rows_s8(col0, col0, 1, depth, p->input_offset, buf);
            j = 0;
        }
        for (; j < n_kept; ++j) {       /* the last kept channel of an odd count, or one row */
            const int32_t c0 = kept[j];
            const int32_t b0 = bias != NULL ? bias[c0] : 0;
            int32_t a[4] = {b0, 0, b0, 0};
            if (rows == 2) {
                tg_dot_s16_s8(buf, &weights[c0 * depth], depth, 2, 1, a);
                out1[c0] = tg_gated_out(p, &q, multiplier, shift, c0, a[2], gate[c0] + p->gate_input_offset);
            } else {
                tg_dot_s16_s8(buf, &weights[c0 * depth], depth, 1, 1, a);
            }
            out0[c0] = tg_gated_out(p, &q, multiplier, shift, c0, a[0], gate[c0] + p->gate_input_offset);
        }
    }
}
