/*
 * tg_abs_s16: |x| of int16 (TFLite Micro's quantized ABS, AbsEvalQuantized): the distance from
 * the input zero point, requantized to the output scale by MultiplyByQuantizedMultiplier where
 * the scales differ, plus the output zero point, saturated to int16 (TFLite Micro takes int16
 * zero points of 0). May run in place.
 * numpy twin: tinygen.ref.mathops.abs_s16.
 */
#include "tg_kernels_math.h"
#include "tg_requant.h"

void tg_abs_s16(const tg_abs_params_t *p, const int16_t *input, int16_t *output)
{
    const int32_t size = p->size, input_offset = p->input_offset, output_offset = p->output_offset;
    const int32_t rescale = p->rescale, multiplier = p->multiplier, shift = p->shift;
    int32_t i;

    for (i = 0; i < size; ++i) {
        int32_t v = (int32_t)input[i] + input_offset;
        v = v < 0 ? -v : v;
        if (rescale) {
            v = tg_requantize(v, multiplier, shift);
        }
        v += output_offset;
        v = v < INT16_MIN ? INT16_MIN : v;
        v = v > INT16_MAX ? INT16_MAX : v;
        output[i] = (int16_t)v;
    }
}
