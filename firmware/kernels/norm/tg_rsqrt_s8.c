/*
 * tg_rsqrt_s8: 1 / sqrt(x), int8 in/out, TFLite Micro's RsqrtEvalQuantized bit for bit:
 * v = x - input_zero_point; (m, e) = tg_inv_sqrt_s32(v); data = MBQM(1, m, e + 20);
 * out = MBQM(data, multiplier, shift - 20) + output_zero_point, clamped. An input at the zero
 * point gives 127 (TFLM too); one below it, which TFLM refuses to run, 127 as well.
 * Parameters: tinygen.quant.attention_params.rsqrt_params. numpy twin:
 * tinygen.ref.attention.rsqrt_s8.
 */
#include "tg_inv_sqrt.h"
#include "tg_kernels.h"
#include "tg_requant.h"

enum { RSQRT_SHIFT = 20 };          /* TFLM's kShift: keeps the reciprocal an integer */

void tg_rsqrt_s8(const tg_rsqrt_params_t *p, const int8_t *input, int8_t *output)
{
    int32_t i;
    for (i = 0; i < p->size; ++i) {
        const int32_t v = (int32_t)input[i] - p->input_zero_point;
        int32_t out = 127;
        if (v > 0) {
            int32_t m, e;
            tg_inv_sqrt_s32(v, &m, &e);
            out = tg_requantize(tg_requantize(1, m, e + RSQRT_SHIFT), p->multiplier, p->shift - RSQRT_SHIFT) +
                  p->output_zero_point;
            out = out < -128 ? -128 : out;
            out = out > 127 ? 127 : out;
        }
        output[i] = (int8_t)out;
    }
}
