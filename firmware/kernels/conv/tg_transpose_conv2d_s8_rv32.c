/*
 * tg_transpose_conv2d_s8_rv32: transposed 2-D convolution (any kernel, stride, dilation,
 * padding and output size; groups = 1) for RV32IM (ESP32-C3), int8 in/out, per-channel
 * requantization.
 *
 * Phase by phase (tg_transpose_conv2d.h): each phase of the output is a stride-1
 * convolution of the input with the taps that reach it, computed as the RV32IM convolution
 * computes its windows (tg_conv2d_s8_rv32.h's tg_rv32_run): 4 output channels x up to 3
 * adjacent pixels of a phase row in registers, per input value 4 weight loads and one LB
 * per pixel. Where every tap of a pixel reads inside the input, its sums start from the
 * phase's folded biases (bias + input_offset * the sum of the phase's weights of the
 * channel) and add raw input x weight; a pixel with taps outside the input starts from the
 * plain bias and adds (x + input_offset) x weight over its taps inside. Both are TFLM's
 * int32 sums, then tg_requantize and the clamp: equals tg_transpose_conv2d_s8 bit for bit.
 * numpy twin: tinygen.ref.transpose_conv.transpose_conv2d_s8.
 *
 * packed (int32 words, tinygen.kernels.transpose_conv.phase_rv32_weights): phase after
 * phase (rows outer), per block of 4 output channels (zero channels complete the last
 * block) the 4 folded biases, then the phase's taps_h * taps_w * in_c input values' weights,
 * the block's 4 channels for each value (taps from the largest down, channels of a tap in
 * order). No scratch. The output must not overlap the input.
 */
#include <stddef.h>
#include <stdint.h>

#include "tg_conv2d_s8_rv32.h"
#include "tg_kernels.h"
#include "tg_transpose_conv2d.h"

/* One phase as the loops see it: taps, sizes and its packed blocks. */
typedef struct {
    tg_tconv_axis_t y, x;
    int32_t depth;          /* taps_h * taps_w * in_c */
    const int32_t *blocks;  /* per block of 4 channels: 4 folded biases, depth words of weights */
} tg_tconv_rv32_phase_t;

/*
 * The outputs of npix adjacent pixels of a phase row (npix > 1 only where interior), output
 * (oy, ox) first, for the channels [oc, oc + n) of one block. y0, x0: the input row and
 * column the phase's first taps read for the first pixel.
 */
TG_RV32_INLINE void tg_tconv_rv32_block(const tg_transpose_conv2d_params_t *p, const tg_rv32_conv_t *g,
                                        const tg_tconv_rv32_phase_t *ph, int32_t interior, int32_t npix,
                                        int32_t y0, int32_t x0, int32_t oc, int32_t n, const int8_t *input,
                                        const int32_t *bias, const int32_t *multiplier, const int8_t *shift,
                                        int8_t *out)
{
    const int32_t in_c = p->in_c, row = ph->x.count * in_c;
    const int32_t *block = ph->blocks + (oc / TG_RV32_BLOCK) * (TG_RV32_BLOCK + ph->depth);
    const int8_t *w = (const int8_t *)(block + TG_RV32_BLOCK);
    int32_t acc[TG_RV32_PIXELS][TG_RV32_BLOCK];
    int32_t j, i, c;
#pragma GCC unroll 4
    for (j = 0; j < npix; ++j) {
#pragma GCC unroll 4
        for (c = 0; c < TG_RV32_BLOCK; ++c) {
            acc[j][c] = interior ? block[c] : (bias != NULL && c < n ? bias[oc + c] : 0);
        }
    }
    for (j = 0; j < ph->y.count; ++j) {
        const int32_t iy = y0 + j * ph->y.in_step;
        const int8_t *wr = w + j * row * TG_RV32_BLOCK;
        if (!interior && (iy < 0 || iy >= p->in_h)) {
            continue;
        }
        if (interior && ph->x.in_step == 1) {       /* the row's taps read one run of values */
            tg_rv32_run(input + tg_rv32_mad(tg_rv32_mad(iy, p->in_w, x0), in_c, 0), wr, row, in_c, npix, 0, acc);
            continue;
        }
        for (i = 0; i < ph->x.count; ++i) {
            const int32_t ix = x0 + i * ph->x.in_step;
            if (interior || (ix >= 0 && ix < p->in_w)) {
                tg_rv32_run(input + tg_rv32_mad(tg_rv32_mad(iy, p->in_w, ix), in_c, 0), wr + i * in_c * TG_RV32_BLOCK,
                            in_c, in_c, npix, interior ? 0 : p->input_offset, acc);
            }
        }
    }
#pragma GCC unroll 4
    for (c = 0; c < n; ++c) {
        const tg_rv32_requant_t q = tg_rv32_requant_of(multiplier[oc + c], shift[oc + c], 0);
#pragma GCC unroll 4
        for (j = 0; j < npix; ++j) {
            out[j * p->stride_w * p->out_c + oc + c] = tg_rv32_out(g, acc[j][c], &q, 0, NULL, 0);
        }
    }
}

/* npix adjacent pixels of a phase row from output (oy, ox), every channel: whole blocks of 4, then the rest. */
TG_RV32_INLINE void tg_tconv_rv32_group(const tg_transpose_conv2d_params_t *p, const tg_rv32_conv_t *g,
                                        const tg_tconv_rv32_phase_t *ph, int32_t interior, int32_t npix,
                                        int32_t oy, int32_t ox, const int8_t *input, const int32_t *bias,
                                        const int32_t *multiplier, const int8_t *shift, int8_t *output)
{
    const int32_t y0 = tg_tconv_base(&ph->y, oy, p->stride_h, p->dilation_h, p->pad_top);
    const int32_t x0 = tg_tconv_base(&ph->x, ox, p->stride_w, p->dilation_w, p->pad_left);
    const int32_t whole = p->out_c / TG_RV32_BLOCK * TG_RV32_BLOCK;
    int8_t *const out = output + tg_rv32_mad(tg_rv32_mad(oy, p->out_w, ox), p->out_c, 0);
    int32_t oc;
    for (oc = 0; oc < whole; oc += TG_RV32_BLOCK) {
        tg_tconv_rv32_block(p, g, ph, interior, npix, y0, x0, oc, TG_RV32_BLOCK, input, bias, multiplier, shift,
                            out);
    }
    if (whole < p->out_c) {
        tg_tconv_rv32_block(p, g, ph, interior, npix, y0, x0, whole, p->out_c - whole, input, bias, multiplier,
                            shift, out);
    }
}

/* Every output of one phase (a_y, a_x) with at least one tap along each axis. */
static void tg_tconv_rv32_phase(const tg_transpose_conv2d_params_t *p, const tg_rv32_conv_t *g,
                                const tg_tconv_rv32_phase_t *ph, int32_t a_y, int32_t a_x, const int8_t *input,
                                const int32_t *bias, const int32_t *multiplier, const int8_t *shift, int8_t *output)
{
    const int32_t span_y = (ph->y.count - 1) * ph->y.in_step, span_x = (ph->x.count - 1) * ph->x.in_step;
    const int32_t cols = (p->out_w - a_x + p->stride_w - 1) / p->stride_w;
    /* phase column c reads input columns from x_first + c: interior for c in [c_lo, c_hi) */
    const int32_t x_first = tg_tconv_base(&ph->x, a_x, p->stride_w, p->dilation_w, p->pad_left);
    const int32_t c_lo0 = x_first >= 0 ? 0 : -x_first, c_hi0 = p->in_w - span_x - x_first;
    const int32_t c_lo = c_lo0 < cols ? c_lo0 : cols;
    const int32_t c_hi = c_hi0 < c_lo ? c_lo : (c_hi0 > cols ? cols : c_hi0);
    int32_t oy, c;
    for (oy = a_y; oy < p->out_h; oy += p->stride_h) {
        const int32_t y0 = tg_tconv_base(&ph->y, oy, p->stride_h, p->dilation_h, p->pad_top);
        const int32_t row_in = y0 >= 0 && y0 + span_y < p->in_h;
        const int32_t lo = row_in ? c_lo : cols, hi = row_in ? c_hi : cols;
        const int32_t groups_end = lo + (hi - lo) / TG_RV32_PIXELS * TG_RV32_PIXELS;
        for (c = 0; c < lo; ++c) {
            tg_tconv_rv32_group(p, g, ph, 0, 1, oy, a_x + c * p->stride_w, input, bias, multiplier, shift, output);
        }
        for (c = lo; c < groups_end; c += TG_RV32_PIXELS) {
            tg_tconv_rv32_group(p, g, ph, 1, TG_RV32_PIXELS, oy, a_x + c * p->stride_w, input, bias, multiplier,
                                shift, output);
        }
        for (c = groups_end; c < hi; ++c) {
            tg_tconv_rv32_group(p, g, ph, 1, 1, oy, a_x + c * p->stride_w, input, bias, multiplier, shift, output);
        }
        for (c = hi; c < cols; ++c) {
            tg_tconv_rv32_group(p, g, ph, 0, 1, oy, a_x + c * p->stride_w, input, bias, multiplier, shift, output);
        }
    }
}

void tg_transpose_conv2d_s8_rv32(const tg_transpose_conv2d_params_t *p, const int8_t *input,
                                 const int32_t *packed, const int32_t *bias, const int32_t *multiplier,
                                 const int8_t *shift, int8_t *output)
{
    /* the output quantization in a local (an int8 store may alias any field of *p) */
    const tg_rv32_conv_t g = tg_rv32_conv_of(p->in_h, p->in_w, p->in_c, p->out_h, p->out_w, p->out_c, 1, 1, 1, 1, 1,
                                             1, 0, 0, p->input_offset, p->output_offset, p->act_min, p->act_max);
    const int32_t blocks = (p->out_c + TG_RV32_BLOCK - 1) / TG_RV32_BLOCK;
    tg_tconv_rv32_phase_t ph;
    int32_t a_y, a_x;

    ph.blocks = packed;
    for (a_y = 0; a_y < p->stride_h; ++a_y) {
        ph.y = tg_tconv_axis(a_y, p->kernel_h, p->stride_h, p->dilation_h, p->pad_top);
        for (a_x = 0; a_x < p->stride_w; ++a_x) {
            ph.x = tg_tconv_axis(a_x, p->kernel_w, p->stride_w, p->dilation_w, p->pad_left);
            ph.depth = ph.y.count * ph.x.count * p->in_c;
            if (a_y < p->out_h && a_x < p->out_w) {
                /* a phase no tap reaches: every pixel an edge pixel with no tap inside, the bias alone */
                tg_tconv_rv32_phase(p, &g, &ph, a_y, a_x, input, bias, multiplier, shift, output);
            }
            ph.blocks += blocks * (TG_RV32_BLOCK + ph.depth);
        }
    }
}
