/*
 * The element walks shared by the strided-slice and constant-padding kernels of every type
 * (tg_strided_slice_s8 / _s16 / _f32, tg_pad_s8 / _s16 / _f32), on elements of `size` bytes:
 * each kernel passes its element size as a constant, so the inlined copy of one element is
 * one load and one store of that width, and a run is one memcpy.
 */
#ifndef TG_SLICE_ELEMENTS_H
#define TG_SLICE_ELEMENTS_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "tg_kernels.h"

/* Output element (i0, i1, i2, i3) copies input element offset + sum_k i_k step[k] (steps in
   elements, any sign); a last dimension of step 1 is copied as one run. */
static inline __attribute__((always_inline)) void tg_strided_slice_elements(const tg_strided_slice_params_t *p,
                                                                             const uint8_t *input, uint8_t *output,
                                                                             size_t size)
{
    const int32_t *n = p->out_shape;
    const int32_t *step = p->step;
    int32_t i0, i1, i2, i3;

    for (i0 = 0; i0 < n[0]; ++i0) {
        for (i1 = 0; i1 < n[1]; ++i1) {
            for (i2 = 0; i2 < n[2]; ++i2) {
                const uint8_t *src = input + (ptrdiff_t)(p->offset + i0 * step[0] + i1 * step[1] + i2 * step[2])
                                                 * (ptrdiff_t)size;
                if (step[3] == 1) {
                    memcpy(output, src, (size_t)n[3] * size);
                    output += (size_t)n[3] * size;
                } else {
                    for (i3 = 0; i3 < n[3]; ++i3) {
                        memcpy(output, src + (ptrdiff_t)(i3 * step[3]) * (ptrdiff_t)size, size);
                        output += size;
                    }
                }
            }
        }
    }
}

/* Each input row (the last dimension, contiguous) copied to its place in the padded output,
   which the kernel has filled with its padding value: shapes and padding before of rank 4
   (tg_pad_params_t's, tg_pad_f32_params_t's). */
static inline __attribute__((always_inline)) void tg_pad_rows(const int32_t *in, const int32_t *out,
                                                               const int32_t *before, const uint8_t *input,
                                                               uint8_t *output, size_t size)
{
    int32_t i0, i1, i2;

    for (i0 = 0; i0 < in[0]; ++i0) {
        for (i1 = 0; i1 < in[1]; ++i1) {
            for (i2 = 0; i2 < in[2]; ++i2) {
                const int32_t row = ((i0 + before[0]) * out[1] + i1 + before[1]) * out[2] + i2 + before[2];
                memcpy(output + (size_t)(row * out[3] + before[3]) * size, input, (size_t)in[3] * size);
                input += (size_t)in[3] * size;
            }
        }
    }
}

#endif /* TG_SLICE_ELEMENTS_H */
