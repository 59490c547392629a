/*
 * tg_arg_min_s8_s32: the index of the first smallest int8 value along the axis, int32
 * (TFLite's ARG_MIN of int8 with int32 output, reference_ops::ArgMinMax: a later value
 * replaces the best only when strictly smaller). The walk: tg_axis_select_s8.h.
 * numpy twin: tinygen.ref.mathops.arg_min_s8_s32.
 */
#include "tg_axis_select_s8.h"

void tg_arg_min_s8_s32(const tg_axis_params_t *p, const int8_t *input, int32_t *output)
{
    tg_axis_select_s8(p, input, NULL, output, tg_axis_less);
}
