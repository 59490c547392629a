/*
 * tg_leaky_relu_s16: portable LEAKY_RELU, int16 (TFLite's reference_ops::QuantizeLeakyRelu):
 * x = input + input_offset; x >= 0 ? requant(x, identity) : alpha_sign * requant(x, |alpha|),
 * plus output_offset, clamped to [act_min, act_max]. Parameters:
 * tinygen.quant.op_params.leaky_relu_params. numpy twin: tinygen.ref.int16.leaky_relu_s16.
 */
#include "tg_kernels.h"
#include "tg_requant.h"

void tg_leaky_relu_s16(const tg_leaky_relu_params_t *p, const int16_t *input, int16_t *output)
{
    int32_t i;

    for (i = 0; i < p->size; ++i) {
        const int32_t x = (int32_t)input[i] + p->input_offset;
        int32_t out = x >= 0 ? tg_requantize(x, p->identity_multiplier, p->identity_shift)
                             : p->alpha_sign * tg_requantize(x, p->alpha_multiplier, p->alpha_shift);
        out += p->output_offset;
        out = out < p->act_min ? p->act_min : out;
        out = out > p->act_max ? p->act_max : out;
        output[i] = (int16_t)out;
    }
}
