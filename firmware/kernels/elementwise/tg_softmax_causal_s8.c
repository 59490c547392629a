/*
 * tg_softmax_causal_s8: softmax over the last axis with PyTorch's causal mask: row i of each
 * [block_rows][depth] matrix is tg_softmax_s8 over its first min(i + 1, depth) values, and
 * -128 (probability 0) after them. Parameters: tinygen.quant.op_params.softmax_params and
 * block_rows. numpy twin: tinygen.ref.attention.softmax_causal_s8.
 */
#include <stddef.h>

#include "tg_kernels.h"
#include "tg_softmax_causal_s8.h"

static void softmax_row(const tg_softmax_params_t *p, const int8_t *input, const int32_t *table, int8_t *output)
{
    (void)table;
    tg_softmax_s8(p, input, output);
}

void tg_softmax_causal_s8(const tg_softmax_causal_params_t *p, const int8_t *input, int8_t *output)
{
    tg_softmax_causal_rows(p, input, NULL, output, softmax_row);
}
