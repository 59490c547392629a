/*
 * tg_conv2d_s8_s8_b1_dsp: tg_conv2d_s8_s8_b1 (int8 convolution with packed-bit threshold
 * output, a BNN's first layer) for ARMv7E-M (Cortex-M4/M7, DSP extension). The sums are
 * tg_conv2d_s8_dsp's: the receptive fields of 2 output pixels copied into scratch
 * (padded taps hold the input zero point), widened to int16 with the input offset
 * added, and multiplied by the [out_c][kernel_h * kernel_w * in_c] weights with SMLAD
 * (tg_conv2d_s8_dsp.h, tg_mat_mult_s8_dsp.h); then bit o = acc < thresholds[o]. Where
 * depth >= 4, pairs of pixels take the pair path (tg_s8_s8_b1_pairs below: the sums of
 * 2 pixels x 2 channels in registers, no int32 sums through scratch). Same bytes as the
 * portable kernel; numpy twin: tinygen.ref.binary.conv2d_s8_s8_b1.
 *
 * Scratch, 8-byte aligned: as tg_conv2d_s8_dsp's (the two int8 receptive fields, 2 * K
 * bytes rounded up to 8, K = kernel_h * kernel_w * in_c, then
 * tg_mat_mult_s8_dsp_buffer_size(K, out_c) bytes); tinygen.kernels.table sizes it.
 *
 * Executed instructions per MAC (benchmarks/lowbit_kernels.py --rows s8_s8_b1), M7 / M4
 * stand-ins: 3x3 conv 3->32 on 16x16 1.92 / 1.94 (sums through scratch: 2.29; portable
 * tg_conv2d_s8_s8_b1: 16.7; tg_conv2d_s8_dsp with requantized int8 output: 2.66); 3x3
 * conv 1->32 on 8x8 (examples/switchable/sp_digits.py's w1a1 first layer) 3.94 / 3.97
 * (before: 4.20).
 */
#include "tg_conv2d_b1.h"
#include "tg_conv2d_s8_dsp.h"
#include "tg_kernels_b1.h"

/*
 * The packed output bits of rows (1 or 2) pixels from their sums acc[2 * o + r]
 * (tg_mat_mult_sums), pixel r at output + r * TG_B1_WORDS(out_c); the bits beyond out_c
 * in the last word are 0.
 */
static inline __attribute__((always_inline)) void tg_s8_s8_b1_bits(const int32_t *acc, int32_t rows,
                                                                   int32_t out_c, const int32_t *thresholds,
                                                                   uint32_t *output)
{
    const int32_t words = TG_B1_WORDS(out_c);
    int32_t o0, o;
    for (o0 = 0; o0 < out_c; o0 += 32) {
        const int32_t end = out_c - o0 < 32 ? out_c : o0 + 32;
        uint32_t word0 = 0u, word1 = 0u, bit = 1u;
        for (o = o0; o < end; ++o, bit <<= 1) {
            const int32_t t = thresholds[o];
            word0 |= acc[2 * o] < t ? bit : 0u;
            word1 |= acc[2 * o + 1] < t ? bit : 0u;     /* unused for rows == 1 */
        }
        output[o0 / 32] = word0;
        if (rows == 2) {
            output[words + o0 / 32] = word1;
        }
    }
}

/*
 * The pair path (tg_mat_mult_pairs_s8_dsp.h): both fields widened doubled (SXTAB16,
 * SADD16), the sums of 2 pixels x 2 channels kept in registers through the steps (16
 * instructions per 16 multiply-accumulates), then the 4 threshold bits straight into the
 * two pixels' output words (acc < t with acc = a2 >> 1 exactly; one compare and one
 * conditional OR per bit): no int32 sums stored and read back. depth >= 4, and
 * 2 |acc| < 2^31 (tg_s8_s8_b1_pairs_fit). Called with a literal depth for the common
 * fields, so that the steps unroll.
 */
static inline __attribute__((always_inline)) void tg_s8_s8_b1_pairs(const int16_t *buf, int32_t depth,
                                                                    int32_t out_c, const int8_t *weights,
                                                                    const int32_t *thresholds, uint32_t *out0,
                                                                    uint32_t *out1)
{
    const int32_t trips = depth >> 2;
    const int8_t *w = weights;
    int32_t o0, o;

    for (o0 = 0; o0 < out_c; o0 += 32) {
        const int32_t end = out_c - o0 < 32 ? out_c : o0 + 32;
        uint32_t word0 = 0u, word1 = 0u, bit = 1u;
        for (o = o0; o + 2 <= end; o += 2, bit <<= 2) {
            const int32_t *xp = (const int32_t *)__builtin_assume_aligned(buf, 8);
            const int32_t t0 = thresholds[o], t1 = thresholds[o + 1];
            tg_pairs_acc_t a = {0, 0, 0, 0};
            int32_t k;
#pragma GCC unroll 8
            for (k = 0; k < trips; ++k) {
                tg_pairs_step_s8(&xp, &w, depth, &a);
            }
            if ((depth & 3) != 0) {
                tg_pairs_tail_s8(&xp, &w, depth, &a);
            }
            w += 2 * depth - (depth & ~3);
            word0 |= (a.a00 >> 1) < t0 ? bit : 0u;
            word1 |= (a.a10 >> 1) < t0 ? bit : 0u;
            word0 |= (a.a01 >> 1) < t1 ? bit << 1 : 0u;
            word1 |= (a.a11 >> 1) < t1 ? bit << 1 : 0u;
        }
        if (o < end) {                  /* the odd last channel */
            int32_t a[2] = {0, 0};
            tg_pairs_one_channel(buf, depth, w, a);
            word0 |= (a[0] >> 1) < thresholds[o] ? bit : 0u;
            word1 |= (a[1] >> 1) < thresholds[o] ? bit : 0u;
        }
        *out0++ = word0;
        *out1++ = word1;
    }
}

/* tg_s8_s8_b1_pairs of the two fields col0, col1 widened into buf, depth a literal where common. */
static inline __attribute__((always_inline)) void tg_s8_s8_b1_pair_rows(const tg_conv2d_params_t *p,
                                                                        const int8_t *col0, const int8_t *col1,
                                                                        const int8_t *weights,
                                                                        const int32_t *thresholds, int16_t *buf,
                                                                        uint32_t *output)
{
    const int32_t depth = p->kernel_h * p->kernel_w * p->in_c, words = TG_B1_WORDS(p->out_c);
    tg_widen_rows_doubled_s8(col0, col1, col1, 2, depth, p->input_offset, buf);
    if (depth == 9) {           /* 3x3, one channel */
        tg_s8_s8_b1_pairs(buf, 9, p->out_c, weights, thresholds, output, output + words);
    } else if (depth == 27) {   /* 3x3, three channels */
        tg_s8_s8_b1_pairs(buf, 27, p->out_c, weights, thresholds, output, output + words);
    } else {
        tg_s8_s8_b1_pairs(buf, depth, p->out_c, weights, thresholds, output, output + words);
    }
}

/* Whether the pair path serves the layer: depth >= 4, doubled sums within int32. */
static inline int tg_s8_s8_b1_pairs_fit(int32_t depth)
{
    return depth >= 4 && depth < (1 << 30) / (255 * 128);
}

/* The sums of the receptive fields col0 (and col1 for rows == 2) into acc, then their bits. */
static inline __attribute__((always_inline)) void tg_s8_s8_b1_rows(
    const tg_conv2d_params_t *p, const int8_t *col0, const int8_t *col1, int32_t rows, const int8_t *weights,
    const int32_t *thresholds, int16_t *buf, uint32_t *output)
{
    const int32_t depth = p->kernel_h * p->kernel_w * p->in_c;
    int32_t *const acc = (int32_t *)(void *)(buf + 2 * ((depth + 3) & ~3));
    tg_widen_rows_s8(col0, col1, rows, depth, p->input_offset, buf);
    tg_mat_mult_sums(buf, rows, depth, p->out_c, weights, NULL, acc);
    tg_s8_s8_b1_bits(acc, rows, p->out_c, thresholds, output);
}

void tg_conv2d_s8_s8_b1_dsp(const tg_conv2d_params_t *p, const int8_t *input, const int8_t *weights,
                            const int32_t *thresholds, int8_t *scratch, uint32_t *output)
{
    const int32_t depth = p->kernel_h * p->kernel_w * p->in_c;
    const int32_t pixels = p->out_h * p->out_w;
    const int32_t words = TG_B1_WORDS(p->out_c);
    const int pairs = tg_s8_s8_b1_pairs_fit(depth);
    int8_t *const col0 = scratch, *const col1 = scratch + depth;
    int16_t *const buf = (int16_t *)(void *)(scratch + tg_conv2d_s8_dsp_im2col_size(depth));
    int32_t oy = 0, ox = 0;     /* output pixel of the block's first row */
    int32_t n;

    for (n = 0; n + 2 <= pixels; n += 2) {
        tg_conv2d_s8_dsp_im2col_any(p, input, oy, ox, col0);
        if (++ox == p->out_w) {
            ox = 0;
            ++oy;
        }
        tg_conv2d_s8_dsp_im2col_any(p, input, oy, ox, col1);
        if (++ox == p->out_w) {
            ox = 0;
            ++oy;
        }
        if (pairs) {
            tg_s8_s8_b1_pair_rows(p, col0, col1, weights, thresholds, buf, &output[n * words]);
        } else {
            tg_s8_s8_b1_rows(p, col0, col1, 2, weights, thresholds, buf, &output[n * words]);
        }
    }
    if (n < pixels) {           /* the last pixel of an odd count */
        tg_conv2d_s8_dsp_im2col_any(p, input, oy, ox, col0);
        tg_s8_s8_b1_rows(p, col0, col0, 1, weights, thresholds, buf, &output[n * words]);
    }
}
