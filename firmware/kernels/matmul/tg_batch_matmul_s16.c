/*
 * tg_batch_matmul_s16: portable batch matrix product, int16 in/out (TFLite Micro's 16x8
 * BATCH_MATMUL, reference_ops::BatchMatMul<int16_t, int64_t>): tg_batch_matmul_s8's walk and
 * parameters, the products summed in int64 and requantized by tg_requantize_s64 (TFLite's
 * MultiplyByQuantizedMultiplier for int64: the multiplier rounded to 16 bits), clamped to
 * act_min..act_max. numpy twin: tinygen.ref.int16.batch_matmul_s16.
 */
#include "tg_batch_matmul_s8.h"
#include "tg_kernels.h"
#include "tg_requant.h"

void tg_batch_matmul_s16(const tg_batch_matmul_params_t *p, const int16_t *lhs, const int16_t *rhs, int16_t *output)
{
    const int32_t batches = tg_batch_matmul_batches(p);
    int32_t n, i, j, k;
    for (n = 0; n < batches; ++n) {
        int32_t lhs_start, rhs_start;
        tg_batch_matmul_offsets(p, n, &lhs_start, &rhs_start);
        for (i = 0; i < p->rows; ++i) {
            const int16_t *row = lhs + lhs_start + i * p->lhs_row_stride;
            for (j = 0; j < p->cols; ++j) {
                const int16_t *col = rhs + rhs_start + j * p->rhs_col_stride;
                int64_t acc = 0;
                int32_t out;
                for (k = 0; k < p->depth; ++k) {
                    acc += (int64_t)((int32_t)row[k * p->lhs_depth_stride] + p->lhs_offset) *
                           ((int32_t)col[k * p->rhs_depth_stride] + p->rhs_offset);
                }
                out = tg_requantize_s64(acc, p->output_multiplier, p->output_shift) + p->output_offset;
                out = out < p->act_min ? p->act_min : out;
                out = out > p->act_max ? p->act_max : out;
                *output++ = (int16_t)out;
            }
        }
    }
}
