/*
 * tg_fully_connected_shallow_s8_dsp's body: a fully connected layer of small depth
 * (in_features <= TG_FC_SHALLOW_MAX_DEPTH, e.g. a low-rank gate predictor's r -> out layer)
 * for ARMv7E-M. Equals tg_fully_connected_s8 bit for bit on the layers whose records serve
 * (tinygen/kernels/fc_shallow_dsp.py). numpy twin: tinygen.ref.kernels.fully_connected_s8.
 *
 * Per row, the input is widened once into registers: each 4 values x0..x3 as the int16
 * pairs 2 (x0 + input_offset), 2 (x2 + input_offset) and 2 (x1 ...), 2 (x3 ...) (SXTAB16,
 * SADD16 doubles them: |2 (x + offset)| <= 510), in the order SXTB16 splits a weight word.
 * Then per output one record, built at build time, holds everything the output needs:
 *   k = 2 bias, m = multiplier, r = (1 + 2 output_offset) 2^(n-1), n = -shift,
 *   then the output's weights as int16 pairs, per 4 weights w0..w3 the words (w0, w2), (w1, w3)
 *   (zero past depth),
 * so an output is its record's loads (one LDM at depth <= 4), 2 SMLAD per 4 weights from k, and
 * the folded requantization of the 3x3 depthwise path (tg_depthwise_conv2d_3x3_s8_dsp.h):
 *   y = SSAT8((SMMLAR(a, m, r) + (a >> 31)) >> n), a = 2 (accumulator + bias),
 * clamped to [act_min, act_max] where that is not the int8 range.
 *
 * Loop order: row by row, each row read whole before its outputs are written.
 * Needs __ARM_FEATURE_DSP (-mcpu=cortex-m4 / cortex-m7).
 */
#ifndef TG_FULLY_CONNECTED_SHALLOW_S8_DSP_H
#define TG_FULLY_CONNECTED_SHALLOW_S8_DSP_H

#include <arm_acle.h>
#include <stdint.h>

#include "tg_dsp_s8.h"
#include "tg_kernels.h"

#define TG_FC_SHALLOW_MAX_DEPTH 16
#define TG_FC_SHALLOW_HEAD 4        /* k, m, r, n before each record's weight words */

/*
 * A record of depth <= 4 (6 words) in one LDM, the pointer stepped past it, and its products
 * with the widened row: *a = k + the dot product, *m, *r, *n. The registers are named because
 * LDM loads them in ascending order.
 */
static inline __attribute__((always_inline)) void tg_fc_shallow_load1(const int32_t **rec, int32_t *a, int32_t *m,
                                                                      int32_t *r, int32_t *n, int32_t xa, int32_t xb)
{
    register int32_t k __asm__("r4"), m_ __asm__("r5"), r_ __asm__("r6"), n_ __asm__("r8");
    register int32_t wa __asm__("r9"), wb __asm__("r10");
    const int32_t *p = *rec;
    __asm__("ldmia %[p]!, {r4, r5, r6, r8, r9, r10}"
            : [p] "+r"(p), "=r"(k), "=r"(m_), "=r"(r_), "=r"(n_), "=r"(wa), "=r"(wb)
            : "m"(*(const int32_t(*)[6])p));
    k = __smlad(xa, wa, k);
    *a = __smlad(xb, wb, k);
    *rec = p;
    *m = m_;
    *r = r_;
    *n = n_;
}

/* One row's outputs, W = (depth + 3) / 4 weight words per record (a constant after inlining). */
static inline __attribute__((always_inline)) void tg_fc_shallow_row(const int8_t *x, int32_t depth, int32_t cols,
                                                                    int32_t input_offset, int32_t act_min,
                                                                    int32_t act_max, const int32_t *rec,
                                                                    int8_t *out)
{
    const int32_t words = (depth + 3) >> 2, step = TG_FC_SHALLOW_HEAD + 2 * words;
    const int32_t offset2 = (int32_t)(((uint32_t)input_offset & 0xFFFFu) * 0x00010001u);
    int32_t xa[TG_FC_SHALLOW_MAX_DEPTH / 4], xb[TG_FC_SHALLOW_MAX_DEPTH / 4];
    int32_t j, o;
    for (j = 0; j < words; ++j) {
        int32_t v;
        if (4 * j + 4 <= depth) {
            v = tg_dsp_load_s8x4(x + 4 * j);
        } else {    /* the last depth % 4 values, zeros after them (their weights are 0) */
            uint32_t u = 0;
            int32_t i;
            for (i = 4 * j; i < depth; ++i) {
                u |= (uint32_t)(uint8_t)x[i] << (8 * (i - 4 * j));
            }
            v = (int32_t)u;
        }
        xa[j] = __sadd16(__sxtab16(offset2, v), __sxtab16(offset2, v));
        xb[j] = __sadd16(tg_dsp_sxtab16_odd(offset2, v), tg_dsp_sxtab16_odd(offset2, v));
    }
#pragma GCC unroll 2
    for (o = 0; o < cols; ++o) {
        int32_t a, m, r, n, y;
        if (words == 1) {
            tg_fc_shallow_load1(&rec, &a, &m, &r, &n, xa[0], xb[0]);
        } else {
            a = rec[0];
            m = rec[1];
            r = rec[2];
            n = rec[3];
            for (j = 0; j < words; ++j) {
                a = __smlad(xa[j], rec[TG_FC_SHALLOW_HEAD + 2 * j], a);
                a = __smlad(xb[j], rec[TG_FC_SHALLOW_HEAD + 2 * j + 1], a);
            }
            rec += step;
        }
        /* arithmetic shifts of negative values: see tg_requant.h */
        y = tg_dsp_ssat8((tg_dsp_smmlar(a, m, r) + (a >> 31)) >> n);
        if (act_min != -128 || act_max != 127) {
            y = y < act_min ? act_min : y > act_max ? act_max : y;
        }
        out[o] = (int8_t)y;
    }
}

/*
 * input: int8 [rows][in_features], in_features in [1, TG_FC_SHALLOW_MAX_DEPTH]; packed: the
 * records, out_features x (TG_FC_SHALLOW_HEAD + 2 * ((in_features + 3) / 4)) int32;
 * output: int8 [rows][out_features], not overlapping the input.
 * `bounded` (the specialization's requantization verdict) is not used: the records'
 * requantization is exact wherever the build chose this kernel.
 */
static inline __attribute__((always_inline)) void tg_fully_connected_shallow_s8_dsp_inline(
    const tg_fully_connected_params_t *p, int32_t bounded, const int8_t *input, const int32_t *packed,
    int8_t *output)
{
    int32_t r;
    (void)bounded;
#pragma GCC unroll 1
    for (r = 0; r < p->rows; ++r) {
        tg_fc_shallow_row(&input[r * p->in_features], p->in_features, p->out_features, p->input_offset,
                          p->act_min, p->act_max, packed, &output[r * p->out_features]);
    }
}

#endif /* TG_FULLY_CONNECTED_SHALLOW_S8_DSP_H */
