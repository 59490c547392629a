/*
 * tg_add_broadcast_s8: portable reference add with broadcasting, int8.
 * Mirrors TFLite's reference_integer_ops::BroadcastAdd6DSlow: the AddFunc
 * arithmetic of tg_add_s8 (shift left, rescale both inputs to a common scale,
 * sum, rescale to the output) on every output element. The output is walked
 * as the rank-4 shape in the params; each operand is read through its strides.
 * Parameters come from tinygen.quant.op_params.add_params.
 * numpy twin: tinygen.ref.kernels.add_broadcast_s8.
 */
#include "tg_kernels.h"
#include "tg_requant.h"

void tg_add_broadcast_s8(const tg_add_broadcast_params_t *p, const int8_t *input1,
                         const int8_t *input2, int8_t *output)
{
    const int32_t *s1 = p->input1_strides;
    const int32_t *s2 = p->input2_strides;
    const int32_t scale_up = (int32_t)1 << p->left_shift;
    int32_t i0, i1, i2, i3;

    for (i0 = 0; i0 < p->shape[0]; ++i0) {
        for (i1 = 0; i1 < p->shape[1]; ++i1) {
            for (i2 = 0; i2 < p->shape[2]; ++i2) {
                const int8_t *a = input1 + i0 * s1[0] + i1 * s1[1] + i2 * s1[2];
                const int8_t *b = input2 + i0 * s2[0] + i1 * s2[1] + i2 * s2[2];
                for (i3 = 0; i3 < p->shape[3]; ++i3) {
                    /* input values are at most 255 in magnitude, so << 20 cannot overflow */
                    const int32_t scaled1 = tg_requantize_smaller_than_one_exp(
                        ((int32_t)a[i3 * s1[3]] + p->input1_offset) * scale_up,
                        p->input1_multiplier, p->input1_shift);
                    const int32_t scaled2 = tg_requantize_smaller_than_one_exp(
                        ((int32_t)b[i3 * s2[3]] + p->input2_offset) * scale_up,
                        p->input2_multiplier, p->input2_shift);
                    int32_t out = tg_requantize_smaller_than_one_exp(
                                      scaled1 + scaled2, p->output_multiplier, p->output_shift) +
                                  p->output_offset;
                    out = out < p->act_min ? p->act_min : out;
                    out = out > p->act_max ? p->act_max : out;
                    *output++ = (int8_t)out;
                }
            }
        }
    }
}
