/*
 * tg_batch_matmul_f32: batch matrix product on float32 (TFLite Micro's BATCH_MATMUL on float,
 * reference_ops::BatchMatMul): for each batch, out[i][j] = sum_k lhs[i][k] * rhs[k][j], the
 * products summed in order of k from 0, no clamp; the operands read through
 * tg_batch_matmul_params_t's strides (its quantization fields unused), the output contiguous
 * [batches][rows][cols]. Not in place.
 * numpy twin: tinygen.ref.float32_mac.batch_matmul_f32.
 */
#include "tg_batch_matmul_s8.h"
#include "tg_kernels.h"

void tg_batch_matmul_f32(const tg_batch_matmul_params_t *p, const float *lhs, const float *rhs, float *output)
{
    const int32_t batches = tg_batch_matmul_batches(p);
    int32_t n, i, j, k;

    for (n = 0; n < batches; ++n) {
        const float *a = lhs + tg_batch_matmul_offset(p, n, p->lhs_batch_strides);
        const float *b = rhs + tg_batch_matmul_offset(p, n, p->rhs_batch_strides);
        for (i = 0; i < p->rows; ++i) {
            const float *row = a + i * p->lhs_row_stride;
            for (j = 0; j < p->cols; ++j) {
                const float *col = b + j * p->rhs_col_stride;
                float total = 0.0f;
                for (k = 0; k < p->depth; ++k) {
                    total += row[k * p->lhs_depth_stride] * col[k * p->rhs_depth_stride];
                }
                *output++ = total;
            }
        }
    }
}
