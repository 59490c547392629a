/*
 * tg_fully_connected_huffman_s8: fully connected with entropy-coded weights
 * (tg_kernels_huffman.h): each block of output features decoded into scratch, then
 * computed by tg_fully_connected_s8 row by row (a block's outputs are strided by
 * out_features). Equal to tg_fully_connected_s8 on the decoded weights.
 */
#include <stddef.h>

#include "tg_kernels_huffman.h"

void tg_fully_connected_huffman_s8(const tg_fully_connected_params_t *p, const int8_t *input,
                                   const uint32_t *packed, const int32_t *bias,
                                   const int32_t *multiplier, const int8_t *shift,
                                   int8_t *scratch, int8_t *output)
{
    tg_huffman_t h;
    tg_fully_connected_params_t q = *p;
    int32_t b, r;

    tg_huffman_open(&h, packed);
    q.rows = 1;
    for (b = 0; b < h.n_blocks; ++b) {
        const int32_t o0 = b * h.block;
        q.out_features = o0 + h.block < p->out_features ? h.block : p->out_features - o0;
        tg_huffman_decode_s8(&h, b, p->out_features, p->in_features, scratch);
        for (r = 0; r < p->rows; ++r) {
            tg_fully_connected_s8(&q, &input[r * p->in_features], scratch, bias != NULL ? &bias[o0] : NULL,
                                  &multiplier[o0], &shift[o0], &output[r * p->out_features + o0]);
        }
    }
}
