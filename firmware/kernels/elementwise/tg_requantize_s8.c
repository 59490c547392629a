/*
 * tg_requantize_s8: portable reference requantization, int8 -> int8, clamped.
 * Mirrors TFLite's reference_ops::Requantize (QUANTIZE int8 -> int8) and
 * ReluQuantized (RELU: the same with act_min = the output zero point).
 * Parameters come from tinygen.quant.op_params.requantize_params / relu_params.
 * numpy twin: tinygen.ref.kernels.requantize_s8.
 */
#include "tg_kernels.h"
#include "tg_requant.h"

void tg_requantize_s8(const tg_requantize_params_t *p, const int8_t *input, int8_t *output)
{
    int32_t i;

    for (i = 0; i < p->size; ++i) {
        int32_t out = tg_requantize((int32_t)input[i] + p->input_offset, p->multiplier, p->shift) +
                      p->output_offset;
        out = out < p->act_min ? p->act_min : out;
        out = out > p->act_max ? p->act_max : out;
        output[i] = (int8_t)out;
    }
}
