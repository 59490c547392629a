/*
 * The body of tg_conv2d_widen_lut_s8_dsp (tg_kernels_lut.h), shared with its per-layer
 * specialization (tinygen.kernels.specialize): tg_conv2d_widen_s8_dsp.h's direct core on shared
 * weights (LUT.md). Each block of 4 output channels is decoded from its packed indices and
 * tables into the scratch, int8 [4][depth] (tg_lut_decode_rows), widened from those rows into
 * the core's int16 layout (tg_conv_widen_rows), and the core runs over every output pixel,
 * reading the input in place: each weight decoded once per inference, RAM one block instead of
 * the whole decoded layer. Needs in_c and out_c multiples of 4. Every block reads the whole
 * input: the output must not overlap it.
 *
 * Scratch, 8-byte aligned: 4 * depth bytes rounded up to 8 (TG_LUT_WIDEN_ROWS_BYTES), then
 * tg_conv2d_widen_s8_dsp_buffer_size (8 * depth) bytes; depth = kernel_h * kernel_w * in_c.
 *
 * Needs __ARM_FEATURE_DSP (-mcpu=cortex-m4 / cortex-m7).
 */
#ifndef TG_CONV2D_WIDEN_LUT_S8_DSP_H
#define TG_CONV2D_WIDEN_LUT_S8_DSP_H

#include <stdint.h>

#include "tg_conv2d_widen_s8_dsp.h"
#include "tg_kernels_lut.h"

/* The decoded rows' share of the scratch: 4 channels of depth weights, rounded up to 8 bytes. */
#define TG_LUT_WIDEN_ROWS_BYTES(depth) ((4 * (depth) + 7) & ~7)

/* Every output: each block of 4 channels decoded into the scratch, widened and run over the pixels. */
static inline __attribute__((always_inline)) void tg_conv_widen_lut_all(
    const tg_conv_direct_t *g, const tg_mat_mult_quant_t *q, int32_t bounded, const int8_t *input,
    const uint32_t *packed, const int32_t *bias, const int32_t *multiplier, const int8_t *shift, int8_t *scratch,
    int8_t *output)
{
    const int32_t depth = g->kernel_h * g->kernel_w * g->in_c;
    int16_t *const w = (int16_t *)__builtin_assume_aligned(&scratch[TG_LUT_WIDEN_ROWS_BYTES(depth)], 8);
    int32_t oc;
    for (oc = 0; oc < g->out_c; oc += 4) {
        tg_lut_decode_rows(packed, oc, 4, depth, scratch);
        tg_conv_widen_rows(scratch, depth, w);
        tg_conv_widen_pixels(g, q, bounded, NULL, 0, NULL, input, w, bias, multiplier, shift, oc, output);
    }
}

/* The per-layer specialization: p the layer's static const parameters, `bounded` tg_mat_mult_quant's
   verdict computed at build time (tinygen.kernels.specialize), with TG_REQUANT_POS where it set it. */
static inline __attribute__((always_inline)) void tg_conv2d_widen_lut_s8_dsp_inline(
    const tg_conv2d_params_t *p, int32_t bounded, const int8_t *input, const uint32_t *packed, const int32_t *bias,
    const int32_t *multiplier, const int8_t *shift, int8_t *scratch, int8_t *output)
{
    const tg_conv_direct_t g = tg_conv_direct_of(p);
    const tg_mat_mult_quant_t q = {p->input_offset, p->output_offset, p->act_min, p->act_max, bounded};
    tg_conv_widen_lut_all(&g, &q, bounded ? 1 | TG_REQUANT_POS_OF(bounded) : 0, input, packed, bias, multiplier,
                          shift, scratch, output);
}

#endif /* TG_CONV2D_WIDEN_LUT_S8_DSP_H */
