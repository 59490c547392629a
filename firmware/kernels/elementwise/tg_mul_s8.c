/*
 * tg_mul_s8: portable reference elementwise multiply with broadcasting, int8.
 * Mirrors TFLite's reference_integer_ops::MulElementwise / BroadcastMul6DSlow:
 * the product of the offset inputs is requantized with one multiplier
 * (input1_scale * input2_scale / output_scale). The output is walked as the
 * rank-4 shape in the params; each operand is read through its strides.
 * Parameters come from tinygen.quant.op_params.mul_params.
 * numpy twin: tinygen.ref.kernels.mul_s8.
 */
#include "tg_kernels.h"
#include "tg_requant.h"

void tg_mul_s8(const tg_mul_params_t *p, const int8_t *input1, const int8_t *input2,
               int8_t *output)
{
    const int32_t *s1 = p->input1_strides;
    const int32_t *s2 = p->input2_strides;
    int32_t i0, i1, i2, i3;

    for (i0 = 0; i0 < p->shape[0]; ++i0) {
        for (i1 = 0; i1 < p->shape[1]; ++i1) {
            for (i2 = 0; i2 < p->shape[2]; ++i2) {
                const int8_t *a = input1 + i0 * s1[0] + i1 * s1[1] + i2 * s1[2];
                const int8_t *b = input2 + i0 * s2[0] + i1 * s2[1] + i2 * s2[2];
                for (i3 = 0; i3 < p->shape[3]; ++i3) {
                    /* |product| <= 255 * 255: no overflow */
                    const int32_t product = ((int32_t)a[i3 * s1[3]] + p->input1_offset) *
                                            ((int32_t)b[i3 * s2[3]] + p->input2_offset);
                    int32_t out = tg_requantize(product, p->output_multiplier, p->output_shift) +
                                  p->output_offset;
                    out = out < p->act_min ? p->act_min : out;
                    out = out > p->act_max ? p->act_max : out;
                    *output++ = (int8_t)out;
                }
            }
        }
    }
}
