/*
 * The broadcasting walk of tg_sub_s8 and tg_squared_difference_s8: the output as the rank-4
 * shape of tg_add_broadcast_params_t, each operand read through its strides, every element
 * computed by the kernel's element function (inlined: the walk is always_inline and the
 * function a constant).
 */
#ifndef TG_BROADCAST_PAIR_S8_H
#define TG_BROADCAST_PAIR_S8_H

#include <stdint.h>

#include "tg_kernels.h"
#include "tg_requant.h"

typedef int32_t (*tg_pair_fn)(const tg_add_broadcast_params_t *p, int32_t a, int32_t b);

static inline __attribute__((always_inline)) void tg_broadcast_pair_s8(const tg_add_broadcast_params_t *p,
                                                                        const int8_t *input1, const int8_t *input2,
                                                                        int8_t *output, tg_pair_fn element)
{
    const int32_t *s1 = p->input1_strides;
    const int32_t *s2 = p->input2_strides;
    int32_t i0, i1, i2, i3;

    for (i0 = 0; i0 < p->shape[0]; ++i0) {
        for (i1 = 0; i1 < p->shape[1]; ++i1) {
            for (i2 = 0; i2 < p->shape[2]; ++i2) {
                const int8_t *a = input1 + i0 * s1[0] + i1 * s1[1] + i2 * s1[2];
                const int8_t *b = input2 + i0 * s2[0] + i1 * s2[1] + i2 * s2[2];
                for (i3 = 0; i3 < p->shape[3]; ++i3) {
                    int32_t out = element(p, a[i3 * s1[3]], b[i3 * s2[3]]);
                    out = out < p->act_min ? p->act_min : out;
                    out = out > p->act_max ? p->act_max : out;
                    *output++ = (int8_t)out;
                }
            }
        }
    }
}

/* Operand value x shifted left by left_shift and rescaled to the shared grid (TFLite's ADD,
 * SUB, SQUARED_DIFFERENCE); |x + offset| <= 255, so the shift (20 or 7) cannot overflow, nor
 * can an int16 operand's (|x| <= 32768, shifted by 15: tg_sub_s16). */
static inline int32_t tg_pair_scaled(int32_t x, int32_t offset, int32_t left_shift, int32_t multiplier,
                                     int32_t shift)
{
    return tg_requantize_smaller_than_one_exp((x + offset) * ((int32_t)1 << left_shift), multiplier, shift);
}

#endif /* TG_BROADCAST_PAIR_S8_H */
