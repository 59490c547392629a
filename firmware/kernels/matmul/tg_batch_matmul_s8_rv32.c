/*
 * tg_batch_matmul_s8_rv32: tg_batch_matmul_s8 for RV32IM (ESP32-C3), equal bit for bit.
 * RV32IMC has a 32 x 32 multiply but no multiply-accumulate and no SIMD, so this kernel saves
 * instructions around the products: the raw int8 values are multiplied and the offsets enter
 * through row and column sums,
 *   sum_k (l + lo)(r + ro) = sum_k l r + ro * sum_k l + lo * sum_k r + depth * lo * ro,
 * and 2 output rows x 2 output columns share each step's 4 loads (4 products, two steps a pass:
 * a block of 2 x 4 spilled accumulators on GCC 12, 2 x 2 does not). Both operands
 * are read with their depth contiguous: the rhs as [cols][depth] (transposed into scratch once
 * per matrix where it is not, TFLite's adj_y layout is), adjoint lhs rows gathered.
 * scratch: tg_batch_matmul_s8_rv32_buffer_size(p) bytes, 4-byte aligned. Not in place.
 * numpy twin: tinygen.ref.attention.batch_matmul_s8.
 */
#include <stddef.h>
#include <stdint.h>

#include "tg_batch_matmul_s8.h"
#include "tg_kernels.h"
#include "tg_requant.h"

enum { ROWS = 2, COLS = 2 };    /* the output block of one pass over the depth (dot_block takes up to 2 x 4) */

static inline int8_t requant_s8(const tg_batch_matmul_params_t *p, int32_t acc)
{
    acc = tg_requantize_fast(acc, p->output_multiplier, p->output_shift) + p->output_offset;
    acc = acc < p->act_min ? p->act_min : acc;
    acc = acc > p->act_max ? p->act_max : acc;
    return (int8_t)acc;
}

/* The running sums of a 2 x 4 output block (held in registers: a struct passed by value). */
typedef struct {
    int32_t s00, s01, s02, s03, s10, s11, s12, s13;
} sums_t;

/* One depth step at offset o of each row pointer (the loads take o as an immediate); nr, nc:
 * the block's rows and columns, constants after inlining. */
static inline __attribute__((always_inline)) sums_t dot_step(sums_t s, const int8_t *a0, const int8_t *a1,
                                                              const int8_t *w0, const int8_t *w1, const int8_t *w2,
                                                              const int8_t *w3, int32_t o, int32_t nr, int32_t nc)
{
    const int32_t x0 = a0[o], x1 = nr > 1 ? a1[o] : 0;
    const int32_t y0 = w0[o], y1 = nc > 1 ? w1[o] : 0, y2 = nc > 2 ? w2[o] : 0, y3 = nc > 3 ? w3[o] : 0;
    s.s00 += x0 * y0;
    s.s01 += nc > 1 ? x0 * y1 : 0;
    s.s02 += nc > 2 ? x0 * y2 : 0;
    s.s03 += nc > 3 ? x0 * y3 : 0;
    s.s10 += nr > 1 ? x1 * y0 : 0;
    s.s11 += nr > 1 && nc > 1 ? x1 * y1 : 0;
    s.s12 += nr > 1 && nc > 2 ? x1 * y2 : 0;
    s.s13 += nr > 1 && nc > 3 ? x1 * y3 : 0;
    return s;
}

/* acc[r * 4 + c] = sum_k a_r[k] * w_c[k] for rows a_r = a + r * depth (r < nr), columns
 * w_c = w + c * depth (c < nc); two depth steps per pass. */
static inline __attribute__((always_inline)) void dot_block(const int8_t *a, const int8_t *w, int32_t depth,
                                                             int32_t nr, int32_t nc, int32_t acc[2 * 4])
{
    const int8_t *a0 = a, *a1 = a + depth;
    const int8_t *w0 = w, *w1 = w + depth, *w2 = w + 2 * depth, *w3 = w + 3 * depth;
    sums_t s = {0, 0, 0, 0, 0, 0, 0, 0};
    int32_t k;
    for (k = depth; k >= 2; k -= 2) {
        s = dot_step(s, a0, a1, w0, w1, w2, w3, 0, nr, nc);
        s = dot_step(s, a0, a1, w0, w1, w2, w3, 1, nr, nc);
        a0 += 2, a1 += 2, w0 += 2, w1 += 2, w2 += 2, w3 += 2;
    }
    for (; k > 0; --k) {
        s = dot_step(s, a0, a1, w0, w1, w2, w3, 0, nr, nc);
        a0 += 1, a1 += 1, w0 += 1, w1 += 1, w2 += 1, w3 += 1;
    }
    acc[0] = s.s00, acc[1] = s.s01, acc[2] = s.s02, acc[3] = s.s03;
    acc[4] = s.s10, acc[5] = s.s11, acc[6] = s.s12, acc[7] = s.s13;
}

static int32_t sum_s8(const int8_t *x, int32_t n)
{
    int32_t k, sum = 0;
    for (k = 0; k < n; ++k) {
        sum += x[k];
    }
    return sum;
}

/* The output block at out (row stride cols) of nr x nc results. */
static inline __attribute__((always_inline)) void block(const tg_batch_matmul_params_t *p, const int8_t *a,
                                                         const int8_t *w, const int32_t *col_sums,
                                                         const int32_t row_terms[ROWS], int32_t nr, int32_t nc,
                                                         int8_t *out)
{
    int32_t acc[2 * 4], r, c;
    dot_block(a, w, p->depth, nr, nc, acc);
    for (r = 0; r < nr; ++r) {
        for (c = 0; c < nc; ++c) {
            out[r * p->cols + c] = requant_s8(p, acc[r * 4 + c] + row_terms[r] + p->lhs_offset * col_sums[c]);
        }
    }
}

void tg_batch_matmul_s8_rv32(const tg_batch_matmul_params_t *p, const int8_t *lhs, const int8_t *rhs,
                             int8_t *scratch, int8_t *output)
{
    const int32_t depth = p->depth, rows = p->rows, cols = p->cols;
    int32_t *col_sums = (int32_t *)(void *)scratch;                 /* sum_k r[j][k], per column */
    int8_t *gathered = scratch + 4 * cols;                          /* two adjoint lhs rows */
    int8_t *transposed = gathered + (p->lhs_depth_stride != 1 ? 2 * depth : 0);
    const int8_t *last_rhs = NULL;
    const int32_t batches = tg_batch_matmul_batches(p);
    int32_t n, i, j, k;

    for (n = 0; n < batches; ++n) {
        const int8_t *a, *b, *w;
        tg_batch_matmul_operands(p, n, lhs, rhs, &a, &b);
        w = (p->rhs_depth_stride != 1 || p->rhs_col_stride != depth) ? transposed : b;
        if (b != last_rhs) {            /* a broadcast rhs keeps its sums and copy */
            for (j = 0; j < cols; ++j) {
                if (w == transposed) {
                    for (k = 0; k < depth; ++k) {
                        transposed[j * depth + k] = b[j * p->rhs_col_stride + k * p->rhs_depth_stride];
                    }
                }
                col_sums[j] = sum_s8(w + j * depth, depth);
            }
            last_rhs = b;
        }
        for (i = 0; i < rows; i += ROWS) {
            const int32_t nr = rows - i < ROWS ? rows - i : ROWS;
            const int8_t *x = a + i * p->lhs_row_stride;
            int32_t row_terms[ROWS] = {0, 0}, r;
            if (p->lhs_depth_stride != 1 || (nr > 1 && p->lhs_row_stride != depth)) {
                for (r = 0; r < nr; ++r) {
                    for (k = 0; k < depth; ++k) {
                        gathered[r * depth + k] = x[r * p->lhs_row_stride + k * p->lhs_depth_stride];
                    }
                }
                x = gathered;
            }
            for (r = 0; r < nr; ++r) {
                row_terms[r] = p->rhs_offset * (sum_s8(x + r * depth, depth) + depth * p->lhs_offset);
            }
            for (j = 0; j + COLS <= cols; j += COLS) {
                if (nr == ROWS) {
                    block(p, x, w + j * depth, col_sums + j, row_terms, ROWS, COLS, output + i * cols + j);
                } else {
                    block(p, x, w + j * depth, col_sums + j, row_terms, 1, COLS, output + i * cols + j);
                }
            }
            if (j < cols) {                 /* the last column */
                if (nr == ROWS) {
                    block(p, x, w + j * depth, col_sums + j, row_terms, ROWS, 1, output + i * cols + j);
                } else {
                    block(p, x, w + j * depth, col_sums + j, row_terms, 1, 1, output + i * cols + j);
                }
            }
        }
        output += rows * cols;
    }
}
