/*
 * tg_strided_slice_f32: strided slice of a float32 tensor (TFLite STRIDED_SLICE / SLICE;
 * tg_strided_slice_s8's parameters, in elements): output (i0, i1, i2, i3) copies
 * input[offset + sum_k i_k * step[k]]. Not in place.
 * numpy twin: tinygen.ref.float32_layout.strided_slice_f32.
 */
#include "tg_kernels.h"

void tg_strided_slice_f32(const tg_strided_slice_params_t *p, const float *input, float *output)
{
    const int32_t *n = p->out_shape;
    const int32_t *step = p->step;
    int32_t i0, i1, i2, i3;

    for (i0 = 0; i0 < n[0]; ++i0) {
        for (i1 = 0; i1 < n[1]; ++i1) {
            for (i2 = 0; i2 < n[2]; ++i2) {
                const float *src = input + p->offset + i0 * step[0] + i1 * step[1] + i2 * step[2];
                for (i3 = 0; i3 < n[3]; ++i3) {
                    *output++ = src[i3 * step[3]];
                }
            }
        }
    }
}
