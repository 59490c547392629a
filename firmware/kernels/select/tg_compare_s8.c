/*
 * tg_compare_s8: TFLite EQUAL .. GREATER_EQUAL of int8 operands as TFLite Micro's
 * ComparisonWithScaling computes them: each operand less its zero point, shifted left by
 * left_shift (8) and multiplied by its scale as a multiplier below one, then compared; broadcast.
 * numpy twin: tinygen.ref.select.compare_s8.
 */
#include "tg_kernels_select.h"
#include "tg_requant.h"

void tg_compare_s8(const tg_compare_s8_params_t *p, const int8_t *a, const int8_t *b, uint8_t *output)
{
    const int32_t *const strides[2] = {p->a_stride, p->b_stride};
    int32_t index[TG_WALK_RANK] = {0}, offsets[2] = {0, 0};
    int32_t i;

    for (i = 0; i < p->size; ++i) {
        const int32_t va = tg_requantize_smaller_than_one_exp((a[offsets[0]] + p->a_offset) * (1 << p->left_shift),
                                                              p->a_multiplier, p->a_shift);
        const int32_t vb = tg_requantize_smaller_than_one_exp((b[offsets[1]] + p->b_offset) * (1 << p->left_shift),
                                                              p->b_multiplier, p->b_shift);
        output[i] = tg_cmp_result(p->fn, va < vb, va == vb, va > vb);
        tg_walk_next(p->dims, index, 2, strides, offsets);
    }
}
