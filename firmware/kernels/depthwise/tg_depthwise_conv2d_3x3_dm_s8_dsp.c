/*
 * tg_depthwise_conv2d_3x3_dm_s8_dsp: depthwise 2-D convolution with depth multiplier > 1,
 * 3x3 windows, dilation 1, stride_w 1 or 2, for ARMv7E-M (Cortex-M4/M7 DSP extension),
 * int8 in/out, per-channel requantization. Equals tg_depthwise_conv2d_s8 bit for bit on
 * the layers it serves (the 3x3 path's shape and constant conditions,
 * tinygen/kernels/depthwise_dsp.py, with depth multiplier > 1).
 * numpy twin: tinygen.ref.kernels.depthwise_conv2d_s8.
 *
 * Output channel oc = ic * depth_multiplier + m reads input channel ic: a depthwise
 * layer with multiplier M is the multiplier-1 layer over the input with each channel
 * repeated M times. So the 3x3 path of tg_depthwise_conv2d_s8_dsp
 * (tg_depthwise_conv2d_3x3_s8_dsp.h) runs unchanged over out_c channels (records
 * packed per output channel, TFLite's [1][3][3][out_c] weights being the multiplier-1
 * layout already) and only the widening of input rows into the ring differs: each
 * input channel's column-pair word is computed once and stored M times. The repeat
 * costs one store per ring word, against the 9 MACs each output takes from it.
 *
 * Scratch: the ring of 3 widened rows, depthwise_dsp.dw3_scratch bytes (out_c words
 * per column pair), 4-byte aligned. The output must not overlap the input (it holds
 * more channels per pixel than the input does).
 *
 * Needs __ARM_FEATURE_DSP (-mcpu=cortex-m4 / cortex-m7).
 */
#include <arm_acle.h>
#include <stdint.h>

#include "tg_depthwise_conv2d_3x3_s8_dsp.h"
#include "tg_dsp_s8.h"
#include "tg_kernels.h"

/* word stored m times from d on */
static inline __attribute__((always_inline)) void tg_dw3m_repeat(int32_t *d, int32_t word, int32_t m)
{
    int32_t i;
    for (i = 0; i < m; ++i) {
        d[i] = word;
    }
}

/*
 * One column pair of a ring row: x points at channel 0 of the pair's first input column
 * (j), lo / hi say whether columns j and j + 1 lie inside the input. 4 input channels at
 * a time as tg_dw3_gather_pair widens them (PKHBT / PKHTB, SXTAB16), each word repeated
 * m times; the channels after the last block of 4 one at a time.
 */
static inline __attribute__((always_inline)) void
tg_dw3m_pair(const int8_t *x, int32_t in_c, int32_t m, int32_t offset2, int32_t lo, int32_t hi, int32_t *d)
{
    const int32_t offset = (int16_t)offset2;
    const int32_t zero_point4 = (int32_t)((uint32_t)(-offset & 0xFF) * 0x01010101u);
    int32_t c;
    for (c = 0; c + 4 <= in_c; c += 4, d += 4 * m) {
        const int32_t va = lo ? tg_dsp_load_s8x4(x + c) : zero_point4;
        const int32_t vb = hi ? tg_dsp_load_s8x4(x + in_c + c) : zero_point4;
        const int32_t t01 = tg_dsp_pkhbt(va, vb), t23 = tg_dsp_pkhtb(vb, va);
        tg_dw3m_repeat(d, __sxtab16(offset2, t01), m);
        tg_dw3m_repeat(d + m, tg_dsp_sxtab16_odd(offset2, t01), m);
        tg_dw3m_repeat(d + 2 * m, __sxtab16(offset2, t23), m);
        tg_dw3m_repeat(d + 3 * m, tg_dsp_sxtab16_odd(offset2, t23), m);
    }
    for (; c < in_c; ++c, d += m) {
        const int32_t a = lo ? x[c] + offset : 0;
        const int32_t b = hi ? x[in_c + c] + offset : 0;
        tg_dw3m_repeat(d, (int32_t)(((uint32_t)a & 0xFFFFu) | ((uint32_t)b << 16)), m);
    }
}

/* One input row widened into a ring row, every channel repeated m times. */
static inline __attribute__((always_inline)) void
tg_dw3m_gather_m(const tg_conv2d_params_t *p, const int8_t *src, int32_t row_words, int32_t offset2, int32_t m,
                 int32_t *dst)
{
    const int32_t in_c = p->in_c, in_w = p->in_w, out_c = in_c * m;
    int32_t k;
    for (k = 0; k < row_words; ++k) {
        const int32_t j = 2 * k - p->pad_left;      /* the input column of the pair's first half */
        int32_t *const d = dst + k * out_c;
        if (j >= 0 && j + 1 < in_w) {
            tg_dw3m_pair(src + j * in_c, in_c, m, offset2, 1, 1, d);
        } else if (j + 1 == 0) {
            tg_dw3m_pair(src + j * in_c, in_c, m, offset2, 0, 1, d);
        } else if (j + 1 == in_w) {
            tg_dw3m_pair(src + j * in_c, in_c, m, offset2, 1, 0, d);
        }   /* else: wholly padding, zero from the start */
    }
}

/* tg_dw3_gather_fn: depth multiplier 2 (the common one) with constant loop bounds. */
static void tg_dw3m_gather(const tg_conv2d_params_t *p, const int8_t *src, int32_t row_words, int32_t offset2,
                           int32_t *dst)
{
    if (p->depth_multiplier == 2) {
        tg_dw3m_gather_m(p, src, row_words, offset2, 2, dst);
    } else {
        tg_dw3m_gather_m(p, src, row_words, offset2, p->depth_multiplier, dst);
    }
}

void tg_depthwise_conv2d_3x3_dm_s8_dsp(const tg_conv2d_params_t *p, const int8_t *input, const int32_t *packed,
                                       int8_t *scratch, int8_t *output)
{
    tg_dw3_run_with(p, input, packed + 1, scratch, output, tg_dw3m_gather);
}
