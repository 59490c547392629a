/*
 * tg_rsqrt_s16: 1 / sqrt(x), int16 in/out (the tflite-micro package's RsqrtEvalQuantized<int16_t>;
 * zero points 0): tg_rsqrt_s8's arithmetic and parameters, clamped to int16. An input at or
 * below the zero point gives 32767 (TFLite Micro: 32767 at the zero point, an error below it).
 * numpy twin: tinygen.ref.int16.rsqrt_s16.
 */
#include "tg_inv_sqrt.h"
#include "tg_kernels.h"
#include "tg_requant.h"

enum { RSQRT_SHIFT = 20 };          /* TFLM's kShift: keeps the reciprocal an integer */

void tg_rsqrt_s16(const tg_rsqrt_params_t *p, const int16_t *input, int16_t *output)
{
    int32_t i;
    for (i = 0; i < p->size; ++i) {
        const int32_t v = (int32_t)input[i] - p->input_zero_point;
        int32_t out = INT16_MAX;
        if (v > 0) {
            int32_t m, e;
            tg_inv_sqrt_s32(v, &m, &e);
            out = tg_requantize(tg_requantize(1, m, e + RSQRT_SHIFT), p->multiplier, p->shift - RSQRT_SHIFT) +
                  p->output_zero_point;
            out = out < INT16_MIN ? INT16_MIN : out;
            out = out > INT16_MAX ? INT16_MAX : out;
        }
        output[i] = (int16_t)out;
    }
}
