/*
 * tg_softmax_f32: softmax over the last dimension, float32 (TFLite reference_ops::Softmax on
 * float): per row, the max (std::max from the lowest float), e = expf((x - max) * beta) summed
 * in order from 0, then each e / sum. expf is the C library's, as TFLite Micro calls it.
 * numpy twin: tinygen.ref.float32_nonlinear.softmax_f32.
 */
#include <math.h>

#include "tg_kernels.h"

void tg_softmax_f32(const tg_softmax_f32_params_t *p, const float *input, float *output)
{
    int32_t r, c;

    for (r = 0; r < p->rows; ++r) {
        const float *x = input + r * p->depth;
        float *y = output + r * p->depth;
        const float max = tg_row_max_f32(x, p->depth);
        float sum = 0.0f;
        for (c = 0; c < p->depth; ++c) {
            const float e = expf((x[c] - max) * p->beta);
            y[c] = e;
            sum += e;
        }
        for (c = 0; c < p->depth; ++c) {
            y[c] = y[c] / sum;
        }
    }
}
