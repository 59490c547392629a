/*
 * tg_arg_max_f32_s32: the index of the first largest float32 value along the axis, int32
 * (TFLite's ArgMinMax on float). The walk: tg_axis_select_f32.h.
 * numpy twin: tinygen.ref.mathops_f32.arg_max_f32_s32.
 */
#include "tg_axis_select_f32.h"

void tg_arg_max_f32_s32(const tg_axis_params_t *p, const float *input, int32_t *output)
{
    tg_axis_select_f32(p, input, NULL, NULL, output, tg_axis_greater_f32);
}
