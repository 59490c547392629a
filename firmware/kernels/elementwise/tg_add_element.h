/*
 * One element of the portable ADD kernels (tg_add_s8, tg_add_s16; TFLite's
 * reference_integer_ops::AddFunc): both operands shifted left by left_shift (20 for int8, 15
 * for int16: |x + offset| <= 32768 stays within int32 either way), rescaled to a common
 * scale, summed, rescaled to the output, clamped to [act_min, act_max].
 */
#ifndef TG_ADD_ELEMENT_H
#define TG_ADD_ELEMENT_H

#include "tg_kernels.h"
#include "tg_requant.h"

static inline int32_t tg_add_element(const tg_add_params_t *p, int32_t a, int32_t b)
{
    const int32_t shifted1 = (a + p->input1_offset) * ((int32_t)1 << p->left_shift);
    const int32_t shifted2 = (b + p->input2_offset) * ((int32_t)1 << p->left_shift);
    const int32_t scaled1 = tg_requantize_smaller_than_one_exp(shifted1, p->input1_multiplier, p->input1_shift);
    const int32_t scaled2 = tg_requantize_smaller_than_one_exp(shifted2, p->input2_multiplier, p->input2_shift);
    int32_t out = tg_requantize_smaller_than_one_exp(scaled1 + scaled2, p->output_multiplier, p->output_shift) +
                  p->output_offset;
    out = out < p->act_min ? p->act_min : out;
    return out > p->act_max ? p->act_max : out;
}

#endif /* TG_ADD_ELEMENT_H */
