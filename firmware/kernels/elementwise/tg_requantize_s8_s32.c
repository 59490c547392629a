/*
 * tg_requantize_s8_s32: portable requantization, int8 -> int32 (QUANTIZE to or from a quantized
 * int32 tensor), clamped to the output type's range. Mirrors TFLite's reference_ops::Requantize,
 * which TFLite Micro's QUANTIZE runs between int8, int16 and int32. Parameters:
 * tinygen.quant.op_params.requantize_params. numpy twin: tinygen.ref.int16.requantize_s8_s32.
 */
#include "tg_kernels.h"
#include "tg_requantize_element.h"

void tg_requantize_s8_s32(const tg_requantize_params_t *p, const int8_t *input, int32_t *output)
{
    int32_t i;

    for (i = 0; i < p->size; ++i) {
        output[i] = (int32_t)tg_requantize_element(p, input[i]);
    }
}
