/*
 * The body of tg_conv2d_rows3_s8_dsp: tg_conv2d_s8_dsp's partial im2col with the output pixels
 * in blocks of 3, each block's 3 receptive fields copied into scratch, then widened and
 * multiplied in the 3-row x 2-channel block of the pointwise kernel (tg_rows3_block,
 * tg_mat_mult_rows3_s8_dsp.h): 21 instructions per 24 multiply-accumulates in its steps
 * against the 2-row block's 16 per 16.
 *
 * The 3-row block takes every size as an immediate: a specialized layer (every size and bound a
 * constant, the folded requantization: tg_rows3_on) runs it. Elsewhere (and in the generic
 * entry point) tg_conv2d_s8_dsp's 2-row body runs.
 *
 * Pixels: blocks of 3 in raster order; where pixels % 3 != 0 the last block is the last 3
 * pixels, overlapping the one before by 1 or 2 pixels (computed again, written again with the
 * same values). A block reads its 3 fields whole before writing any output.
 *
 * Scratch, 8-byte aligned: the three int8 fields (3 K bytes rounded up to 8, K = kernel_h *
 * kernel_w * in_c), then tg_conv2d_1x1_rows3_s8_dsp_buffer_size(K, out_c) bytes; at least
 * tg_conv2d_s8_dsp's (tinygen/kernels/conv_rows3_dsp.py sizes it).
 */
#ifndef TG_CONV2D_ROWS3_S8_DSP_H
#define TG_CONV2D_ROWS3_S8_DSP_H

#include "tg_conv2d_s8_dsp.h"
#include "tg_mat_mult_rows3_s8_dsp.h"

/* bytes of the three int8 receptive fields, kept a multiple of 8 */
static inline int32_t tg_conv2d_rows3_s8_dsp_im2col_size(int32_t depth)
{
    return (3 * depth + 7) & ~7;
}

/* The 3-pixel blocks (tg_rows3_on holds for the product pixels x depth by out_c). */
static inline __attribute__((always_inline)) void tg_conv2d_rows3_s8_dsp_blocks(
    const tg_conv2d_params_t *p, const tg_mat_mult_quant_t *q, const int8_t *input, const int8_t *weights,
    const int32_t *bias, const int32_t *multiplier, const int8_t *shift, int8_t *scratch, int8_t *output)
{
    const int32_t depth = p->kernel_h * p->kernel_w * p->in_c;
    const int32_t pixels = p->out_h * p->out_w, out_c = p->out_c;
    int8_t *const col = scratch;
    int16_t *const buf =
        (int16_t *)__builtin_assume_aligned(scratch + tg_conv2d_rows3_s8_dsp_im2col_size(depth), 8);
    int32_t *const rec = (int32_t *)(void *)(buf + 3 * ((depth + 3) & ~3));
    int32_t r = 0, k;

    tg_pairs_records_of(q->bounded, out_c, bias, multiplier, shift, q->output_offset, rec);
    for (;;) {      /* one copy of the block: the last block is the last 3 pixels */
        int32_t oy = r / p->out_w, ox = r - oy * p->out_w;
        /* a loop of the block's 3 fields (one copy of the im2col) */
#pragma GCC unroll 1
        for (k = 0; k < 3; ++k) {
            tg_conv2d_s8_dsp_im2col(p, input, oy, ox, col + k * depth);
            if (++ox == p->out_w) {
                ox = 0;
                ++oy;
            }
        }
        tg_rows3_block(col, col + depth, col + 2 * depth, depth, out_c, weights, bias, multiplier, shift, q, buf,
                       rec, &output[r * out_c]);
        if (r + 3 >= pixels) {
            break;
        }
        r = r + 6 <= pixels ? r + 3 : pixels - 3;
    }
}

/*
 * Per-layer specialization: tg_conv2d_rows3_s8_dsp with p pointing to the layer's static const
 * parameters and `bounded` tg_mat_mult_quant's verdict computed at build time
 * (tinygen.kernels.specialize); the 3-pixel blocks where tg_rows3_on holds, else
 * tg_conv2d_s8_dsp_inline's body.
 */
static inline __attribute__((always_inline)) void tg_conv2d_rows3_s8_dsp_inline(
    const tg_conv2d_params_t *p, int32_t bounded, const int8_t *input, const int8_t *weights,
    const int32_t *bias, const int32_t *multiplier, const int8_t *shift, int8_t *scratch, int8_t *output)
{
    const tg_mat_mult_quant_t q = {p->input_offset, p->output_offset, p->act_min, p->act_max, bounded};
    if (tg_rows3_on(&q, p->out_h * p->out_w, p->kernel_h * p->kernel_w * p->in_c, p->out_c)) {
        tg_conv2d_rows3_s8_dsp_blocks(p, &q, input, weights, bias, multiplier, shift, scratch, output);
    } else {
        tg_conv2d_s8_dsp_with(p, &q, input, weights, bias, multiplier, shift, scratch, output, 1);
    }
}

#endif /* TG_CONV2D_ROWS3_S8_DSP_H */
