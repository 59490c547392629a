/*
 * tg_int_binary_s32: TFLite ADD, SUB, MUL, DIV, MINIMUM, MAXIMUM on plain int32 tensors (TFLite
 * Micro's reference_ops with int32 data): the operands element by element or one of them a
 * single value, the fused activation's clamp after. Sums, differences and products wrap modulo
 * 2^32 (TFLite's WrappingMul; its int32 + and - wrap on the targets); a quotient truncates
 * toward zero. numpy twin: tinygen.ref.plain.int_binary_s32.
 */
#include "tg_kernels_plain.h"

static int32_t tg_int_apply(int32_t fn, int32_t a, int32_t b)
{
    switch (fn) {
    case TG_INT_ADD:
        return (int32_t)((uint32_t)a + (uint32_t)b);
    case TG_INT_SUB:
        return (int32_t)((uint32_t)a - (uint32_t)b);
    case TG_INT_MUL:
        return (int32_t)((uint32_t)a * (uint32_t)b);
    case TG_INT_DIV:
        if (b == 0) {
            return 0;               /* Cortex-M's SDIV; undefined in C */
        }
        if (a == INT32_MIN && b == -1) {
            return INT32_MIN;       /* the quotient wraps, as SDIV's */
        }
        return a / b;
    case TG_INT_MIN:
        return a < b ? a : b;
    default:
        return a > b ? a : b;
    }
}

void tg_int_binary_s32(const tg_int_binary_params_t *p, const int32_t *x, const int32_t *y, int32_t *output)
{
    int32_t i;

    for (i = 0; i < p->size; ++i) {
        const int32_t a = x[i * p->x_step], b = y[i * p->y_step];
        int32_t v = p->swap ? tg_int_apply(p->fn, b, a) : tg_int_apply(p->fn, a, b);
        v = v < p->act_min ? p->act_min : v;
        output[i] = v > p->act_max ? p->act_max : v;
    }
}
