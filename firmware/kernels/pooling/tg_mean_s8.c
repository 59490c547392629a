/*
 * tg_mean_s8: portable reference mean over one (collapsed) axis, int8.
 * Mirrors TFLite's reference_ops::QuantizedMeanOrSum (int8 MEAN): an int32 sum
 * of the raw values, minus input_zero_point times the element count, then one
 * requantization whose multiplier already holds 1/reduce.
 * Parameters come from tinygen.quant.op_params.mean_params.
 * numpy twin: tinygen.ref.kernels.mean_s8.
 */
#include "tg_kernels.h"
#include "tg_requant.h"

void tg_mean_s8(const tg_mean_params_t *p, const int8_t *input, int8_t *output)
{
    int32_t o, r, i;

    for (o = 0; o < p->outer; ++o) {
        const int8_t *slab = input + o * p->reduce * p->inner;
        for (i = 0; i < p->inner; ++i) {
            int32_t sum = 0;
            int32_t out;
            for (r = 0; r < p->reduce; ++r) {
                sum += slab[r * p->inner + i];
            }
            out = tg_requantize(sum - p->input_zero_point * p->reduce, p->multiplier, p->shift) +
                  p->output_zero_point;
            out = out < INT8_MIN ? INT8_MIN : out;
            out = out > INT8_MAX ? INT8_MAX : out;
            *output++ = (int8_t)out;
        }
    }
}
