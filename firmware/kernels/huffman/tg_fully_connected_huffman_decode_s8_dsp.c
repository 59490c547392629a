/*
 * tg_fully_connected_huffman_decode_s8_dsp: tg_fully_connected_s8_dsp with entropy-coded weights
 * (tg_kernels_huffman.h): the layer's weights decoded whole into the scratch
 * (tg_huffman_decode_layer_s8: int8 in the int8 layout, rounded up to 8 bytes), then tg_fully_connected_s8_dsp
 * on them, its own scratch after them. Chosen over the block kernel where the arena has room
 * (tinygen/kernels/huffman_table.py). numpy twin: the int8 kernel's, on the decoded weights.
 */
#include "tg_kernels_huffman.h"
#include "tg_kernels_dsp.h"

void tg_fully_connected_huffman_decode_s8_dsp(const tg_fully_connected_params_t *p, const int8_t *input, const uint32_t *packed, const int32_t *bias,
        const int32_t *multiplier, const int8_t *shift, int8_t *scratch, int8_t *output)
{
    const int32_t rows = p->out_features, depth = p->in_features;
    tg_huffman_decode_layer_s8(packed, rows, depth, scratch);
    tg_fully_connected_s8_dsp(p, input, scratch, bias, multiplier, shift, &scratch[TG_HUFFMAN_DECODED_BYTES(rows * depth)], output);
}
