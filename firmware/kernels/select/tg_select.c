/*
 * tg_select: TFLite SELECT_V2 (int8, int16, float32 values): x where cond holds, else y, after
 * broadcasting the three operands; each value's bytes copied as they are (no requantization, as
 * TFLite Micro's).
 * numpy twin: tinygen.ref.select.select.
 */
#include "tg_kernels_select.h"

void tg_select(const tg_select_params_t *p, const uint8_t *cond, const void *x, const void *y, void *output)
{
    const int32_t *const strides[3] = {p->cond_stride, p->x_stride, p->y_stride};
    const int32_t n = p->element_bytes;
    int32_t index[TG_WALK_RANK] = {0}, offsets[3] = {0, 0, 0};
    uint8_t *out = (uint8_t *)output;
    int32_t i, k;

    for (i = 0; i < p->size; ++i) {
        const uint8_t *from = cond[offsets[0]] ? (const uint8_t *)x + offsets[1] * n
                                               : (const uint8_t *)y + offsets[2] * n;
        for (k = 0; k < n; ++k) {
            out[i * n + k] = from[k];
        }
        tg_walk_next(p->dims, index, 3, strides, offsets);
    }
}
