/*
 * tg_softmax_s8: portable reference softmax, int8 in/out. Mirrors TFLite's
 * reference_ops::Softmax int8 path exactly:
 *  - each input difference from the row maximum, x - max >= diff_min, is
 *    scaled by input_multiplier * 2^input_left_shift into Q5 (beta and the
 *    input scale folded in) and exponentiated with gemmlowp's fixed-point exp;
 *  - the exps are summed in Q12 and the sum inverted with a Newton-Raphson
 *    reciprocal (TFLite's GetReciprocal);
 *  - each output is exp * (1 / sum) in units of 1/256, minus 128.
 * Differences below diff_min contribute nothing and output -128.
 * Parameters come from tinygen.quant.op_params.softmax_params.
 * numpy twin: tinygen.ref.kernels.softmax_s8.
 */
#include "tg_kernels.h"
#include "tg_requant.h"

enum {
    SCALED_DIFF_INTEGER_BITS = 5,  /* exp input format: Q5 */
    ACCUMULATION_INTEGER_BITS = 12 /* sum of exps format: Q12 */
};

static int32_t count_leading_zeros(uint32_t x)
{
    int32_t n = 0;
    if (x == 0u) {
        return 32;
    }
    while ((x & 0x80000000u) == 0u) {
        x <<= 1;
        ++n;
    }
    return n;
}

void tg_softmax_s8(const tg_softmax_params_t *p, const int8_t *input, int8_t *output)
{
    int32_t r, c;

    for (r = 0; r < p->rows; ++r) {
        const int8_t *in_row = &input[r * p->depth];
        int8_t *out_row = &output[r * p->depth];
        int32_t max_in_row = INT8_MIN;
        int32_t sum_of_exps = 0; /* Q12 */
        int32_t headroom_plus_one, num_bits_over_unit, shifted_sum_minus_one, reciprocal;
        int32_t exponent;

        for (c = 0; c < p->depth; ++c) {
            max_in_row = in_row[c] > max_in_row ? in_row[c] : max_in_row;
        }

        for (c = 0; c < p->depth; ++c) {
            const int32_t diff = (int32_t)in_row[c] - max_in_row;
            if (diff >= p->diff_min) {
                const int32_t scaled_diff =
                    tg_requantize(diff, p->input_multiplier, p->input_left_shift);
                const int32_t exp_q0 = tg_exp_on_negative_values(scaled_diff, SCALED_DIFF_INTEGER_BITS);
                sum_of_exps += tg_rounding_divide_by_pot(exp_q0, ACCUMULATION_INTEGER_BITS);
            }
        }

        /*
         * TFLite GetReciprocal: sum = 2^num_bits_over_unit * (1 + x), x in [0, 1);
         * reciprocal = 1 / (1 + x) in Q0.
         */
        headroom_plus_one = count_leading_zeros((uint32_t)sum_of_exps);
        num_bits_over_unit = ACCUMULATION_INTEGER_BITS - headroom_plus_one;
        shifted_sum_minus_one =
            (int32_t)(((uint32_t)sum_of_exps << headroom_plus_one) - ((uint32_t)1 << 31));
        reciprocal = tg_one_over_one_plus_x_for_x_in_0_1(shifted_sum_minus_one);
        exponent = num_bits_over_unit + 31 - 8;

        for (c = 0; c < p->depth; ++c) {
            const int32_t diff = (int32_t)in_row[c] - max_in_row;
            int32_t out = INT8_MIN;
            if (diff >= p->diff_min) {
                const int32_t scaled_diff =
                    tg_requantize(diff, p->input_multiplier, p->input_left_shift);
                const int32_t exp_q0 = tg_exp_on_negative_values(scaled_diff, SCALED_DIFF_INTEGER_BITS);
                out = tg_rounding_divide_by_pot(
                          tg_saturating_rounding_doubling_high_mul(reciprocal, exp_q0), exponent) +
                      INT8_MIN;
                out = out > INT8_MAX ? INT8_MAX : out;
                out = out < INT8_MIN ? INT8_MIN : out;
            }
            out_row[c] = (int8_t)out;
        }
    }
}
