/*
 * tg_batch_matmul_s8 through CMSIS-NN's arm_batch_matmul_s8, one output matrix at a time
 * (tinygen's batch dims, broadcast included, are walked here). CMSIS-NN takes the rhs
 * transposed, [cols][depth] (TFLite's adj_y layout) and the lhs as [rows][depth]; an operand
 * held otherwise is transposed into scratch first (tinygen.kernels.cmsis_nn.batch_matmul_scratch
 * bytes: cols * depth, then rows * depth), once per matrix.
 */
#include "tg_cmsis_nn.h"

#include <stddef.h>

#include "arm_nnfunctions.h"

/* The matrix at x read through (row, depth) strides, as contiguous [n][depth] rows in buf. */
static const int8_t *rows_of(const int8_t *x, int32_t n, int32_t depth, int32_t row_stride, int32_t depth_stride,
                             int8_t *buf)
{
    int32_t i, k;
    if (depth_stride == 1 && (row_stride == depth || n == 1)) {
        return x;
    }
    for (i = 0; i < n; ++i) {
        for (k = 0; k < depth; ++k) {
            buf[i * depth + k] = x[i * row_stride + k * depth_stride];
        }
    }
    return buf;
}

void tg_batch_matmul_s8_cmsis_nn(const tg_batch_matmul_params_t *p, const int8_t *lhs, const int8_t *rhs,
                                 int8_t *scratch, int8_t *output)
{
    const cmsis_nn_bmm_params bmm = {
        .adj_x = false,
        .adj_y = true,
        .fc_params = {.input_offset = p->lhs_offset, .filter_offset = p->rhs_offset, .output_offset = p->output_offset,
                      .activation = {.min = p->act_min, .max = p->act_max}},
    };
    const cmsis_nn_per_tensor_quant_params quant = {p->output_multiplier, p->output_shift};
    const cmsis_nn_dims lhs_dims = {.n = 1, .h = 1, .w = p->rows, .c = p->depth};
    const cmsis_nn_dims rhs_dims = {.n = 1, .h = 1, .w = p->cols, .c = p->depth};
    const cmsis_nn_dims output_dims = {.n = 1, .h = 1, .w = p->rows, .c = p->cols};
    /* no buffer on cores without MVE */
    const cmsis_nn_context ctx = {NULL, 0};
    int8_t *rhs_buf = scratch;
    int8_t *lhs_buf = scratch == NULL ? NULL : scratch + p->cols * p->depth;
    int32_t b0, b1, b2;

    for (b0 = 0; b0 < p->batch_shape[0]; ++b0) {
        for (b1 = 0; b1 < p->batch_shape[1]; ++b1) {
            for (b2 = 0; b2 < p->batch_shape[2]; ++b2) {
                const int8_t *a = lhs + b0 * p->lhs_batch_strides[0] + b1 * p->lhs_batch_strides[1] +
                                  b2 * p->lhs_batch_strides[2];
                const int8_t *b = rhs + b0 * p->rhs_batch_strides[0] + b1 * p->rhs_batch_strides[1] +
                                  b2 * p->rhs_batch_strides[2];
                a = rows_of(a, p->rows, p->depth, p->lhs_row_stride, p->lhs_depth_stride, lhs_buf);
                b = rows_of(b, p->cols, p->depth, p->rhs_col_stride, p->rhs_depth_stride, rhs_buf);
                /* the code generator passes only arguments CMSIS-NN accepts: the status is SUCCESS */
                (void)arm_batch_matmul_s8(&ctx, &bmm, &quant, &lhs_dims, a, &rhs_dims, b, &output_dims, output);
                output += p->rows * p->cols;
            }
        }
    }
}
