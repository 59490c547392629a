/*
 * The broadcasting walk of the float32 binary kernels (tg_add_f32, tg_sub_f32, tg_mul_f32,
 * tg_squared_difference_f32, tg_prelu_f32): the output as the rank-4 shape of
 * tg_binary_f32_params_t, each operand read through its strides, every element the kernel's
 * operation (inlined: the walk is always_inline and the function a constant), then the
 * clamp where `clamp` is set (TFLite's ADD, SUB, MUL, DIV clamp; SQUARED_DIFFERENCE and PRELU
 * do not, so an infinity stays one).
 */
#ifndef TG_BROADCAST_PAIR_F32_H
#define TG_BROADCAST_PAIR_F32_H

#include <stdint.h>

#include "tg_kernels.h"

typedef float (*tg_pair_f32_fn)(float a, float b);

static inline __attribute__((always_inline)) void tg_broadcast_pair_f32(const tg_binary_f32_params_t *p,
                                                                         const float *input1, const float *input2,
                                                                         float *output, tg_pair_f32_fn element,
                                                                         int clamp)
{
    const int32_t *s1 = p->input1_strides;
    const int32_t *s2 = p->input2_strides;
    int32_t i0, i1, i2, i3;

    for (i0 = 0; i0 < p->shape[0]; ++i0) {
        for (i1 = 0; i1 < p->shape[1]; ++i1) {
            for (i2 = 0; i2 < p->shape[2]; ++i2) {
                const float *a = input1 + i0 * s1[0] + i1 * s1[1] + i2 * s1[2];
                const float *b = input2 + i0 * s2[0] + i1 * s2[1] + i2 * s2[2];
                for (i3 = 0; i3 < p->shape[3]; ++i3) {
                    const float value = element(a[i3 * s1[3]], b[i3 * s2[3]]);
                    *output++ = clamp ? tg_clamp_value_f32(value, p->act_min, p->act_max) : value;
                }
            }
        }
    }
}

#endif /* TG_BROADCAST_PAIR_F32_H */
