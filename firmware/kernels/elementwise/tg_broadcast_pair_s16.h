/*
 * The broadcasting walk of the int16 binary kernels (tg_sub_s16, tg_mul_s16): tg_broadcast_pair_s8's
 * walk on int16 operands. The output is the rank-4 shape the kernel's parameters give (with
 * the operands' strides and the clamp: tg_add_broadcast_params_t's, tg_mul_params_t's), each
 * operand read through its strides, every element computed by the kernel's element function
 * on the parameters p (inlined: the walk is always_inline and the function a constant) and
 * clamped to [act_min, act_max].
 */
#ifndef TG_BROADCAST_PAIR_S16_H
#define TG_BROADCAST_PAIR_S16_H

#include <stdint.h>

typedef int32_t (*tg_pair_s16_fn)(const void *p, int32_t a, int32_t b);

static inline __attribute__((always_inline)) void tg_broadcast_pair_s16(
    const void *p, const int32_t *shape, const int32_t *s1, const int32_t *s2, int32_t act_min, int32_t act_max,
    const int16_t *input1, const int16_t *input2, int16_t *output, tg_pair_s16_fn element)
{
    int32_t i0, i1, i2, i3;

    for (i0 = 0; i0 < shape[0]; ++i0) {
        for (i1 = 0; i1 < shape[1]; ++i1) {
            for (i2 = 0; i2 < shape[2]; ++i2) {
                const int16_t *a = input1 + i0 * s1[0] + i1 * s1[1] + i2 * s1[2];
                const int16_t *b = input2 + i0 * s2[0] + i1 * s2[1] + i2 * s2[2];
                for (i3 = 0; i3 < shape[3]; ++i3) {
                    int32_t out = element(p, a[i3 * s1[3]], b[i3 * s2[3]]);
                    out = out < act_min ? act_min : out;
                    out = out > act_max ? act_max : out;
                    *output++ = (int16_t)out;
                }
            }
        }
    }
}

#endif /* TG_BROADCAST_PAIR_S16_H */
