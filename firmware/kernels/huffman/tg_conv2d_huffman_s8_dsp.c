/*
 * tg_conv2d_huffman_s8_dsp: tg_conv2d_huffman_s8 on the DSP extension. Each block of output
 * channels is decoded into scratch; then per output pixel its receptive field (read in place
 * for a 1x1, stride-1, unpadded conv; else copied after the block, padding as the input zero
 * point) times the block's rows by tg_fully_connected_s8_dsp, written at the block's channels
 * of the NHWC output. Equal to tg_conv2d_s8 on the decoded weights.
 */
#include <stddef.h>
#include <string.h>

#include "tg_kernels_huffman.h"
#include "tg_kernels_dsp.h"

/* The receptive field of output pixel (out_y, out_x), OHWI order, padded with the zero point. */
static void tg_conv2d_field(const tg_conv2d_params_t *p, const int8_t *input, int32_t out_y, int32_t out_x,
                            int8_t *field)
{
    int32_t ky, kx;
    for (ky = 0; ky < p->kernel_h; ++ky) {
        const int32_t in_y = out_y * p->stride_h - p->pad_top + ky * p->dilation_h;
        for (kx = 0; kx < p->kernel_w; ++kx) {
            const int32_t in_x = out_x * p->stride_w - p->pad_left + kx * p->dilation_w;
            int8_t *dst = &field[(ky * p->kernel_w + kx) * p->in_c];
            if (in_y < 0 || in_y >= p->in_h || in_x < 0 || in_x >= p->in_w) {
                memset(dst, (int8_t)(-p->input_offset), (size_t)p->in_c);
            } else {
                memcpy(dst, &input[(in_y * p->in_w + in_x) * p->in_c], (size_t)p->in_c);
            }
        }
    }
}

void tg_conv2d_huffman_s8_dsp(const tg_conv2d_params_t *p, const int8_t *input,
                              const uint32_t *packed, const int32_t *bias,
                              const int32_t *multiplier, const int8_t *shift,
                              int8_t *scratch, int8_t *output)
{
    const int32_t depth = p->kernel_h * p->kernel_w * p->in_c;
    const int32_t direct = p->kernel_h == 1 && p->kernel_w == 1 && p->stride_h == 1 && p->stride_w == 1 &&
                           p->pad_top == 0 && p->pad_left == 0;
    tg_huffman_t h;
    tg_fully_connected_params_t q;
    int8_t *field;
    int32_t b, y, x;

    tg_huffman_open(&h, packed);
    field = &scratch[(h.block * depth + 7) & ~7];
    q.rows = 1;
    q.in_features = depth;
    q.input_offset = p->input_offset;
    q.output_offset = p->output_offset;
    q.act_min = p->act_min;
    q.act_max = p->act_max;
    for (b = 0; b < h.n_blocks; ++b) {
        const int32_t o0 = b * h.block;
        const int32_t *block_bias = bias != NULL ? &bias[o0] : NULL;
        q.out_features = o0 + h.block < p->out_c ? h.block : p->out_c - o0;
        tg_huffman_decode_s8(&h, b, p->out_c, depth, scratch);
        for (y = 0; y < p->out_h; ++y) {
            for (x = 0; x < p->out_w; ++x) {
                const int8_t *src = &input[(y * p->in_w + x) * p->in_c];
                if (!direct) {
                    tg_conv2d_field(p, input, y, x, field);
                    src = field;
                }
                /* one row: no scratch */
                tg_fully_connected_s8_dsp(&q, src, scratch, block_bias, &multiplier[o0], &shift[o0], NULL,
                                          &output[(y * p->out_w + x) * p->out_c + o0]);
            }
        }
    }
}
