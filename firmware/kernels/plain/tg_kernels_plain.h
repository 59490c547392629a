/*
 * tg_kernels_plain.h: TFLite Micro's builtin operators on plain (unquantized) integer tensors,
 * as its reference kernels compute them: CAST between integer types and to float32, int32
 * ADD / SUB / MUL / DIV / MINIMUM / MAXIMUM (wrapping where C++'s int32 arithmetic wraps on
 * the targets), and the data movement of an int32 STRIDED_SLICE and of a CONCATENATION of one
 * int32 activation between constant pieces. What an audio front end exported as a model (TFLite
 * Micro's signal library) does between its signal operators.
 * numpy twins: tinygen/ref/plain.py (named like the kernel minus tg_).
 */
#ifndef TG_KERNELS_PLAIN_H
#define TG_KERNELS_PLAIN_H

#include <stdint.h>

#include "tg_kernels.h"

#ifdef __cplusplus
extern "C" {
#endif

/* element types of tg_cast (tinygen.ref.plain.CAST_TYPES) */
enum { TG_PLAIN_INT8 = 0, TG_PLAIN_INT16 = 1, TG_PLAIN_INT32 = 2, TG_PLAIN_UINT32 = 3, TG_PLAIN_FLOAT32 = 4 };

typedef struct {
    int32_t size;
    int32_t from;                   /* TG_PLAIN_*: the input's element type (an integer type) */
    int32_t to;                     /* the output's */
} tg_cast_params_t;

/* CAST: each element converted as C converts it: an integer kept modulo 2^bits of the output
 * type (two's complement), to float32 rounded to nearest. */
void tg_cast(const tg_cast_params_t *p, const void *input, void *output);

/* the functions of tg_int_binary_s32 (tinygen.ref.plain.INT_BINARY) */
enum { TG_INT_ADD = 0, TG_INT_SUB = 1, TG_INT_MUL = 2, TG_INT_DIV = 3, TG_INT_MIN = 4, TG_INT_MAX = 5 };

typedef struct {
    int32_t size;                   /* output elements */
    int32_t fn;                     /* TG_INT_* */
    int32_t x_step;                 /* 1: x has size elements; 0: x is one value for all */
    int32_t y_step;
    int32_t swap;                   /* 1: compute fn(y, x) (a constant first operand) */
    int32_t act_min;                /* the fused activation's clamp */
    int32_t act_max;
} tg_int_binary_params_t;

/* out[i] = clamp(fn(x[i], y[i])): +, -, * modulo 2^32; / truncating toward zero, 0 for a zero
 * divisor and INT32_MIN for INT32_MIN / -1 (what Cortex-M's SDIV gives; TFLite Micro's C++
 * leaves both undefined); min, max. */
void tg_int_binary_s32(const tg_int_binary_params_t *p, const int32_t *x, const int32_t *y, int32_t *output);

/* STRIDED_SLICE on int32: tg_strided_slice_s8's parameters, in elements. */
void tg_strided_slice_s32(const tg_strided_slice_params_t *p, const int32_t *input, int32_t *output);

typedef struct {
    int32_t outer;                  /* the axis's outer elements */
    int32_t before;                 /* elements of the constant piece before the input, per outer element */
    int32_t inner;                  /* the input's */
    int32_t after;                  /* the constant piece's after it */
} tg_concat_const_params_t;

/* CONCATENATION of an activation between constant pieces (NULL where absent): per outer
 * element, before values of `head`, inner of the input, after of `tail`. */
void tg_concat_const_s32(const tg_concat_const_params_t *p, const int32_t *input, const int32_t *head,
                         const int32_t *tail, int32_t *output);

#ifdef __cplusplus
}
#endif

#endif /* TG_KERNELS_PLAIN_H */
