/*
 * The row walk of the causal softmaxes (tg_softmax_causal_s8, tg_softmax_causal_s8_dsp): row
 * i of each [block_rows][depth] matrix through the kernel's softmax over its first
 * min(i + 1, depth) values, -128 (probability 0) after them.
 */
#ifndef TG_SOFTMAX_CAUSAL_S8_H
#define TG_SOFTMAX_CAUSAL_S8_H

#include <stddef.h>
#include <string.h>

#include "tg_kernels.h"

/* One row's softmax: tg_softmax_s8, or tg_softmax_s8_dsp with its exp table. */
typedef void (*tg_softmax_row_fn)(const tg_softmax_params_t *p, const int8_t *input, const int32_t *table,
                                  int8_t *output);

static inline __attribute__((always_inline)) void tg_softmax_causal_rows(const tg_softmax_causal_params_t *p,
                                                                          const int8_t *input, const int32_t *table,
                                                                          int8_t *output, tg_softmax_row_fn softmax)
{
    tg_softmax_params_t row = {.rows = 1, .depth = 0, .input_multiplier = p->input_multiplier,
                               .input_left_shift = p->input_left_shift, .diff_min = p->diff_min};
    int32_t r;
    for (r = 0; r < p->rows; ++r) {
        const int32_t live = r % p->block_rows + 1;
        row.depth = live < p->depth ? live : p->depth;
        softmax(&row, input + r * p->depth, table, output + r * p->depth);
        memset(output + r * p->depth + row.depth, -128, (size_t)(p->depth - row.depth));
    }
}

#endif /* TG_SOFTMAX_CAUSAL_S8_H */
