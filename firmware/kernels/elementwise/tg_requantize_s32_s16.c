/*
 * tg_requantize_s32_s16: portable requantization, int32 -> int16 (QUANTIZE to or from a quantized
 * int32 tensor), clamped to the output type's range. Mirrors TFLite's reference_ops::Requantize,
 * which TFLite Micro's QUANTIZE runs between int8, int16 and int32. Parameters:
 * tinygen.quant.op_params.requantize_params. numpy twin: tinygen.ref.int16.requantize_s32_s16.
 */
#include "tg_kernels.h"
#include "tg_requantize_element.h"

void tg_requantize_s32_s16(const tg_requantize_params_t *p, const int32_t *input, int16_t *output)
{
    int32_t i;

    for (i = 0; i < p->size; ++i) {
        output[i] = (int16_t)tg_requantize_element(p, input[i]);
    }
}
