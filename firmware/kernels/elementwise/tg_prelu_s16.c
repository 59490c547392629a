/*
 * tg_prelu_s16: PReLU with a broadcast int8 alpha on int16 (TFLite Micro's 16x8 PRELU,
 * reference_ops::BroadcastPrelu4DSlow<int16_t, int8_t>): tg_prelu_s8's arithmetic and
 * parameters on int16 inputs, clamped to int16. The output is walked as the rank-4 shape in
 * the params; input and alpha are read through their strides.
 * numpy twin: tinygen.ref.prelu.prelu_s16.
 */
#include "tg_kernels.h"
#include "tg_requant.h"

void tg_prelu_s16(const tg_prelu_params_t *p, const int16_t *input, const int8_t *alpha, int16_t *output)
{
    const int32_t *n = p->shape;
    const int32_t *s1 = p->input1_strides;
    const int32_t *s2 = p->input2_strides;
    int32_t i0, i1, i2, i3;

    for (i0 = 0; i0 < n[0]; ++i0) {
        for (i1 = 0; i1 < n[1]; ++i1) {
            for (i2 = 0; i2 < n[2]; ++i2) {
                const int16_t *x_row = input + i0 * s1[0] + i1 * s1[1] + i2 * s1[2];
                const int8_t *a_row = alpha + i0 * s2[0] + i1 * s2[1] + i2 * s2[2];
                for (i3 = 0; i3 < n[3]; ++i3) {
                    const int32_t x = (int32_t)x_row[i3 * s1[3]] + p->input_offset;
                    /* |x * alpha| <= 65535 * 255: no overflow */
                    int32_t out = x >= 0 ? tg_requantize_fast(x, p->positive_multiplier, p->positive_shift)
                                         : tg_requantize_fast(x * ((int32_t)a_row[i3 * s2[3]] + p->alpha_offset),
                                                              p->negative_multiplier, p->negative_shift);
                    out += p->output_offset;
                    out = out < INT16_MIN ? INT16_MIN : out;
                    out = out > INT16_MAX ? INT16_MAX : out;
                    *output++ = (int16_t)out;
                }
            }
        }
    }
}
