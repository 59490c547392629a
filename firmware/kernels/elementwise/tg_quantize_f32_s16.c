/*
 * tg_quantize_f32_s16: float32 -> int16_t, round(x / scale) + zero_point clamped (TFLite's
 * AffineQuantize into a float model's integer output: tg_quantize_f32.h).
 * numpy twin: tinygen.ref.float32_more.quantize_f32_s16.
 */
#include "tg_kernels.h"
#include "tg_quantize_f32.h"

void tg_quantize_f32_s16(const tg_quantize_f32_params_t *p, const float *input, int16_t *output)
{
    int32_t i;

    for (i = 0; i < p->size; ++i) {
        output[i] = (int16_t)tg_quantize_value_f32(input[i], p, INT16_MIN, INT16_MAX);
    }
}
