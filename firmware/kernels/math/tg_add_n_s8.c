/*
 * tg_add_n_s8: the elementwise sum of `count` int8 tensors on one grid (TFLite's int8 ADD_N,
 * reference_ops::AddN): each value scaled onto the int32 grid of the sum (tg_sum_scale_s8.h),
 * added to the scaled input offset, requantized to the output. May not run in place.
 * numpy twin: tinygen.ref.mathsums.add_n_s8.
 */
#include "tg_sum_scale_s8.h"

void tg_add_n_s8(const tg_add_n_params_t *p, const int8_t *const *inputs, int8_t *output)
{
    const int32_t offset = p->input_offset, multiplier = p->input_multiplier, shift = p->input_shift;
    const int32_t start = tg_sum_scaled(0, offset, multiplier, shift);
    int32_t i, k;

    for (i = 0; i < p->size; ++i) {
        int32_t acc = start;
        for (k = 0; k < p->count; ++k) {
            acc = tg_sum_wrap(acc, tg_sum_scaled(inputs[k][i], offset, multiplier, shift));
        }
        output[i] = tg_sum_output(acc, p->output_multiplier, p->output_shift, p->output_offset);
    }
}
