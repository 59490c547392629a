/*
 * tg_svdf_s8: portable int8 SVDF with an int16 activation state, TFLite Micro's
 * EvalIntegerSvdfReference (tg_kernels_recurrent.h): the state moves one place down, each
 * filter's newest entry is its feature product on the state's grid, each unit the sum of its
 * rank filters' time products, requantized. numpy twin: tinygen.ref.recurrent.svdf_s8.
 */
#include <string.h>

#include "tg_kernels_recurrent.h"

void tg_svdf_s8(const tg_svdf_params_t *p, const int8_t *input, const int8_t *weights_feature,
                const int16_t *weights_time, const int32_t *bias, int8_t *state, int8_t *output)
{
    const int32_t filters = p->filters, memory = p->memory, in = p->input_size;
    const int32_t total = p->batches * filters * memory;
    int16_t *s = (int16_t *)(void *)state;
    int32_t b, f, u, r, m;

    if (total > 1) {
        memmove(s, s + 1, (size_t)(total - 1) * sizeof(int16_t));
    }
    for (b = 0; b < p->batches; ++b) {
        const int8_t *x = input + b * in;
        for (f = 0; f < filters; ++f) {
            s[(b * filters + f) * memory + memory - 1] =
                (int16_t)(p->state_zero_point + tg_sat16(tg_svdf_feature(p, x, weights_feature + f * in)));
        }
        for (u = 0; u < p->units; ++u) {
            int32_t acc = bias != NULL ? bias[u] : 0;
            for (r = 0; r < p->rank; ++r) {
                f = u * p->rank + r;
                {
                    const int16_t *wt = weights_time + f * memory;
                    const int16_t *sf = s + (b * filters + f) * memory;
                    for (m = 0; m < memory; ++m) {
                        acc += (int32_t)wt[m] * ((int32_t)sf[m] - p->state_zero_point);
                    }
                }
            }
            acc = tg_requantize(acc, p->mult2, p->shift2) + p->output_zero_point;
            output[b * p->units + u] = (int8_t)(acc > INT8_MAX ? INT8_MAX : (acc < INT8_MIN ? INT8_MIN : acc));
        }
    }
}
