/*
 * The walk of the float32 elementwise math kernels (tg_abs_f32, tg_exp_f32, ...): every element
 * through the kernel's function (inlined: the walk is always_inline and the function a constant).
 * May run in place.
 */
#ifndef TG_MAP_F32_H
#define TG_MAP_F32_H

#include <stdint.h>

#include "tg_kernels_math.h"

typedef float (*tg_map_f32_fn)(float x);

static inline __attribute__((always_inline)) void tg_map_f32(const tg_size_f32_params_t *p, const float *input,
                                                              float *output, tg_map_f32_fn fn)
{
    int32_t i;

    for (i = 0; i < p->size; ++i) {
        output[i] = fn(input[i]);
    }
}

#endif /* TG_MAP_F32_H */
