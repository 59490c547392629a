/*
 * tg_log_softmax_s8: LOG_SOFTMAX of int8 rows (TFLite's reference_ops::LogSoftmaxQuantized):
 * per row the differences to its maximum scaled into Q5.26, the sum of their exps (those at or
 * above diff_min) in Q12, its log in Q5 (tg_log_x.h). An output is (difference - log) in Q4
 * plus 127, saturated, where the difference lies above the adjusted diff_min (diff_min - 1, or
 * the log's reach back in input units if higher), else -128. May not run in place.
 * numpy twin: tinygen.ref.mathsums.log_softmax_s8.
 */
#include "tg_kernels_math.h"
#include "tg_log_x.h"

enum { TG_LOG_SOFTMAX_INPUT_BITS = 5, TG_LOG_SOFTMAX_ACCUM_BITS = 12, TG_LOG_SOFTMAX_OUTPUT_BITS = 4 };

void tg_log_softmax_s8(const tg_log_softmax_params_t *p, const int8_t *input, int8_t *output)
{
    const int32_t depth = p->depth, multiplier = p->input_multiplier, left_shift = p->input_left_shift;
    int32_t r, c;

    for (r = 0; r < p->rows; ++r) {
        const int8_t *row = input + r * depth;
        int8_t *out = output + r * depth;
        int32_t max = INT8_MIN, sum = 0, log_sum, bound, adjusted;
        for (c = 0; c < depth; ++c) {
            max = row[c] > max ? row[c] : max;
        }
        for (c = 0; c < depth; ++c) {
            const int32_t diff = row[c] - max;
            if (diff >= p->diff_min) {
                const int32_t exp_q0 = tg_exp_on_negative_values(tg_requantize(diff, multiplier, left_shift),
                                                                 TG_LOG_SOFTMAX_INPUT_BITS);
                sum = tg_wrap_add(sum, tg_rounding_divide_by_pot(exp_q0, TG_LOG_SOFTMAX_ACCUM_BITS));
            }
        }
        log_sum = tg_log_x_for_x_ge_1(sum, TG_LOG_SOFTMAX_ACCUM_BITS, TG_LOG_SOFTMAX_INPUT_BITS);
        bound = tg_requantize(log_sum + INT32_MIN, p->reverse_multiplier, p->reverse_shift);
        adjusted = p->diff_min - 1 > bound ? p->diff_min - 1 : bound;
        for (c = 0; c < depth; ++c) {
            const int32_t diff = row[c] - max;
            int32_t q = INT8_MIN;
            if (diff > adjusted) {
                const int32_t scaled = tg_requantize(diff, multiplier, left_shift);
                q = tg_rounding_divide_by_pot((int32_t)((uint32_t)scaled - (uint32_t)log_sum),
                                              31 - TG_LOG_SOFTMAX_INPUT_BITS - TG_LOG_SOFTMAX_OUTPUT_BITS) + INT8_MAX;
                q = q < INT8_MIN ? INT8_MIN : q;
                q = q > INT8_MAX ? INT8_MAX : q;
            }
            out[c] = (int8_t)q;
        }
    }
}
