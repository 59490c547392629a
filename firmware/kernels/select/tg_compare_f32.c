/*
 * tg_compare_f32: TFLite EQUAL .. GREATER_EQUAL of float32 operands, broadcast (a NaN
 * compares unequal to everything, as in C++).
 * numpy twin: tinygen.ref.select.compare_f32.
 */
#include "tg_kernels_select.h"

void tg_compare_f32(const tg_compare_params_t *p, const float *a, const float *b, uint8_t *output)
{
    const int32_t *const strides[2] = {p->a_stride, p->b_stride};
    int32_t index[TG_WALK_RANK] = {0}, offsets[2] = {0, 0};
    int32_t i;

    for (i = 0; i < p->size; ++i) {
        const float va = a[offsets[0]], vb = b[offsets[1]];
        output[i] = tg_cmp_result(p->fn, va < vb, va == vb, va > vb);
        tg_walk_next(p->dims, index, 2, strides, offsets);
    }
}
