/*
 * tg_slice_s8: portable reference slice, int8 (torch chunk / split / x[:, a:b]). The
 * input is viewed as [outer][in_stride] and the output as [outer][size]: each output
 * row copies `size` bytes from `offset` in its input row.
 * numpy twin: tinygen.ref.layout.slice_s8.
 */
#include <string.h>

#include "tg_kernels.h"

void tg_slice_s8(const tg_slice_params_t *p, const int8_t *input, int8_t *output)
{
    int32_t o;

    for (o = 0; o < p->outer; ++o) {
        memcpy(&output[o * p->size], &input[o * p->in_stride + p->offset], (size_t)p->size);
    }
}
