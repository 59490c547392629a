/*
 * tg_l2_norm_f32: L2_NORMALIZATION on float32 (TFLite's reference L2Normalization): per row,
 * 0.0f plus each x * x in order, its sqrtf (correctly rounded in every C library), at least
 * 1e-6f (TFLite Micro's epsilon), each value divided by it. May run in place.
 * numpy twin: tinygen.ref.mathops_f32.l2_norm_f32.
 */
#include <math.h>

#include "tg_kernels_math.h"

#define TG_L2_NORM_EPSILON 1e-6f

void tg_l2_norm_f32(const tg_rows_f32_params_t *p, const float *input, float *output)
{
    int32_t r, c;

    for (r = 0; r < p->rows; ++r) {
        const float *x = input + r * p->depth;
        float *y = output + r * p->depth;
        float squares = 0.0f;
        float norm;

        for (c = 0; c < p->depth; ++c) {
            squares += x[c] * x[c];
        }
        norm = sqrtf(squares);
        norm = (norm < TG_L2_NORM_EPSILON) ? TG_L2_NORM_EPSILON : norm;
        for (c = 0; c < p->depth; ++c) {
            y[c] = x[c] / norm;
        }
    }
}
