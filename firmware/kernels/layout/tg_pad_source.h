/*
 * The mirror-padding walk shared by tg_mirror_pad_s8 and tg_mirror_pad_f32: tg_pad_source,
 * which input index an output index of one dimension copies, and tg_mirror_pad_elements, the
 * walk itself over elements of `size` bytes (always inlined with a constant size, so each
 * copy of one element is a plain load and store).
 */
#ifndef TG_PAD_SOURCE_H
#define TG_PAD_SOURCE_H

#include <stdint.h>
#include <string.h>

#include "tg_kernels.h"

/*
 * The input index output index i of one dimension copies: REFLECT and SYMMETRIC as
 * TFLite Micro's MIRROR_PAD (GetInputDimension with offset 1 and 0), REPLICATE the
 * nearest edge, CIRCULAR the other end. Within the padding limits of
 * tg_mirror_pad_params_t the result lies in [0, size).
 */
static inline int32_t tg_pad_source(int32_t i, int32_t before, int32_t size, int32_t mode)
{
    const int32_t inside = i - before;
    int32_t offset;

    if (inside >= 0 && inside < size) {
        return inside;
    }
    if (mode == TG_PAD_REPLICATE) {
        return inside < 0 ? 0 : size - 1;
    }
    if (mode == TG_PAD_CIRCULAR) {
        return inside < 0 ? inside + size : inside - size;
    }
    offset = mode == TG_PAD_REFLECT ? 1 : 0;
    if (inside < 0) {
        const int32_t left = before + offset - 1;
        const int32_t reach = left - offset;
        return left - (i < reach ? i : reach);
    }
    {
        const int32_t right = size - (1 + offset);
        const int32_t beyond = inside - size;
        return right - (beyond < right ? beyond : right);
    }
}

/* Every output position copies one input element, chosen per dimension by tg_pad_source; the
   unpadded middle of each output row is one run. */
static inline __attribute__((always_inline)) void tg_mirror_pad_elements(const tg_mirror_pad_params_t *p,
                                                                          const uint8_t *input, uint8_t *output,
                                                                          size_t size)
{
    const int32_t *in = p->in_shape;
    const int32_t *out = p->out_shape;
    const int32_t *before = p->pad_before;
    const int32_t mode = p->mode;
    const int32_t last_end = before[3] + in[3];
    int32_t o0, o1, o2, o3;

    for (o0 = 0; o0 < out[0]; ++o0) {
        const int32_t s0 = tg_pad_source(o0, before[0], in[0], mode);
        for (o1 = 0; o1 < out[1]; ++o1) {
            const int32_t s1 = tg_pad_source(o1, before[1], in[1], mode);
            for (o2 = 0; o2 < out[2]; ++o2) {
                const int32_t s2 = tg_pad_source(o2, before[2], in[2], mode);
                const uint8_t *row = input + (size_t)(((s0 * in[1] + s1) * in[2] + s2) * in[3]) * size;
                for (o3 = 0; o3 < before[3]; ++o3) {
                    memcpy(output, row + (size_t)tg_pad_source(o3, before[3], in[3], mode) * size, size);
                    output += size;
                }
                memcpy(output, row, (size_t)in[3] * size);
                output += (size_t)in[3] * size;
                for (o3 = last_end; o3 < out[3]; ++o3) {
                    memcpy(output, row + (size_t)tg_pad_source(o3, before[3], in[3], mode) * size, size);
                    output += size;
                }
            }
        }
    }
}

#endif /* TG_PAD_SOURCE_H */
