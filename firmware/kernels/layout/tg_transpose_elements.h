/*
 * tg_transpose_elements: the rank-4 transpose loop shared by tg_transpose_s8 and
 * tg_transpose_s16, on elements of `size` bytes. Each kernel passes its element size as a
 * constant, so the inlined copy is one load and one store of that width.
 * output[d0][d1][d2][d3] = input[...] with input index perm[k] = d_k.
 */
#ifndef TG_TRANSPOSE_ELEMENTS_H
#define TG_TRANSPOSE_ELEMENTS_H

#include <string.h>

#include "tg_kernels.h"

static inline void tg_transpose_elements(const tg_transpose_params_t *p, const uint8_t *input, uint8_t *output,
                                         size_t size)
{
    int32_t in_stride[4];
    int32_t out_shape[4];
    size_t step[4]; /* input stride of each output dimension, in bytes */
    int32_t d, i0, i1, i2;

    in_stride[3] = 1;
    for (d = 2; d >= 0; --d) {
        in_stride[d] = in_stride[d + 1] * p->in_shape[d + 1];
    }
    for (d = 0; d < 4; ++d) {
        out_shape[d] = p->in_shape[p->perm[d]];
        step[d] = (size_t)in_stride[p->perm[d]] * size;
    }

    for (i0 = 0; i0 < out_shape[0]; ++i0) {
        for (i1 = 0; i1 < out_shape[1]; ++i1) {
            for (i2 = 0; i2 < out_shape[2]; ++i2) {
                const uint8_t *src = input + (size_t)i0 * step[0] + (size_t)i1 * step[1] + (size_t)i2 * step[2];
                const uint8_t *end = output + (size_t)out_shape[3] * size;
                while (output != end) {
                    memcpy(output, src, size);
                    output += size;
                    src += step[3];
                }
            }
        }
    }
}

#endif /* TG_TRANSPOSE_ELEMENTS_H */
