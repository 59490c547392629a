/*
 * tg_svdf_s8_dsp: tg_svdf_s8 for ARMv7E-M. The input is widened to int16 once; each filter's
 * feature product is SMLAD over its weights packed at build time as int16 pairs, the input zero
 * point folded into a per-filter constant (tinygen/kernels/recurrent_dsp.py, pack_svdf_dsp);
 * its time product SMLAD over the int16 weights and state, two memory positions per step, the
 * state's zero point folded likewise. The state moves as in tg_svdf_s8 (TFLite Micro's layout),
 * a word at a time.
 * numpy twin: tinygen.ref.recurrent.svdf_s8.
 */
#include <arm_acle.h>
#include <string.h>

#include "tg_dsp_s8.h"
#include "tg_kernels_recurrent.h"

/* two int16 values at p as one word (any alignment of 2 bytes) */
static inline int32_t tg_svdf_pair(const int16_t *p)
{
    int32_t v;
    memcpy(&v, p, sizeof v);
    return v;
}

/*
 * s[i] = s[i + 1] for i < n - 1 (the state one place down). Eight values per step: four word loads
 * from s + i + 1 (2 bytes past a word boundary: unaligned LDR, which ARMv7E-M performs) and four
 * aligned word stores, where a byte-wise memmove of the overlapping ranges moves a byte at a time.
 */
static void tg_svdf_shift_down(int16_t *s, int32_t n)
{
    int32_t i = 0;
    for (; i + 8 < n; i += 8) {
        int32_t v0, v1, v2, v3;
        memcpy(&v0, s + i + 1, sizeof v0);
        memcpy(&v1, s + i + 3, sizeof v1);
        memcpy(&v2, s + i + 5, sizeof v2);
        memcpy(&v3, s + i + 7, sizeof v3);
        memcpy(s + i, &v0, sizeof v0);
        memcpy(s + i + 2, &v1, sizeof v1);
        memcpy(s + i + 4, &v2, sizeof v2);
        memcpy(s + i + 6, &v3, sizeof v3);
    }
    for (; i < n - 1; ++i) {
        s[i] = s[i + 1];
    }
}

void tg_svdf_s8_dsp(const tg_svdf_params_t *p, const int8_t *input, const int16_t *weights_time,
                    const int32_t *bias, const int32_t *packed, int8_t *state, int8_t *scratch, int8_t *output)
{
    const int32_t filters = p->filters, memory = p->memory, in = p->input_size;
    const int32_t in2 = (in + 1) / 2, mem2 = memory / 2;
    const int32_t total = p->batches * filters * memory;
    int16_t *xw = (int16_t *)(void *)scratch;
    int16_t *s = (int16_t *)(void *)state;
    int32_t b, f, u, r, k;

    tg_svdf_shift_down(s, total);
    for (b = 0; b < p->batches; ++b) {
        const int32_t *xv = (const int32_t *)(const void *)xw;
        for (k = 0; k < in; ++k) {
            xw[k] = input[b * in + k];
        }
        xw[in] = 0;                                 /* the odd column's partner */
        for (f = 0; f < filters; ++f) {
            const int32_t *rec = packed + f * (2 + in2);
            const int32_t *w = rec + 2;
            int32_t acc = rec[0];
            for (k = 0; k < in2; ++k) {
                acc = __smlad(w[k], xv[k], acc);
            }
            s[(b * filters + f) * memory + memory - 1] =
                (int16_t)(p->state_zero_point + tg_dsp_ssat16(tg_requantize_fast(acc, p->mult1, p->shift1)));
        }
        for (u = 0; u < p->units; ++u) {
            int32_t acc = bias != NULL ? bias[u] : 0;
            for (r = 0; r < p->rank; ++r) {
                const int16_t *wt, *sf;
                f = u * p->rank + r;
                wt = weights_time + f * memory;
                sf = s + (b * filters + f) * memory;
                acc += packed[f * (2 + in2) + 1];
                for (k = 0; k < mem2; ++k) {
                    acc = __smlad(tg_svdf_pair(wt + 2 * k), tg_svdf_pair(sf + 2 * k), acc);
                }
                if (memory & 1) {
                    acc += (int32_t)wt[memory - 1] * sf[memory - 1];
                }
            }
            acc = tg_requantize_fast(acc, p->mult2, p->shift2) + p->output_zero_point;
            output[b * p->units + u] = (int8_t)tg_dsp_ssat8(acc);
        }
    }
}
