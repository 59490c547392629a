/*
 * tg_strided_slice_s32: TFLite STRIDED_SLICE on plain int32 tensors: output element
 * (i0, i1, i2, i3) copies input element offset + sum_k i_k * step[k] (tg_strided_slice_s8's
 * parameters, in elements), output elements in order; rows of step 1 copied as one run.
 * numpy twin: tinygen.ref.plain.strided_slice_s32.
 */
#include <string.h>

#include "tg_kernels_plain.h"

void tg_strided_slice_s32(const tg_strided_slice_params_t *p, const int32_t *input, int32_t *output)
{
    const int32_t *n = p->out_shape, *step = p->step;
    const int32_t rows = n[0] * n[1] * n[2];
    int32_t r, i;

    for (r = 0; r < rows; ++r) {
        const int32_t i2 = r % n[2], i1 = r / n[2] % n[1], i0 = r / (n[2] * n[1]);
        const int32_t *src = input + p->offset + i0 * step[0] + i1 * step[1] + i2 * step[2];
        if (step[3] == 1) {
            memcpy(output, src, (size_t)n[3] * sizeof(int32_t));
        } else {
            for (i = 0; i < n[3]; ++i) {
                output[i] = src[i * step[3]];
            }
        }
        output += n[3];
    }
}
