/*
 * tg_cumsum_f32: running float32 sums along one axis (TFLite's reference CumSum on float): the
 * tensor as [outer][depth][inner]; for each (outer, inner) the values along depth, from the end
 * when reverse, added to a sum starting at 0.0f; each output the sum before its own value
 * (exclusive) or after it. May run in place.
 * numpy twin: tinygen.ref.mathops_f32.cumsum_f32.
 */
#include "tg_kernels_math.h"

void tg_cumsum_f32(const tg_cumsum_f32_params_t *p, const float *input, float *output)
{
    const int32_t depth = p->depth, inner = p->inner;
    const int32_t step = p->reverse ? -inner : inner;
    const int32_t first = p->reverse ? (depth - 1) * inner : 0;
    int32_t o, i, d;

    for (o = 0; o < p->outer; ++o) {
        for (i = 0; i < inner; ++i) {
            const int32_t base = o * depth * inner + i + first;
            float total = 0.0f;
            for (d = 0; d < depth; ++d) {
                const int32_t at = base + d * step;
                const float before = total;
                total += input[at];
                output[at] = p->exclusive ? before : total;
            }
        }
    }
}
