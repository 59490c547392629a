/*
 * tg_dynamic_update_slice: portable DYNAMIC_UPDATE_SLICE on elements of any size (1, 2, 4
 * or 8 bytes): the operand copied to the output (unless they share the buffer), then the
 * update's rows written from the clamped start.
 * numpy twin: tinygen.ref.moves.dynamic_update_slice.
 */
#include <string.h>

#include "tg_kernels_moves.h"

void tg_dynamic_update_slice(const tg_dynamic_update_slice_params_t *p, const void *operand, const void *update,
                             const int32_t *start, void *output)
{
    const int32_t *n = p->shape;
    const int32_t *u = p->update_shape;
    const size_t size = (size_t)p->elem_size;
    const size_t total = (size_t)n[0] * (size_t)n[1] * (size_t)n[2] * (size_t)n[3] * size;
    const uint8_t *src = (const uint8_t *)update;
    uint8_t *out = (uint8_t *)output;
    int32_t at[TG_UPDATE_RANK];
    int32_t d, i0, i1, i2;

    if (output != operand) {
        memcpy(output, operand, total);
    }
    for (d = 0; d < TG_UPDATE_RANK; ++d) {
        const int32_t own = d - (TG_UPDATE_RANK - p->rank);
        int32_t s = own < 0 ? 0 : (start != NULL ? start[own] : p->start[d]);
        s = s < 0 ? 0 : s;
        at[d] = s > n[d] - u[d] ? n[d] - u[d] : s;
    }
    for (i0 = 0; i0 < u[0]; ++i0) {
        for (i1 = 0; i1 < u[1]; ++i1) {
            for (i2 = 0; i2 < u[2]; ++i2) {
                const int32_t row = (((at[0] + i0) * n[1] + at[1] + i1) * n[2] + at[2] + i2) * n[3] + at[3];
                memcpy(out + (size_t)row * size, src, (size_t)u[3] * size);
                src += (size_t)u[3] * size;
            }
        }
    }
}
