/*
 * tg_reduce_f32: MEAN and SUM over one (collapsed) run of axes on float32 (TFLite reference
 * Mean / ReduceGeneric on float): per output, the reduced elements summed in the input's order
 * from 0, then for MEAN divided by their count. Input [outer][reduce][inner].
 * numpy twin: tinygen.ref.float32_more.reduce_f32.
 */
#include "tg_kernels.h"

void tg_reduce_f32(const tg_reduce_f32_params_t *p, const float *input, float *output)
{
    int32_t o, r, i;

    for (o = 0; o < p->outer; ++o) {
        const float *slab = input + o * p->reduce * p->inner;
        for (i = 0; i < p->inner; ++i) {
            float sum = 0.0f;
            for (r = 0; r < p->reduce; ++r) {
                sum += slab[r * p->inner + i];
            }
            *output++ = p->mean ? sum / (float)p->reduce : sum;
        }
    }
}
