/*
 * tg_requantize_s8: portable reference requantization, int8 -> int8, clamped.
 * Mirrors TFLite's reference_ops::Requantize (QUANTIZE int8 -> int8) and
 * ReluQuantized (RELU: the same with act_min = the output zero point).
 * Parameters come from tinygen.quant.op_params.requantize_params / relu_params.
 * numpy twin: tinygen.ref.kernels.requantize_s8.
 */
#include "tg_kernels.h"
#include "tg_requantize_element.h"

void tg_requantize_s8(const tg_requantize_params_t *p, const int8_t *input, int8_t *output)
{
    int32_t i;

    for (i = 0; i < p->size; ++i) {
        output[i] = (int8_t)tg_requantize_element(p, input[i]);
    }
}
