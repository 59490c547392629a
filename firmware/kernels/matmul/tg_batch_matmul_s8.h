/*
 * The batch walk shared by the batch matmul kernels: the output's batches in order, each
 * operand's matrix found through its batch strides (0 where it is broadcast).
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

/* Where the lhs and rhs matrices of output batch n start, in elements (row-major over batch_shape). */
static inline void tg_batch_matmul_offsets(const tg_batch_matmul_params_t *p, int32_t n, int32_t *a, int32_t *b)
{
    const int32_t i2 = n % p->batch_shape[2];
    const int32_t i1 = (n / p->batch_shape[2]) % p->batch_shape[1];
    const int32_t i0 = n / (p->batch_shape[2] * p->batch_shape[1]);
    *a = i0 * p->lhs_batch_strides[0] + i1 * p->lhs_batch_strides[1] + i2 * p->lhs_batch_strides[2];
    *b = i0 * p->rhs_batch_strides[0] + i1 * p->rhs_batch_strides[1] + i2 * p->rhs_batch_strides[2];
}

/* The lhs and rhs matrices of output batch n (int8). */
static inline void tg_batch_matmul_operands(const tg_batch_matmul_params_t *p, int32_t n, const int8_t *lhs,
                                            const int8_t *rhs, const int8_t **a, const int8_t **b)
{
    int32_t lhs_offset, rhs_offset;
    tg_batch_matmul_offsets(p, n, &lhs_offset, &rhs_offset);
    *a = lhs + lhs_offset;
    *b = rhs + rhs_offset;
}

#endif /* TG_BATCH_MATMUL_S8_H */
