/*
 * The batch walk shared by the batch matmul kernels (int8 and tg_batch_matmul_f32): the
 * output's batches in order, each operand's matrix found through its batch strides (0 where
 * it is broadcast).
 */
#ifndef TG_BATCH_MATMUL_S8_H
#define TG_BATCH_MATMUL_S8_H

#include <stdint.h>

#include "tg_kernels.h"

/* Output matrices: the product of the batch dims. */
static inline int32_t tg_batch_matmul_batches(const tg_batch_matmul_params_t *p)
{
    return p->batch_shape[0] * p->batch_shape[1] * p->batch_shape[2];
}

/* The element offset of an operand's matrix in output batch n (row-major over batch_shape),
   from that operand's batch strides. */
static inline int32_t tg_batch_matmul_offset(const tg_batch_matmul_params_t *p, int32_t n, const int32_t *strides)
{
    const int32_t i2 = n % p->batch_shape[2];
    const int32_t i1 = (n / p->batch_shape[2]) % p->batch_shape[1];
    const int32_t i0 = n / (p->batch_shape[2] * p->batch_shape[1]);
    return i0 * strides[0] + i1 * strides[1] + i2 * strides[2];
}

/* The lhs and rhs matrices of output batch n. */
static inline void tg_batch_matmul_operands(const tg_batch_matmul_params_t *p, int32_t n, const int8_t *lhs,
                                            const int8_t *rhs, const int8_t **a, const int8_t **b)
{
    *a = lhs + tg_batch_matmul_offset(p, n, p->lhs_batch_strides);
    *b = rhs + tg_batch_matmul_offset(p, n, p->rhs_batch_strides);
}

#endif /* TG_BATCH_MATMUL_S8_H */
