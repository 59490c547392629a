/*
 * tg_mean_s16: portable mean (or sum) over one (collapsed) axis, int16 (TFLite MEAN and SUM
 * on 16x8 models: reference_ops::QuantizedMeanOrSum with int16 values). tg_mean_s8's
 * arithmetic and parameters: an int32 sum, minus input_zero_point times the count, one
 * requantization (1/reduce folded into a MEAN's multiplier), clamped to int16.
 * numpy twin: tinygen.ref.int16.mean_s16.
 */
#include "tg_kernels.h"
#include "tg_requant.h"

void tg_mean_s16(const tg_mean_params_t *p, const int16_t *input, int16_t *output)
{
    int32_t o, r, i;

    for (o = 0; o < p->outer; ++o) {
        const int16_t *slab = input + o * p->reduce * p->inner;
        for (i = 0; i < p->inner; ++i) {
            int32_t sum = 0;
            int32_t out;
            for (r = 0; r < p->reduce; ++r) {
                sum += slab[r * p->inner + i];
            }
            out = tg_requantize(sum - p->input_zero_point * p->reduce, p->multiplier, p->shift) +
                  p->output_zero_point;
            out = out < INT16_MIN ? INT16_MIN : out;
            out = out > INT16_MAX ? INT16_MAX : out;
            *output++ = (int16_t)out;
        }
    }
}
