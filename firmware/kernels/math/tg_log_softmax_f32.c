/*
 * tg_log_softmax_f32: LOG_SOFTMAX on float32 (TFLite's reference LogSoftmax): per row of depth
 * values, its maximum (from -FLT_MAX, taking each greater value), sum = 0.0f plus expf(x - max)
 * in order, then each output (x - max) - logf(sum). expf and logf are the C library's: their
 * last bit differs between libms (tinygen.kernels.float_table.LIBM_KERNELS). Not in place.
 * numpy twin: tinygen.ref.mathops_f32.log_softmax_f32.
 */
#include <math.h>

#include "tg_kernels_math.h"

void tg_log_softmax_f32(const tg_rows_f32_params_t *p, const float *input, float *output)
{
    int32_t r, c;

    for (r = 0; r < p->rows; ++r) {
        const float *x = input + r * p->depth;
        float *y = output + r * p->depth;
        const float max = tg_row_max_f32(x, p->depth);
        float sum = 0.0f;
        float log_sum;

        for (c = 0; c < p->depth; ++c) {
            sum += expf(x[c] - max);
        }
        log_sum = logf(sum);
        for (c = 0; c < p->depth; ++c) {
            y[c] = x[c] - max - log_sum;
        }
    }
}
