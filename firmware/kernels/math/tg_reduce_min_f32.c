/*
 * tg_reduce_min_f32: the smallest float32 value over the reduced axes, starting from FLT_MAX
 * (TFLite Micro's REDUCE_MIN on float, reference_ops::ReduceGeneric with MinMaxReducerCompare).
 * The walk: tg_axis_select_f32.h.
 * numpy twin: tinygen.ref.mathops_f32.reduce_min_f32.
 */
#include <float.h>

#include "tg_axis_select_f32.h"

void tg_reduce_min_f32(const tg_axis_params_t *p, const float *input, float *output)
{
    static const float start = FLT_MAX;

    tg_axis_select_f32(p, input, &start, output, NULL, tg_axis_less_f32);
}
