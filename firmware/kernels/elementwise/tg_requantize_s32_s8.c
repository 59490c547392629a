/*
 * tg_requantize_s32_s8: portable requantization, int32 -> int8 (QUANTIZE to or from a quantized
 * int32 tensor), clamped to the output type's range. Mirrors TFLite's reference_ops::Requantize,
 * which TFLite Micro's QUANTIZE runs between int8, int16 and int32. Parameters:
 * tinygen.quant.op_params.requantize_params. numpy twin: tinygen.ref.int16.requantize_s32_s8.
 */
#include "tg_kernels.h"
#include "tg_requantize_element.h"

void tg_requantize_s32_s8(const tg_requantize_params_t *p, const int32_t *input, int8_t *output)
{
    int32_t i;

    for (i = 0; i < p->size; ++i) {
        output[i] = (int8_t)tg_requantize_element(p, input[i]);
    }
}
