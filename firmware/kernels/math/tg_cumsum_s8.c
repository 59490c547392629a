/*
 * tg_cumsum_s8: running sums of int8 values along one axis (TFLite's int8 CUMSUM,
 * reference_ops::CumSum): the tensor as [outer][depth][inner]; for each (outer, inner) the
 * values along depth, from the end when reverse, scaled onto the int32 grid of the sum
 * (tg_sum_scale_s8.h) and added to the scaled input offset; each output the sum before its
 * own value (exclusive) or after it, requantized. May run in place (each value is read before
 * its output is written).
 * numpy twin: tinygen.ref.mathsums.cumsum_s8.
 */
#include "tg_sum_scale_s8.h"

void tg_cumsum_s8(const tg_cumsum_params_t *p, const int8_t *input, int8_t *output)
{
    const int32_t offset = p->input_offset, multiplier = p->input_multiplier, shift = p->input_shift;
    const int32_t depth = p->depth, inner = p->inner;
    const int32_t start = tg_sum_scaled(0, offset, multiplier, shift);
    /* the step between the values summed, and where a line starts from its (outer, inner) corner */
    const int32_t step = p->reverse ? -inner : inner;
    const int32_t first = p->reverse ? (depth - 1) * inner : 0;
    int32_t o, i, d;

    for (o = 0; o < p->outer; ++o) {
        for (i = 0; i < inner; ++i) {
            const int32_t base = o * depth * inner + i + first;
            int32_t acc = start;
            for (d = 0; d < depth; ++d) {
                const int32_t at = base + d * step;
                const int32_t value = tg_sum_scaled(input[at], offset, multiplier, shift);
                int32_t before = acc;
                acc = tg_sum_wrap(acc, value);
                output[at] = tg_sum_output(p->exclusive ? before : acc, p->output_multiplier, p->output_shift,
                                           p->output_offset);
            }
        }
    }
}
