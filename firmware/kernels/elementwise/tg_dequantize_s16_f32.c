/*
 * tg_dequantize_s16_f32: int16_t -> float32, (v - zero_point) * scale (TFLite's DEQUANTIZE from a
 * float model's integer input: tg_quantize_f32.h). May not run in place.
 * numpy twin: tinygen.ref.float32_more.dequantize_s16_f32.
 */
#include "tg_kernels.h"
#include "tg_quantize_f32.h"

void tg_dequantize_s16_f32(const tg_quantize_f32_params_t *p, const int16_t *input, float *output)
{
    int32_t i;

    for (i = 0; i < p->size; ++i) {
        output[i] = tg_dequantize_value_f32(input[i], p);
    }
}
