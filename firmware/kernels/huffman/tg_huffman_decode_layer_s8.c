/*
 * tg_huffman_decode_layer_s8: a layer's entropy-coded weights (tg_kernels_huffman.h) decoded
 * whole into out, int8 [out_c][depth]: the int8 layout, block after block by
 * tg_huffman_decode_s8. What a decoding kernel (tg_*_huffman_decode_s8_dsp) runs before the int8
 * kernel, and what a specialized layer calls before the int8 kernel's inline body
 * (tinygen/codegen/huffman_decode.py). Numpy twin: tinygen/quant/huffman.py (decode).
 */
#include "tg_kernels_huffman.h"

void tg_huffman_decode_layer_s8(const uint32_t *packed, int32_t out_c, int32_t depth, int8_t *out)
{
    tg_huffman_t h;
    int32_t b;

    tg_huffman_open(&h, packed);
    for (b = 0; b < h.n_blocks; ++b) {
        tg_huffman_decode_s8(&h, b, out_c, depth, &out[b * h.block * depth]);
    }
}
