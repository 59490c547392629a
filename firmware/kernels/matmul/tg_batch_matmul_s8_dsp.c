/*
 * tg_batch_matmul_s8_dsp: tg_batch_matmul_s8 for ARMv7E-M (Cortex-M4/M7 DSP extension),
 * equal bit for bit. Per batch the rhs matrix is read as [cols][depth] int8 rows (in place
 * where its depth runs contiguous, TFLite's adj_y layout; else transposed into scratch once,
 * and not again for a broadcast rhs); per pair of output rows the two lhs rows are widened to
 * int16 with lhs_offset added (gathered first where the lhs is adjoint), and each pair of
 * output columns is the FC kernels' 2 x 2 SMLAD dot product (tg_dot_s16_s8_dsp.h) of those
 * rows with the raw rhs rows. The rhs offset enters once per row:
 *   sum_k (l + lo)(r + ro) = sum_k (l + lo) r + ro * sum_k (l + lo).
 * scratch: tg_batch_matmul_s8_dsp_buffer_size(p) bytes, 8-byte aligned. Not in place.
 * numpy twin: tinygen.ref.attention.batch_matmul_s8.
 */
#include <stddef.h>
#include <stdint.h>

#include "tg_batch_matmul_s8.h"
#include "tg_dot_s16_s8_dsp.h"
#include "tg_kernels.h"
#include "tg_requant.h"

/* The output's requantization, its constants in locals (an int8 store may alias *p). */
typedef struct {
    int32_t multiplier, shift, offset, act_min, act_max;
} requant_t;

static inline int8_t requant_s8(const requant_t *q, int32_t acc)
{
    acc = tg_requantize_fast(acc, q->multiplier, q->shift) + q->offset;
    acc = acc < q->act_min ? q->act_min : acc;
    acc = acc > q->act_max ? q->act_max : acc;
    return (int8_t)acc;
}

/* sum_k (x[k] + offset) over a row of int8 at element stride `stride`. */
static int32_t row_sum(const int8_t *x, int32_t depth, int32_t stride, int32_t offset)
{
    int32_t k, sum = depth * offset;
    for (k = 0; k < depth; ++k) {
        sum += x[k * stride];
    }
    return sum;
}

void tg_batch_matmul_s8_dsp(const tg_batch_matmul_params_t *p, const int8_t *lhs, const int8_t *rhs,
                            int8_t *scratch, int8_t *output)
{
    const int32_t depth = p->depth, rows = p->rows, cols = p->cols;
    const int32_t lhs_offset = p->lhs_offset, rhs_offset = p->rhs_offset, lhs_row_stride = p->lhs_row_stride;
    const requant_t q = {p->output_multiplier, p->output_shift, p->output_offset, p->act_min, p->act_max};
    int16_t *widened = (int16_t *)__builtin_assume_aligned(scratch, 8);
    int8_t *after = scratch + tg_batch_matmul_s8_dsp_widened_bytes(depth);
    int8_t *gathered = after;                                   /* two adjoint lhs rows */
    int8_t *transposed = after + (p->lhs_depth_stride != 1 ? 2 * depth : 0);   /* the rhs, [cols][depth] */
    const int8_t *last_rhs = NULL;
    const int32_t batches = tg_batch_matmul_batches(p);
    int32_t n, i, j, k;

    for (n = 0; n < batches; ++n) {
        const int8_t *a, *b, *w;
        tg_batch_matmul_operands(p, n, lhs, rhs, &a, &b);
        w = b;
        if (p->rhs_depth_stride != 1 || p->rhs_col_stride != depth) {
            if (b != last_rhs) {
                for (j = 0; j < cols; ++j) {
                    for (k = 0; k < depth; ++k) {
                        transposed[j * depth + k] = b[j * p->rhs_col_stride + k * p->rhs_depth_stride];
                    }
                }
                last_rhs = b;
            }
            w = transposed;
        }
        for (i = 0; i < rows; i += 2) {
            const int32_t nr = rows - i < 2 ? 1 : 2;
            const int8_t *x0 = a + i * lhs_row_stride;
            const int8_t *x1 = x0 + lhs_row_stride;
            int32_t sum0, sum1 = 0;
            if (p->lhs_depth_stride != 1) {
                for (k = 0; k < depth; ++k) {
                    gathered[k] = x0[k * p->lhs_depth_stride];
                    gathered[depth + k] = nr == 2 ? x1[k * p->lhs_depth_stride] : 0;
                }
                x0 = gathered;
                x1 = gathered + depth;
            }
            sum0 = row_sum(x0, depth, 1, lhs_offset) * rhs_offset;
            if (nr == 2) {
                sum1 = row_sum(x1, depth, 1, lhs_offset) * rhs_offset;
                tg_widen_rows_s8(x0, x1, 2, depth, lhs_offset, widened);
            } else {
                tg_widen_rows_s8(x0, x0, 1, depth, lhs_offset, widened);
            }
            for (j = 0; j < cols; j += 2) {
                int32_t acc[4] = {sum0, sum0, sum1, sum1};
                int8_t *out = output + i * cols + j;
                if (cols - j >= 2) {
                    if (nr == 2) {
                        tg_dot_s16_s8(widened, w + j * depth, depth, 2, 2, acc);
                        out[cols] = requant_s8(&q, acc[2]);
                        out[cols + 1] = requant_s8(&q, acc[3]);
                    } else {
                        tg_dot_s16_s8(widened, w + j * depth, depth, 1, 2, acc);
                    }
                    out[1] = requant_s8(&q, acc[1]);
                } else if (nr == 2) {
                    tg_dot_s16_s8(widened, w + j * depth, depth, 2, 1, acc);
                    out[cols] = requant_s8(&q, acc[2]);
                } else {
                    tg_dot_s16_s8(widened, w + j * depth, depth, 1, 1, acc);
                }
                out[0] = requant_s8(&q, acc[0]);
            }
        }
        output += rows * cols;
    }
}
