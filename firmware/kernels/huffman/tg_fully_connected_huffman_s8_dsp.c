/*
 * tg_fully_connected_huffman_s8_dsp: tg_fully_connected_huffman_s8 on the DSP extension: each
 * block of output features decoded into scratch, then the rows, two at a time, times the block
 * by tg_mat_mult_s8_dsp.h's row bodies, written at the block's features of each row (a stride
 * of out_features). Equal to tg_fully_connected_s8 on the decoded weights.
 */
#include <stddef.h>

#include "tg_kernels_huffman.h"
#include "tg_mat_mult_s8_dsp.h"

void tg_fully_connected_huffman_s8_dsp(const tg_fully_connected_params_t *p, const int8_t *input,
                                       const uint32_t *packed, const int32_t *bias,
                                       const int32_t *multiplier, const int8_t *shift,
                                       int8_t *scratch, int8_t *output)
{
    const int32_t depth = p->in_features, cols = p->out_features;
    tg_huffman_t h;
    int16_t *buf;
    int32_t b, r;

    tg_huffman_open(&h, packed);
    buf = (int16_t *)(void *)&scratch[(h.block * depth + 7) & ~7];
    for (b = 0; b < h.n_blocks; ++b) {
        const int32_t o0 = b * h.block;
        const int32_t n = o0 + h.block < cols ? h.block : cols - o0;
        const int32_t *bb = bias != NULL ? &bias[o0] : NULL;
        const tg_mat_mult_quant_t q = tg_mat_mult_quant(p->input_offset, p->output_offset, p->act_min, p->act_max,
                                                        depth, n, bb, &multiplier[o0], &shift[o0]);
        tg_huffman_decode_s8(&h, b, cols, depth, scratch);
        for (r = 0; r + 2 <= p->rows; r += 2) {
            tg_mat_mult_2rows_s8_dsp(&input[r * depth], &input[(r + 1) * depth], depth, n, scratch, bb,
                                     &multiplier[o0], &shift[o0], &q, buf, &output[r * cols + o0],
                                     &output[(r + 1) * cols + o0]);
        }
        if (r < p->rows) {
            tg_mat_mult_1row_s8_dsp(&input[r * depth], depth, n, scratch, bb, &multiplier[o0], &shift[o0], &q,
                                    &output[r * cols + o0]);
        }
    }
}
