/*
 * tg_strided_slice_s16: portable strided slice, int16 (TFLite STRIDED_SLICE on 16x8
 * models): output element (i0, i1, i2, i3) copies input element offset + i0 step[0] + i1
 * step[1] + i2 step[2] + i3 step[3], tg_strided_slice_s8's parameters in elements; a last
 * dimension of step 1 is copied as one run. numpy twin: tinygen.ref.int16.strided_slice_s16.
 */
#include <string.h>

#include "tg_kernels.h"

void tg_strided_slice_s16(const tg_strided_slice_params_t *p, const int16_t *input, int16_t *output)
{
    const int32_t *n = p->out_shape;
    const int32_t *step = p->step;
    int32_t i0, i1, i2, i3;

    for (i0 = 0; i0 < n[0]; ++i0) {
        for (i1 = 0; i1 < n[1]; ++i1) {
            for (i2 = 0; i2 < n[2]; ++i2) {
                const int16_t *src = input + p->offset + i0 * step[0] + i1 * step[1] + i2 * step[2];
                if (step[3] == 1) {
                    memcpy(output, src, (size_t)n[3] * sizeof(int16_t));
                    output += n[3];
                } else {
                    for (i3 = 0; i3 < n[3]; ++i3) {
                        *output++ = src[i3 * step[3]];
                    }
                }
            }
        }
    }
}
