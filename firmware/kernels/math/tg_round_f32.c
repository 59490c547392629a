/*
 * tg_round_f32: x rounded to the nearest integer, halves to the even one (TFLite's RoundToNearest on float: the
 * floor, plus one where the rest exceeds a half or is a half above an odd floor; the rest is
 * exact, and the int conversion is only reached below 2^23). May run in place.
 * numpy twin: tinygen.ref.mathops_f32.round_f32.
 */
#include <math.h>

#include "tg_map_f32.h"

static float round_element(float x)
{
    const float floor_value = floorf(x);
    const float rest = x - floor_value;
    if (rest < 0.5f || (rest == 0.5f && (int32_t)floor_value % 2 == 0)) {
        return floor_value;
    }
    return floor_value + 1.0f;
}

void tg_round_f32(const tg_size_f32_params_t *p, const float *input, float *output)
{
    tg_map_f32(p, input, output, round_element);
}
