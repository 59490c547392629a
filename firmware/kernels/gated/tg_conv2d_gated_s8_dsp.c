/*
 * tg_conv2d_gated_s8_dsp: gated 2-D convolution for ARMv7E-M (see tg_kernels_gating.h),
 * by partial im2col as tg_conv2d_s8_dsp: the receptive fields of 2 output pixels are
 * copied and widened to int16 once, then each kept channel costs one dot product over
 * them (two kept channels at a time: each widened input word feeds 4 SMLAD), so the
 * work scales with the channels kept. numpy twin: tinygen.gating.ref.conv2d_gated_s8.
 *
 * The kept output channels' weights are gathered once per call, each row zero-padded to a
 * multiple of 4 (the receptive fields padded with the zero point alike: no tail loop).
 * With in_gate (the gate of the layer that produced the input, whose dropped channels hold
 * the input zero point and so add nothing), only the kept input channels are read: they are
 * gathered once per call into a compact copy of the input, the receptive fields are taken
 * from it and the gathered weights hold only them, so the work scales with kept inputs
 * times kept outputs.
 *
 * Scratch, 8-byte aligned: tg_conv2d_gated_s8_dsp_buffer_size(p) bytes: the two int8
 * receptive fields (2 * K bytes rounded up to 8, K = kernel_h * kernel_w * in_c), the two
 * widened rows (4 * K rounded up to 4 values), the kept output and input channels' int16
 * indices, the gathered weights (out_c * K rounded up to 4 bytes at most), then with
 * skip_inputs the input's kept channels (in_h * in_w * in_c bytes at most).
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

/* The output quantization in locals (an int8 store may alias any struct field, locals it cannot). */
typedef struct {
    tg_mat_mult_out_t conv;
    int32_t bounded;
    int32_t conv_zero, gate_multiplier, gate_shift, gate_output_offset, gate_act_min, gate_act_max;
} tg_gated_quant_t;

/* The gated output of a channel from its sum; g: its gate value plus the gate's offset. */
static inline __attribute__((always_inline)) int8_t tg_gated_out(const tg_gated_quant_t *gq, int32_t multiplier,
                                                                 int32_t shift, int32_t acc, int32_t g)
{
    const int32_t y = gq->bounded ? tg_mat_mult_out(acc, multiplier, shift, gq->conv, 1)
                                  : tg_mat_mult_out(acc, multiplier, shift, gq->conv, 0);
    /* |product| <= 255 * 255; the multiplier is non-negative */
    int32_t out = tg_requantize_fast((y - gq->conv_zero) * g, gq->gate_multiplier, gq->gate_shift) +
                  gq->gate_output_offset;
    out = out < gq->gate_act_min ? gq->gate_act_min : out;
    out = out > gq->gate_act_max ? gq->gate_act_max : out;
    return (int8_t)out;
}

/* The channels c < n whose gate value is not zero, as int16 indices; returns how many. */
static int32_t tg_gated_kept(const int8_t *gate, int32_t n, int32_t zero, int16_t *kept)
{
    int32_t c, count = 0;
    for (c = 0; c < n; ++c) {
        if (gate[c] != zero) {
            kept[count++] = (int16_t)c;
        }
    }
    return count;
}

/* The input's kept channels kin, pixel after pixel: int8 [pixels][n_in] at dst. */
static void tg_gated_compact(const int8_t *input, int32_t pixels, int32_t in_c, const int16_t *kin, int32_t n_in,
                             int8_t *dst)
{
    int32_t px, i;
    for (px = 0; px < pixels; ++px, input += in_c) {
        for (i = 0; i < n_in; ++i) {
            *dst++ = input[kin[i]];
        }
    }
}

/*
 * The kept output channels' weight rows over the kept input channels (kin NULL: all), each
 * zero-padded to row bytes (a multiple of 4): int8 [n_out][row], taps * n_in values first.
 */
static void tg_gated_weights(const int8_t *weights, int32_t taps, int32_t in_c, const int16_t *kout, int32_t n_out,
                             const int16_t *kin, int32_t n_in, int32_t row, int8_t *dst)
{
    int32_t j, t, i;
    for (j = 0; j < n_out; ++j, dst += row) {
        const int8_t *w = &weights[kout[j] * taps * in_c];
        int8_t *d = dst;
        if (kin == NULL) {
            tg_copy_s8(d, w, taps * in_c);
            d += taps * in_c;
        } else {
            for (t = 0; t < taps; ++t, w += in_c) {
                for (i = 0; i < n_in; ++i) {
                    *d++ = w[kin[i]];
                }
            }
        }
        tg_fill_s8(d, 0, (int32_t)(dst + row - d));
    }
}

void tg_conv2d_gated_s8_dsp(const tg_conv2d_gated_params_t *p, const int8_t *input, const int8_t *gate,
                            const int8_t *in_gate, const int8_t *weights, const int32_t *bias,
                            const int32_t *multiplier, const int8_t *shift, int8_t *scratch, int8_t *output)
{
    const tg_conv2d_params_t conv = tg_conv2d_gated_conv(p);
    const int32_t taps = p->kernel_h * p->kernel_w;
    const int32_t full = taps * p->in_c;
    const int32_t pixels = p->out_h * p->out_w;
    const int32_t out_c = p->out_c;
    const tg_mat_mult_quant_t q = tg_mat_mult_quant(p->input_offset, p->output_offset, p->act_min, p->act_max,
                                                    full, out_c, bias, multiplier, shift);
    const tg_gated_quant_t gq = {{q.output_offset, q.act_min, q.act_max}, q.bounded, p->output_offset,
                                 p->gate_multiplier, p->gate_shift, p->gate_output_offset, p->gate_act_min,
                                 p->gate_act_max};
    const int8_t dropped = tg_conv2d_gated_dropped(p);
    int8_t *const col0 = scratch;
    int16_t *const buf = (int16_t *)(void *)(scratch + tg_conv2d_s8_dsp_im2col_size((full + 3) & ~3));
    int16_t *const kout = buf + 2 * ((full + 3) & ~3);
    int16_t *const kin = kout + out_c;
    int8_t *const wbuf = (int8_t *)(void *)(kout + ((out_c + p->in_c + 3) & ~3));
    int8_t *const xin = wbuf + out_c * ((full + 3) & ~3);
    const int32_t n_out = tg_gated_kept(gate, out_c, -p->gate_input_offset, kout);
    const int32_t n_in = in_gate != NULL ? tg_gated_kept(in_gate, p->in_c, -p->in_gate_input_offset, kin) : p->in_c;
    const int32_t used = taps * n_in;
    /* the rows padded to whole words (zero weights, inputs at the zero point): no tail loop */
    const int32_t depth = (used + 3) & ~3;
    int8_t *const col1 = col0 + depth;
    const int8_t zero_point = (int8_t)(-p->input_offset);
    int32_t oy = 0, ox = 0, n, j;

    tg_conv2d_params_t fields = conv;   /* the receptive fields' geometry: over the kept inputs */
    const int8_t *x = input;

    /* the kept outputs' weights over the kept inputs, and the input's kept channels, once per call */
    tg_gated_weights(weights, taps, p->in_c, kout, n_out, in_gate != NULL ? kin : NULL, n_in, depth, wbuf);
    if (in_gate != NULL) {
        tg_gated_compact(input, p->in_h * p->in_w, p->in_c, kin, n_in, xin);
        fields.in_c = n_in;
        x = xin;
    }
    for (n = 0; n < pixels; n += 2) {
        const int32_t rows = n + 2 <= pixels ? 2 : 1;
        int8_t *const out0 = &output[n * out_c], *const out1 = out0 + out_c;
        int32_t k;
        for (k = 0; k < rows; ++k) {
            int8_t *const col = k == 0 ? col0 : col1;
            tg_conv2d_s8_dsp_im2col(&fields, x, oy, ox, col);
            tg_fill_s8(col + used, zero_point, depth - used);
            if (++ox == p->out_w) {
                ox = 0;
                ++oy;
            }
        }
        tg_fill_s8(out0, dropped, rows * out_c);    /* the dropped channels; kept ones are overwritten */
        if (depth == 0) {       /* no input kept: every kept channel is its bias alone */
            for (j = 0; j < n_out; ++j) {
                const int32_t c = kout[j], g = gate[c] + p->gate_input_offset;
                const int8_t v = tg_gated_out(&gq, multiplier[c], shift[c], bias != NULL ? bias[c] : 0, g);
                out0[c] = v;
                if (rows == 2) {
                    out1[c] = v;
                }
            }
            continue;
        }
        tg_widen_rows_s8(col0, col1, rows, depth, p->input_offset, buf);
        j = 0;
        if (rows == 2) {
            for (; j + 2 <= n_out; j += 2) {
                const int32_t c0 = kout[j], c1 = kout[j + 1];
                const int8_t *w0 = &wbuf[j * depth], *w1 = w0 + depth;
                const int32_t b0 = bias != NULL ? bias[c0] : 0, b1 = bias != NULL ? bias[c1] : 0;
                const int32_t g0 = gate[c0] + p->gate_input_offset, g1 = gate[c1] + p->gate_input_offset;
                int32_t a[4] = {b0, b1, b0, b1};
                tg_gated_dot2(buf, w0, w1, depth, a);
                out0[c0] = tg_gated_out(&gq, multiplier[c0], shift[c0], a[0], g0);
                out0[c1] = tg_gated_out(&gq, multiplier[c1], shift[c1], a[1], g1);
                out1[c0] = tg_gated_out(&gq, multiplier[c0], shift[c0], a[2], g0);
                out1[c1] = tg_gated_out(&gq, multiplier[c1], shift[c1], a[3], g1);
            }
        }
        for (; j < n_out; ++j) {        /* the last kept channel of an odd count, or one row */
            const int32_t c0 = kout[j];
            const int8_t *w0 = &wbuf[j * depth];
            const int32_t b0 = bias != NULL ? bias[c0] : 0, g0 = gate[c0] + p->gate_input_offset;
            int32_t a[4] = {b0, 0, b0, 0};
            if (rows == 2) {
                tg_dot_s16_s8(buf, w0, depth, 2, 1, a);
                out1[c0] = tg_gated_out(&gq, multiplier[c0], shift[c0], a[2], g0);
            } else {
                tg_dot_s16_s8(buf, w0, depth, 1, 1, a);
            }
            out0[c0] = tg_gated_out(&gq, multiplier[c0], shift[c0], a[0], g0);
        }
    }
}
