/*
 * tg_strided_copy: portable strided copy of elements of any size (1, 2, 4 or 8 bytes).
 * Output element (i0, ..., i5) of count[] copies input element offset + sum_d i_d step[d];
 * an innermost run of step 1 is copied as one block.
 * numpy twin: tinygen.ref.moves.strided_copy.
 */
#include <string.h>

#include "tg_kernels_moves.h"

/* n elements of `size` bytes from src, `stride` bytes apart, to consecutive places at dst */
static uint8_t *tg_copy_run(uint8_t *dst, const uint8_t *src, int32_t n, int32_t stride, int32_t size)
{
    int32_t i;

    if (stride == size) {
        memcpy(dst, src, (size_t)n * (size_t)size);
        return dst + n * size;
    }
    switch (size) {
    case 1:
        for (i = 0; i < n; ++i, src += stride) {
            *dst++ = *src;
        }
        break;
    case 2:
        for (i = 0; i < n; ++i, src += stride, dst += 2) {
            memcpy(dst, src, 2);
        }
        break;
    case 4:
        for (i = 0; i < n; ++i, src += stride, dst += 4) {
            memcpy(dst, src, 4);
        }
        break;
    default:
        for (i = 0; i < n; ++i, src += stride, dst += size) {
            memcpy(dst, src, (size_t)size);
        }
        break;
    }
    return dst;
}

void tg_strided_copy(const tg_strided_copy_params_t *p, const void *input, void *output)
{
    const int32_t size = p->elem_size;
    const int32_t *n = p->count;
    const int32_t *step = p->step;
    const uint8_t *in = (const uint8_t *)input + p->offset * size;
    uint8_t *out = (uint8_t *)output;
    int32_t i0, i1, i2, i3, i4;

    for (i0 = 0; i0 < n[0]; ++i0) {
        for (i1 = 0; i1 < n[1]; ++i1) {
            for (i2 = 0; i2 < n[2]; ++i2) {
                for (i3 = 0; i3 < n[3]; ++i3) {
                    for (i4 = 0; i4 < n[4]; ++i4) {
                        const int32_t at = i0 * step[0] + i1 * step[1] + i2 * step[2] + i3 * step[3] + i4 * step[4];
                        out = tg_copy_run(out, in + at * size, n[5], step[5] * size, size);
                    }
                }
            }
        }
    }
}
