/*
 * The walk of the float32 reductions that select one element along an axis (tg_reduce_max_f32,
 * tg_reduce_min_f32, tg_arg_max_f32_s32, tg_arg_min_f32_s32): for every output element
 * [outer][inner], the axis' values in order, each taken where it is `better` than the best so
 * far (strictly: ties and NaN keep the earlier one). The reductions start from `start` (TFLite's
 * -FLT_MAX / FLT_MAX: every value is compared, so an axis of -inf reduces to -FLT_MAX as in TFLite
 * Micro), the arg ones from the first value (TFLite's ArgMinMax); the kernel takes the value
 * (values != NULL) or its index (indices). Inlined: the walk is always_inline and the
 * comparison a constant.
 */
#ifndef TG_AXIS_SELECT_F32_H
#define TG_AXIS_SELECT_F32_H

#include <stddef.h>
#include <stdint.h>

#include "tg_kernels_math.h"

typedef int32_t (*tg_axis_better_f32_fn)(float candidate, float best);

static inline __attribute__((always_inline)) void tg_axis_select_f32(const tg_axis_params_t *p, const float *input,
                                                                      const float *start, float *values,
                                                                      int32_t *indices, tg_axis_better_f32_fn better)
{
    const int32_t outer = p->outer, size = p->size, inner = p->inner;
    int32_t o, i, k;

    for (o = 0; o < outer; ++o) {
        const float *row = input + o * size * inner;
        for (i = 0; i < inner; ++i) {
            float best = start != NULL ? *start : row[i];
            int32_t at = 0;
            for (k = start != NULL ? 0 : 1; k < size; ++k) {
                const float v = row[k * inner + i];
                if (better(v, best)) {
                    best = v;
                    at = k;
                }
            }
            if (values != NULL) {
                *values++ = best;
            } else {
                *indices++ = at;
            }
        }
    }
}

static inline int32_t tg_axis_greater_f32(float candidate, float best)
{
    return candidate > best;
}

static inline int32_t tg_axis_less_f32(float candidate, float best)
{
    return candidate < best;
}

#endif /* TG_AXIS_SELECT_F32_H */
