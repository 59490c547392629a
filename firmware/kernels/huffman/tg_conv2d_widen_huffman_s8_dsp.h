/*
 * The body of tg_conv2d_widen_huffman_s8_dsp (tg_kernels_huffman.h), shared with its per-layer
 * specialization (tinygen.kernels.specialize): tg_conv2d_widen_s8_dsp.h's direct core on
 * entropy-coded weights. Each block of output channels (a multiple of 4) is decoded once into
 * the scratch, int8 [block][depth]; each 4 of its channels are then widened from those rows
 * straight into the core's int16 layout (per group of 4 values of the depth, each channel's
 * SXTB16 pairs (b0, b2), (b1, b3), channel 0 first), and the core runs over every output
 * pixel, reading the input in place: no receptive field copied, the block's channels four at
 * a time. Needs in_c and out_c multiples of 4 (the core's whole groups, whole blocks of 4
 * channels). Every block reads the whole input: the output must not overlap it.
 *
 * Scratch, 8-byte aligned: TG_HUFFMAN_DECODED_BYTES(block * depth), then
 * tg_conv2d_widen_s8_dsp_buffer_size (8 * depth) bytes; depth = kernel_h * kernel_w * in_c.
 *
 * Needs __ARM_FEATURE_DSP (-mcpu=cortex-m4 / cortex-m7).
 */
#ifndef TG_CONV2D_WIDEN_HUFFMAN_S8_DSP_H
#define TG_CONV2D_WIDEN_HUFFMAN_S8_DSP_H

#include <stdint.h>

#include "tg_conv2d_widen_s8_dsp.h"
#include "tg_kernels_huffman.h"

/* Every output: each block decoded into the scratch, then 4 channels at a time widened and run over the pixels. */
static inline __attribute__((always_inline)) void tg_conv_widen_huffman_all(
    const tg_conv_direct_t *g, const tg_mat_mult_quant_t *q, int32_t bounded, const int8_t *input,
    const uint32_t *packed, const int32_t *bias, const int32_t *multiplier, const int8_t *shift, int8_t *scratch,
    int8_t *output)
{
    const int32_t depth = g->kernel_h * g->kernel_w * g->in_c;
    tg_huffman_t h;
    int16_t *w;
    int32_t b, c;

    tg_huffman_open(&h, packed);
    w = (int16_t *)__builtin_assume_aligned(&scratch[TG_HUFFMAN_DECODED_BYTES(h.block * depth)], 8);
    for (b = 0; b < h.n_blocks; ++b) {
        const int32_t o0 = b * h.block;
        const int32_t n = o0 + h.block < g->out_c ? h.block : g->out_c - o0;
        tg_huffman_decode_s8(&h, b, g->out_c, depth, scratch);
        for (c = 0; c < n; c += 4) {
            tg_conv_widen_rows(&scratch[c * depth], depth, w);
            tg_conv_widen_pixels(g, q, bounded, NULL, 0, NULL, input, w, bias, multiplier, shift, o0 + c, output);
        }
    }
}

/* The per-layer specialization: p the layer's static const parameters, `bounded` tg_mat_mult_quant's
   verdict computed at build time (tinygen.kernels.specialize), with TG_REQUANT_POS where it set it. */
static inline __attribute__((always_inline)) void tg_conv2d_widen_huffman_s8_dsp_inline(
    const tg_conv2d_params_t *p, int32_t bounded, const int8_t *input, const uint32_t *packed, const int32_t *bias,
    const int32_t *multiplier, const int8_t *shift, int8_t *scratch, int8_t *output)
{
    const tg_conv_direct_t g = tg_conv_direct_of(p);
    const tg_mat_mult_quant_t q = {p->input_offset, p->output_offset, p->act_min, p->act_max, bounded};
    tg_conv_widen_huffman_all(&g, &q, bounded ? 1 | TG_REQUANT_POS_OF(bounded) : 0, input, packed, bias, multiplier,
                          shift, scratch, output);
}

#endif /* TG_CONV2D_WIDEN_HUFFMAN_S8_DSP_H */
