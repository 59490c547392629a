/*
 * tg_gather: portable gather of rows of elements of any size (1, 2, 4 or 8 bytes): output
 * row (o, k) of [outer, count, inner] copies values row (o, r), r the row-major position
 * of the depth coordinates of index k in index_dims; a coordinate out of range gives a
 * row of zeros (TFLite Micro fails the inference there).
 * numpy twin: tinygen.ref.moves.gather.
 */
#include <string.h>

#include "tg_kernels_moves.h"

void tg_gather(const tg_gather_params_t *p, const void *values, const int32_t *indices, void *output)
{
    const size_t row_bytes = (size_t)p->inner * (size_t)p->elem_size;
    const uint8_t *in = (const uint8_t *)values;
    uint8_t *out = (uint8_t *)output;
    int32_t o, k, d;

    for (o = 0; o < p->outer; ++o) {
        for (k = 0; k < p->count; ++k) {
            const int32_t *coords = indices + k * p->depth;
            int32_t row = 0;
            int32_t inside = 1;
            for (d = 0; d < p->depth; ++d) {
                inside &= coords[d] >= 0 && coords[d] < p->index_dims[d];
                row = row * p->index_dims[d] + coords[d];
            }
            if (inside) {
                memcpy(out, in + ((size_t)o * (size_t)p->rows + (size_t)row) * row_bytes, row_bytes);
            } else {
                memset(out, 0, row_bytes);
            }
            out += row_bytes;
        }
    }
}
