/*
 * tg_conv2d_huffman_s8: 2-D convolution (groups = 1) with entropy-coded weights
 * (tg_kernels_huffman.h): each block of output channels decoded into scratch, then every
 * pixel's outputs of the block computed by tinygen's portable conv (tg_conv2d_s8.h), written
 * at their channels of the NHWC output. Equal to tg_conv2d_s8 on the decoded weights.
 */
#include <stddef.h>

#include "tg_conv2d_s8.h"
#include "tg_kernels_huffman.h"

void tg_conv2d_huffman_s8(const tg_conv2d_params_t *p, const int8_t *input,
                          const uint32_t *packed, const int32_t *bias,
                          const int32_t *multiplier, const int8_t *shift,
                          int8_t *scratch, int8_t *output)
{
    const int32_t depth = p->kernel_h * p->kernel_w * p->in_c;
    tg_huffman_t h;
    int32_t b, y, x, j;

    tg_huffman_open(&h, packed);
    for (b = 0; b < h.n_blocks; ++b) {
        const int32_t o0 = b * h.block;
        const int32_t n = o0 + h.block < p->out_c ? h.block : p->out_c - o0;
        const int32_t *block_bias = bias != NULL ? &bias[o0] : NULL;
        tg_huffman_decode_s8(&h, b, p->out_c, depth, scratch);
        for (y = 0; y < p->out_h; ++y) {
            for (x = 0; x < p->out_w; ++x) {
                int8_t *out = &output[(y * p->out_w + x) * p->out_c + o0];
                for (j = 0; j < n; ++j) {
                    out[j] = tg_conv2d_s8_output(p, input, scratch, block_bias, &multiplier[o0], &shift[o0], y, x, j);
                }
            }
        }
    }
}
