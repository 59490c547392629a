/*
 * tg_conv2d_huffman_s8_dsp: tg_conv2d_huffman_s8 on the DSP extension. Each block of output
 * channels is decoded into scratch; then the output pixels, two at a time, are the product of
 * their receptive fields (read in place for a 1x1, stride-1, unpadded conv; else copied into
 * scratch, padding as the input zero point) and the block's rows, by tg_mat_mult_s8_dsp.h's
 * row bodies, written at the block's channels of each pixel (NHWC: a stride of out_c).
 * Equal to tg_conv2d_s8 on the decoded weights.
 */
#include <stddef.h>
#include <string.h>

#include "tg_kernels_huffman.h"
#include "tg_mat_mult_s8_dsp.h"

/* The receptive field of output pixel px, OHWI order, padded with the zero point. */
static void tg_conv2d_field(const tg_conv2d_params_t *p, const int8_t *input, int32_t px, int8_t *field)
{
    const int32_t out_y = px / p->out_w, out_x = px % p->out_w;
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

/* Output pixel px's receptive field: in the input itself where direct, else copied to field. */
static inline const int8_t *tg_conv2d_row(const tg_conv2d_params_t *p, const int8_t *input, int32_t direct,
                                          int32_t px, int8_t *field)
{
    if (direct) {
        return &input[px * p->in_c];
    }
    tg_conv2d_field(p, input, px, field);
    return field;
}

void tg_conv2d_huffman_s8_dsp(const tg_conv2d_params_t *p, const int8_t *input,
                              const uint32_t *packed, const int32_t *bias,
                              const int32_t *multiplier, const int8_t *shift,
                              int8_t *scratch, int8_t *output)
{
    const int32_t depth = p->kernel_h * p->kernel_w * p->in_c;
    const int32_t pixels = p->out_h * p->out_w;
    const int32_t direct = p->kernel_h == 1 && p->kernel_w == 1 && p->stride_h == 1 && p->stride_w == 1 &&
                           p->pad_top == 0 && p->pad_left == 0;
    tg_huffman_t h;
    int8_t *field0, *field1, *buf;
    int32_t b, px;

    tg_huffman_open(&h, packed);
    field0 = &scratch[(h.block * depth + 7) & ~7];
    field1 = direct ? field0 : &field0[(depth + 7) & ~7];
    buf = direct ? field0 : &field1[(depth + 7) & ~7];
    for (b = 0; b < h.n_blocks; ++b) {
        const int32_t o0 = b * h.block;
        const int32_t n = o0 + h.block < p->out_c ? h.block : p->out_c - o0;
        const int32_t *bb = bias != NULL ? &bias[o0] : NULL;
        const tg_mat_mult_quant_t q = tg_mat_mult_quant(p->input_offset, p->output_offset, p->act_min, p->act_max,
                                                        depth, n, bb, &multiplier[o0], &shift[o0]);
        tg_huffman_decode_s8(&h, b, p->out_c, depth, scratch);
        for (px = 0; px + 2 <= pixels; px += 2) {
            const int8_t *x0 = tg_conv2d_row(p, input, direct, px, field0);
            const int8_t *x1 = tg_conv2d_row(p, input, direct, px + 1, field1);
            tg_mat_mult_2rows_s8_dsp(x0, x1, depth, n, scratch, bb, &multiplier[o0], &shift[o0], &q,
                                     (int16_t *)(void *)buf, &output[px * p->out_c + o0],
                                     &output[(px + 1) * p->out_c + o0]);
        }
        if (px < pixels) {
            tg_mat_mult_1row_s8_dsp(tg_conv2d_row(p, input, direct, px, field0), depth, n, scratch, bb,
                                    &multiplier[o0], &shift[o0], &q, &output[px * p->out_c + o0]);
        }
    }
}
