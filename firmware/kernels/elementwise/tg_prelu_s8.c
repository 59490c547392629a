/*
 * tg_prelu_s8: portable reference PReLU with a broadcast alpha, int8. Mirrors
 * TFLite's reference_ops::BroadcastPrelu4DSlow (int8): x = input + input_offset;
 * a non-negative x is requantized by the positive multiplier, a negative one is
 * multiplied by alpha + alpha_offset and requantized by the negative multiplier;
 * the output offset is added and the result clamped to int8. The output is walked
 * as the rank-4 shape in the params; input and alpha are read through their strides.
 * Parameters come from tinygen.quant.op_params.prelu_params.
 * numpy twin: tinygen.ref.prelu.prelu_s8.
 */
#include "tg_kernels.h"
#include "tg_requant.h"

void tg_prelu_s8(const tg_prelu_params_t *p, const int8_t *input, const int8_t *alpha, int8_t *output)
{
    /* the parameters in locals: the output may alias anything, so each read of p would repeat */
    const int32_t n0 = p->shape[0], n1 = p->shape[1], n2 = p->shape[2], n3 = p->shape[3];
    const int32_t *s1 = p->input1_strides;
    const int32_t *s2 = p->input2_strides;
    const int32_t x3 = s1[3], a3 = s2[3];
    const int32_t input_offset = p->input_offset, alpha_offset = p->alpha_offset;
    const int32_t output_offset = p->output_offset;
    const int32_t pos_multiplier = p->positive_multiplier, pos_shift = p->positive_shift;
    const int32_t neg_multiplier = p->negative_multiplier, neg_shift = p->negative_shift;
    int32_t i0, i1, i2, i3;

    for (i0 = 0; i0 < n0; ++i0) {
        for (i1 = 0; i1 < n1; ++i1) {
            for (i2 = 0; i2 < n2; ++i2) {
                const int8_t *x_row = input + i0 * s1[0] + i1 * s1[1] + i2 * s1[2];
                const int8_t *a_row = alpha + i0 * s2[0] + i1 * s2[1] + i2 * s2[2];
                for (i3 = 0; i3 < n3; ++i3) {
                    const int32_t x = (int32_t)x_row[i3 * x3] + input_offset;
                    int32_t out;
                    /* tg_requantize_fast equals tg_requantize here: the multipliers are >= 0 */
                    if (x >= 0) {
                        out = tg_requantize_fast(x, pos_multiplier, pos_shift);
                    } else {
                        /* |x * alpha| <= 255 * 255: no overflow */
                        const int32_t a = (int32_t)a_row[i3 * a3] + alpha_offset;
                        out = tg_requantize_fast(x * a, neg_multiplier, neg_shift);
                    }
                    out += output_offset;
                    out = out < INT8_MIN ? INT8_MIN : out;
                    out = out > INT8_MAX ? INT8_MAX : out;
                    *output++ = (int8_t)out;
                }
            }
        }
    }
}
