/*
 * tg_pool2d_rv32.h: the pooling window's in-bounds span, shared by tg_avg_pool2d_s8_rv32
 * and tg_max_pool2d_s8_rv32 (computed once per output row or pixel).
 */
#ifndef TG_POOL2D_RV32_H
#define TG_POOL2D_RV32_H

#include <stdint.h>

/* Along one axis: the window positions [*start, *end) that fall inside the input, for a
 * window of k positions starting at input index origin (negative under padding) over an
 * input of size positions. *end <= *start when none does. */
static inline void tg_pool_span(int32_t origin, int32_t size, int32_t k, int32_t *start, int32_t *end)
{
    *start = origin < 0 ? -origin : 0;
    *end = size - origin < k ? size - origin : k;
}

#endif /* TG_POOL2D_RV32_H */
