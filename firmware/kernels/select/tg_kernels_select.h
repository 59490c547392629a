/*
 * tg_kernels_select.h: comparisons and selection on bool tensors, as TFLite Micro's reference
 * kernels compute them: EQUAL, NOT_EQUAL, LESS, LESS_EQUAL, GREATER, GREATER_EQUAL (int8 rescaled
 * to a common grid, int32, float32; EQUAL / NOT_EQUAL of bools), LOGICAL_AND / OR / NOT and
 * SELECT_V2 (x where the condition holds, else y: the bytes themselves). A bool is one byte, 0 or
 * 1 (uint8_t). Operands broadcast as numpy's: the output walked in TG_WALK_RANK dimensions, each
 * operand read at the sum of index * stride, a stride 0 along a dimension it has one element of.
 * numpy twins: tinygen/ref/select.py (named like the kernel minus tg_).
 */
#ifndef TG_KERNELS_SELECT_H
#define TG_KERNELS_SELECT_H

#include <stdint.h>

#include "tg_kernels.h"

#ifdef __cplusplus
extern "C" {
#endif

#define TG_WALK_RANK 5

/* the comparisons (tinygen.ref.select.COMPARE_FNS) and logical functions (LOGICAL_FNS) */
enum { TG_CMP_EQ = 0, TG_CMP_NE = 1, TG_CMP_LT = 2, TG_CMP_LE = 3, TG_CMP_GT = 4, TG_CMP_GE = 5 };
enum { TG_LOGICAL_AND = 0, TG_LOGICAL_OR = 1, TG_LOGICAL_NOT = 2 };

typedef struct {
    int32_t size;                   /* output elements: the product of dims */
    int32_t fn;                     /* TG_CMP_* (TG_LOGICAL_* for tg_logical_bool) */
    int32_t dims[TG_WALK_RANK];     /* the output's shape, padded with leading 1s */
    int32_t a_stride[TG_WALK_RANK]; /* elements of a to step per index of each dimension (0: broadcast) */
    int32_t b_stride[TG_WALK_RANK];
} tg_compare_params_t;

typedef struct {
    int32_t size;
    int32_t fn;
    int32_t dims[TG_WALK_RANK];
    int32_t a_stride[TG_WALK_RANK];
    int32_t b_stride[TG_WALK_RANK];
    /* each int8 operand becomes ((x + offset) << left_shift) * multiplier / 2^31 / 2^-shift,
     * rounded (TFLite's MultiplyByQuantizedMultiplierSmallerThanOneExp; shift in [-31, 0]) */
    int32_t left_shift;
    int32_t a_offset;               /* minus a's zero point */
    int32_t a_multiplier;
    int32_t a_shift;
    int32_t b_offset;
    int32_t b_multiplier;
    int32_t b_shift;
} tg_compare_s8_params_t;

typedef struct {
    int32_t size;
    int32_t element_bytes;          /* bytes of one value of x, y and the output */
    int32_t dims[TG_WALK_RANK];
    int32_t cond_stride[TG_WALK_RANK];
    int32_t x_stride[TG_WALK_RANK];
    int32_t y_stride[TG_WALK_RANK];
} tg_select_params_t;

/*
 * One step of the output's index over dims (the last dimension fastest); offsets[k] follows it
 * for each of the n operands whose strides are strides[k].
 */
static inline void tg_walk_next(const int32_t *dims, int32_t *index, int32_t n, const int32_t *const *strides,
                                int32_t *offsets)
{
    int32_t d, k;

    for (d = TG_WALK_RANK - 1; d >= 0; --d) {
        ++index[d];
        for (k = 0; k < n; ++k) {
            offsets[k] += strides[k][d];
        }
        if (index[d] < dims[d]) {
            return;
        }
        for (k = 0; k < n; ++k) {
            offsets[k] -= strides[k][d] * dims[d];
        }
        index[d] = 0;
    }
}

/* TG_CMP_* as a bool byte, from whether a < b, a == b, a > b (all three 0 for a float NaN) */
static inline uint8_t tg_cmp_result(int32_t fn, int32_t lt, int32_t eq, int32_t gt)
{
    switch (fn) {
    case TG_CMP_EQ: return (uint8_t)eq;
    case TG_CMP_NE: return (uint8_t)!eq;
    case TG_CMP_LT: return (uint8_t)lt;
    case TG_CMP_LE: return (uint8_t)(lt || eq);
    case TG_CMP_GT: return (uint8_t)gt;
    default: return (uint8_t)(gt || eq);
    }
}

/* fn of a and b (int8, rescaled as the params say; int32; float32; bool as 0 / 1 bytes) -> bool bytes */
void tg_compare_s8(const tg_compare_s8_params_t *p, const int8_t *a, const int8_t *b, uint8_t *output);
void tg_compare_s32(const tg_compare_params_t *p, const int32_t *a, const int32_t *b, uint8_t *output);
void tg_compare_f32(const tg_compare_params_t *p, const float *a, const float *b, uint8_t *output);
void tg_compare_bool(const tg_compare_params_t *p, const uint8_t *a, const uint8_t *b, uint8_t *output);

/* a and b, a or b, not a (b unused, may be NULL) of bool bytes */
void tg_logical_bool(const tg_compare_params_t *p, const uint8_t *a, const uint8_t *b, uint8_t *output);

/* SELECT_V2: output = cond ? x : y, elementwise after broadcasting; each value's element_bytes
 * copied as they are (int8: 1, int16: 2, float32: 4) */
void tg_select(const tg_select_params_t *p, const uint8_t *cond, const void *x, const void *y, void *output);

#ifdef __cplusplus
}
#endif

#endif /* TG_KERNELS_SELECT_H */
