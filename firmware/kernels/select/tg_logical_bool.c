/*
 * tg_logical_bool: TFLite LOGICAL_AND, LOGICAL_OR (two bool operands, broadcast) and LOGICAL_NOT
 * (one; b unused) on bool bytes.
 * numpy twin: tinygen.ref.select.logical_bool.
 */
#include "tg_kernels_select.h"

void tg_logical_bool(const tg_compare_params_t *p, const uint8_t *a, const uint8_t *b, uint8_t *output)
{
    const int32_t *const strides[2] = {p->a_stride, p->b_stride};
    int32_t index[TG_WALK_RANK] = {0}, offsets[2] = {0, 0};
    int32_t i;

    for (i = 0; i < p->size; ++i) {
        const int32_t va = a[offsets[0]] != 0;
        if (p->fn == TG_LOGICAL_NOT) {
            output[i] = (uint8_t)!va;
        } else {
            const int32_t vb = b[offsets[1]] != 0;
            output[i] = (uint8_t)(p->fn == TG_LOGICAL_AND ? (va && vb) : (va || vb));
        }
        tg_walk_next(p->dims, index, 2, strides, offsets);
    }
}
