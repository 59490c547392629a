/*
 * tg_conv2d_widen_huffman_s8_dsp: tg_conv2d_widen_s8_dsp (tg_conv2d_widen_s8_dsp.h) with
 * entropy-coded weights (tg_kernels_huffman.h). Each block of output channels (a multiple of
 * 4) is decoded once into the scratch, int8 [block][depth]; each 4 of its channels are then
 * widened from those rows straight into the direct core's int16 layout (per group of 4 values
 * of the depth, each channel's SXTB16 pairs (b0, b2), (b1, b3), channel 0 first), and the
 * direct core runs over every output pixel, reading the input in place: no receptive field
 * copied, the block's channels four at a time. Needs in_c and out_c multiples of 4 (the
 * direct core's whole groups, whole blocks of 4 channels). Every block reads the whole input:
 * the output must not overlap it. Equal to tg_conv2d_s8 on the decoded weights.
 *
 * Scratch, 8-byte aligned: TG_HUFFMAN_DECODED_BYTES(block * depth), then
 * tg_conv2d_widen_s8_dsp_buffer_size (8 * depth) bytes; depth = kernel_h * kernel_w * in_c.
 */
#include <stdint.h>
#include <string.h>

#include "tg_conv2d_widen_s8_dsp.h"
#include "tg_kernels_huffman.h"

/* The 4 rows at rows (int8 [4][depth], depth a multiple of 4) widened into dst (8-byte aligned). */
static inline __attribute__((always_inline)) void tg_conv_widen_rows(const int8_t *rows, int32_t depth,
                                                                       int16_t *dst)
{
    int32_t *d = (int32_t *)__builtin_assume_aligned(dst, 8);
    int32_t k, c;
    for (k = 0; k < depth; k += 4) {
#pragma GCC unroll 4
        for (c = 0; c < 4; ++c) {
            int32_t v;
            memcpy(&v, &rows[c * depth + k], sizeof v);
            d[0] = __sxtb16(v);
            d[1] = tg_dsp_sxtb16_odd(v);
            d += 2;
        }
    }
}

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

void tg_conv2d_widen_huffman_s8_dsp(const tg_conv2d_params_t *p, const int8_t *input, const uint32_t *packed,
                                    const int32_t *bias, const int32_t *multiplier, const int8_t *shift,
                                    int8_t *scratch, int8_t *output)
{
    /* local copies: an int8 store may alias any field of *p, not of g or q (no reloads after stores) */
    const tg_conv_direct_t g = tg_conv_direct_of(p);
    const tg_mat_mult_quant_t q = tg_mat_mult_quant(p->input_offset, p->output_offset, p->act_min, p->act_max,
                                                    p->kernel_h * p->kernel_w * p->in_c, p->out_c, bias,
                                                    multiplier, shift);
    if (q.bounded) {    /* with TG_REQUANT_POS where the build set it */
        tg_conv_widen_huffman_all(&g, &q, 1 | TG_REQUANT_POS_OF(q.bounded), input, packed, bias, multiplier, shift,
                                  scratch, output);
    } else {
        tg_conv_widen_huffman_all(&g, &q, 0, input, packed, bias, multiplier, shift, scratch, output);
    }
}
