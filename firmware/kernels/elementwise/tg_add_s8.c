/*
 * tg_add_s8: portable reference elementwise add, int8. Mirrors TFLite's
 * reference_integer_ops::AddFunc: both inputs are shifted left by left_shift
 * (for headroom), rescaled to a common scale, summed, then rescaled to the
 * output. Parameters come from tinygen.quant.op_params.add_params.
 * numpy twin: tinygen.ref.kernels.add_s8.
 */
#include "tg_kernels.h"
#include "tg_requant.h"

void tg_add_s8(const tg_add_params_t *p, const int8_t *input1, const int8_t *input2,
               int8_t *output)
{
    int32_t i;

    for (i = 0; i < p->size; ++i) {
        /* input values are at most 255 in magnitude, so << 20 cannot overflow */
        const int32_t shifted1 = ((int32_t)input1[i] + p->input1_offset) * ((int32_t)1 << p->left_shift);
        const int32_t shifted2 = ((int32_t)input2[i] + p->input2_offset) * ((int32_t)1 << p->left_shift);
        const int32_t scaled1 =
            tg_requantize_smaller_than_one_exp(shifted1, p->input1_multiplier, p->input1_shift);
        const int32_t scaled2 =
            tg_requantize_smaller_than_one_exp(shifted2, p->input2_multiplier, p->input2_shift);
        int32_t out = tg_requantize_smaller_than_one_exp(scaled1 + scaled2, p->output_multiplier,
                                                         p->output_shift) +
                      p->output_offset;
        out = out < p->act_min ? p->act_min : out;
        out = out > p->act_max ? p->act_max : out;
        output[i] = (int8_t)out;
    }
}
