/*
 * tg_cast: TFLite CAST between plain integer types (int8, int16, int32, uint32) and from
 * them to float32: TFLite Micro's static_cast, element by element. An integer result keeps
 * the value modulo 2^bits of its type (between int32 and uint32: the same bits, copied); a
 * float32 one is the value rounded to nearest.
 * numpy twin: tinygen.ref.plain.cast.
 */
#include <string.h>

#include "tg_kernels_plain.h"

/* element i of the input, exactly (every supported input type fits an int64) */
static int64_t tg_cast_load(int32_t type, const void *input, int32_t i)
{
    switch (type) {
    case TG_PLAIN_INT8:
        return ((const int8_t *)input)[i];
    case TG_PLAIN_INT16:
        return ((const int16_t *)input)[i];
    case TG_PLAIN_INT32:
        return ((const int32_t *)input)[i];
    default:
        return ((const uint32_t *)input)[i];
    }
}

void tg_cast(const tg_cast_params_t *p, const void *input, void *output)
{
    int32_t i;

    if ((p->from == TG_PLAIN_INT32 && p->to == TG_PLAIN_UINT32) ||
        (p->from == TG_PLAIN_UINT32 && p->to == TG_PLAIN_INT32)) {
        memmove(output, input, (size_t)p->size * sizeof(int32_t));     /* the same 32 bits */
        return;
    }
    for (i = 0; i < p->size; ++i) {
        const int64_t v = tg_cast_load(p->from, input, i);
        const uint32_t bits = (uint32_t)(uint64_t)v;        /* the low 32 bits, two's complement */
        switch (p->to) {
        case TG_PLAIN_INT8:
            ((int8_t *)output)[i] = (int8_t)(uint8_t)bits;
            break;
        case TG_PLAIN_INT16:
            ((int16_t *)output)[i] = (int16_t)(uint16_t)bits;
            break;
        case TG_PLAIN_INT32:
            ((int32_t *)output)[i] = (int32_t)bits;
            break;
        case TG_PLAIN_UINT32:
            ((uint32_t *)output)[i] = bits;
            break;
        default:                    /* float32: one rounding of the exact value */
            ((float *)output)[i] = (float)v;
            break;
        }
    }
}
