/*
 * tg_strided_slice_s32: TFLite STRIDED_SLICE on plain int32 tensors: output element
 * (i0, i1, i2, i3) copies input element offset + sum_k i_k * step[k] (tg_strided_slice_s8's
 * parameters, in elements), output elements in order. numpy twin:
 * tinygen.ref.plain.strided_slice_s32.
 */
#include "tg_kernels_plain.h"

void tg_strided_slice_s32(const tg_strided_slice_params_t *p, const int32_t *input, int32_t *output)
{
    const int32_t *n = p->out_shape;
    const int32_t total = n[0] * n[1] * n[2] * n[3];
    int32_t i;

    for (i = 0; i < total; ++i) {
        const int32_t i3 = i % n[3], i2 = i / n[3] % n[2], i1 = i / (n[3] * n[2]) % n[1];
        const int32_t i0 = i / (n[3] * n[2] * n[1]);
        output[i] = input[p->offset + i0 * p->step[0] + i1 * p->step[1] + i2 * p->step[2] + i3 * p->step[3]];
    }
}
