/*
 * The walk of the int8 reductions that select one element along an axis (tg_reduce_max_s8,
 * tg_reduce_min_s8, tg_arg_max_s8_s32, tg_arg_min_s8_s32): for every output element
 * [outer][inner], the axis' values in order, the first one for which no later one is
 * `better` (a strict comparison: ties keep the lowest index, as TFLite's ArgMinMax). The
 * kernel takes the value (values != NULL) or its index (indices). Inlined: the walk is
 * always_inline and the comparison a constant.
 */
#ifndef TG_AXIS_SELECT_S8_H
#define TG_AXIS_SELECT_S8_H

#include <stddef.h>
#include <stdint.h>

#include "tg_kernels_math.h"

typedef int32_t (*tg_axis_better_fn)(int32_t candidate, int32_t best);

static inline __attribute__((always_inline)) void tg_axis_select_s8(const tg_axis_params_t *p, const int8_t *input,
                                                                     int8_t *values, int32_t *indices,
                                                                     tg_axis_better_fn better)
{
    const int32_t outer = p->outer, size = p->size, inner = p->inner;
    int32_t o, i, k;

    for (o = 0; o < outer; ++o) {
        const int8_t *row = input + o * size * inner;
        for (i = 0; i < inner; ++i) {
            int32_t best = row[i], at = 0;
            for (k = 1; k < size; ++k) {
                const int32_t v = row[k * inner + i];
                if (better(v, best)) {
                    best = v;
                    at = k;
                }
            }
            if (values != NULL) {
                *values++ = (int8_t)best;
            } else {
                *indices++ = at;
            }
        }
    }
}

static inline int32_t tg_axis_greater(int32_t candidate, int32_t best)
{
    return candidate > best;
}

static inline int32_t tg_axis_less(int32_t candidate, int32_t best)
{
    return candidate < best;
}

#endif /* TG_AXIS_SELECT_S8_H */
