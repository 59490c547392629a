/*
 * tg_reduce_max_s8: the largest int8 value over the reduced axes (TFLite's REDUCE_MAX of
 * int8, reference_ops::ReduceGeneric; TFLite Micro requires input and output on one grid, so
 * the stored value is the answer). The walk: tg_axis_select_s8.h.
 * numpy twin: tinygen.ref.mathops.reduce_max_s8.
 */
#include "tg_axis_select_s8.h"

void tg_reduce_max_s8(const tg_axis_params_t *p, const int8_t *input, int8_t *output)
{
    tg_axis_select_s8(p, input, output, NULL, tg_axis_greater);
}
