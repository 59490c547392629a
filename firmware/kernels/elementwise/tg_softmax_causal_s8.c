/*
 * tg_softmax_causal_s8: softmax over the last axis with PyTorch's causal mask: row i of each
 * [block_rows][depth] matrix is tg_softmax_s8 over its first min(i + 1, depth) values, and
 * -128 (probability 0) after them. Parameters: tinygen.quant.op_params.softmax_params and
 * block_rows. numpy twin: tinygen.ref.attention.softmax_causal_s8.
 */
#include <string.h>

#include "tg_kernels.h"

void tg_softmax_causal_s8(const tg_softmax_causal_params_t *p, const int8_t *input, int8_t *output)
{
    tg_softmax_params_t row = {.rows = 1, .depth = 0, .input_multiplier = p->input_multiplier,
                               .input_left_shift = p->input_left_shift, .diff_min = p->diff_min};
    int32_t r;
    for (r = 0; r < p->rows; ++r) {
        const int32_t live = r % p->block_rows + 1;
        row.depth = live < p->depth ? live : p->depth;
        tg_softmax_s8(&row, input + r * p->depth, output + r * p->depth);
        memset(output + r * p->depth + row.depth, -128, (size_t)(p->depth - row.depth));
    }
}
