/*
 * tg_batch_matmul_s8: portable batch matrix product, int8 in/out (TFLite's int8
 * BATCH_MATMUL, reference_ops::BatchMatMul): for each batch,
 *   out[i][j] = MBQM(sum_k (lhs[i][k] + lhs_offset) * (rhs[j][k] + rhs_offset),
 *                    output_multiplier, output_shift) + output_offset, clamped,
 * each operand read through its strides (so rhs as [N][K] or [K][N], lhs as [M][K] or [K][M]).
 * Parameters: tinygen.kernels.params_attention. numpy twin: tinygen.ref.attention.batch_matmul_s8.
 */
#include "tg_batch_matmul_s8.h"
#include "tg_kernels.h"
#include "tg_requant.h"

void tg_batch_matmul_s8(const tg_batch_matmul_params_t *p, const int8_t *lhs, const int8_t *rhs, int8_t *output)
{
    const int32_t batches = tg_batch_matmul_batches(p);
    int32_t n, i, j, k;
    for (n = 0; n < batches; ++n) {
        const int8_t *a, *b;
        tg_batch_matmul_operands(p, n, lhs, rhs, &a, &b);
        for (i = 0; i < p->rows; ++i) {
            const int8_t *row = a + i * p->lhs_row_stride;
            for (j = 0; j < p->cols; ++j) {
                const int8_t *col = b + j * p->rhs_col_stride;
                int32_t acc = 0;
                for (k = 0; k < p->depth; ++k) {
                    acc += ((int32_t)row[k * p->lhs_depth_stride] + p->lhs_offset) *
                           ((int32_t)col[k * p->rhs_depth_stride] + p->rhs_offset);
                }
                acc = tg_requantize(acc, p->output_multiplier, p->output_shift) + p->output_offset;
                acc = acc < p->act_min ? p->act_min : acc;
                acc = acc > p->act_max ? p->act_max : acc;
                *output++ = (int8_t)acc;
            }
        }
    }
}
