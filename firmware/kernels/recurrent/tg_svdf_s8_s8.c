/*
 * tg_svdf_s8_s8: portable int8 SVDF with int8 time weights and an int8 activation state,
 * TFLite Micro's EvalInt8SvdfReference (tg_kernels_recurrent.h): tg_svdf_s8's steps on a state
 * of one byte per entry whose grid has a zero point. The feature product is saturated to int8
 * and the zero point added after it, stored as int8 (it wraps there, as TFLite Micro's does).
 * numpy twin: tinygen.ref.recurrent.svdf_s8_s8.
 */
#include <string.h>

#include "tg_kernels_recurrent.h"

void tg_svdf_s8_s8(const tg_svdf_params_t *p, const int8_t *input, const int8_t *weights_feature,
                   const int8_t *weights_time, const int32_t *bias, int8_t *state, int8_t *output)
{
    const int32_t filters = p->filters, memory = p->memory, in = p->input_size;
    const int32_t total = p->batches * filters * memory;
    const int32_t zp = p->state_zero_point;
    int32_t b, f, u, r, m;

    if (total > 1) {
        memmove(state, state + 1, (size_t)(total - 1));
    }
    for (b = 0; b < p->batches; ++b) {
        const int8_t *x = input + b * in;
        for (f = 0; f < filters; ++f) {
            int32_t acc = tg_svdf_feature(p, x, weights_feature + f * in);
            acc = acc > INT8_MAX ? INT8_MAX : (acc < INT8_MIN ? INT8_MIN : acc);
            /* the low byte (two's complement), as TFLite Micro's conversion to int8_t */
            state[(b * filters + f) * memory + memory - 1] = (int8_t)(zp + acc);
        }
        for (u = 0; u < p->units; ++u) {
            int32_t acc = bias != NULL ? bias[u] : 0;
            for (r = 0; r < p->rank; ++r) {
                const int8_t *wt = weights_time + (u * p->rank + r) * memory;
                const int8_t *sf = state + (b * filters + u * p->rank + r) * memory;
                for (m = 0; m < memory; ++m) {
                    acc += (int32_t)wt[m] * ((int32_t)sf[m] - zp);
                }
            }
            acc = tg_requantize(acc, p->mult2, p->shift2) + p->output_zero_point;
            output[b * p->units + u] = (int8_t)(acc > INT8_MAX ? INT8_MAX : (acc < INT8_MIN ? INT8_MIN : acc));
        }
    }
}
