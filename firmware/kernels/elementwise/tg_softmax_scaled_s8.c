/*
 * tg_softmax_scaled_s8: softmax over the last axis, int8 in/out, onto any output grid: the
 * probability tg_softmax_s8 computes in fixed point (the same exp, Q12 sum and reciprocal),
 * times the integer output_multiplier, rounded once to the output code, plus
 * output_zero_point. tg_softmax_s8 instead shifts the probability onto the grid 1/256
 * (output_multiplier 256 with zero point -128 gives its bytes); this kernel serves the
 * softmaxes of quantized ONNX models, whose output grid is the model's own (onnxruntime's
 * QLinearSoftmax multiplies by floor(1 / y_scale): tinygen.kernels.params_elementwise).
 *  - exp of each difference from the row maximum from the table tg_softmax_s8_dsp reads
 *    (tinygen.kernels.lut.softmax_exp_table: word 0 the entry count n, then exp(-d) in Q0);
 *    a difference from n on contributes nothing and outputs the zero point;
 *  - the probability is p = exp * (1 / (1 + x)) * 2^-(31 + num_bits_over_unit) (the
 *    doubling high multiply of tg_softmax_s8), and the output round(p * output_multiplier),
 *    one rounding (half up) of the 64-bit product.
 * Plain C: every target runs it. numpy twin: tinygen.ref.kernels.softmax_scaled_s8.
 */
#include "tg_kernels.h"
#include "tg_requant.h"

enum {
    ACCUMULATION_INTEGER_BITS = 12 /* sum of exps format: Q12 */
};

static int32_t leading_zeros(uint32_t x)
{
    int32_t n = 0;
    while ((x & 0x80000000u) == 0u) {
        x <<= 1;
        ++n;
    }
    return n;
}

void tg_softmax_scaled_s8(const tg_softmax_scaled_params_t *p, const int8_t *input, const int32_t *table,
                          int8_t *output)
{
    const uint32_t n = (uint32_t)table[0];      /* entries: differences 0 .. n - 1 */
    const int32_t *const exp_q0 = table + 1;
    const int32_t depth = p->depth;
    int32_t r, c;

    for (r = 0; r < p->rows; ++r) {
        const int8_t *in_row = &input[r * depth];
        int8_t *out_row = &output[r * depth];
        int32_t max_in_row = INT8_MIN;
        uint32_t sum_of_exps = 0; /* Q12, at least exp(0) = 2^19: never 0 */
        int32_t headroom_plus_one, shift, reciprocal;
        int64_t half;

        for (c = 0; c < depth; ++c) {
            max_in_row = in_row[c] > max_in_row ? in_row[c] : max_in_row;
        }
        for (c = 0; c < depth; ++c) {
            const uint32_t d = (uint32_t)(max_in_row - in_row[c]);
            if (d < n) {
                sum_of_exps += ((uint32_t)exp_q0[d] + (1u << (ACCUMULATION_INTEGER_BITS - 1))) >>
                               ACCUMULATION_INTEGER_BITS;
            }
        }

        /* TFLite GetReciprocal, as in tg_softmax_s8 */
        headroom_plus_one = leading_zeros(sum_of_exps);
        reciprocal = tg_one_over_one_plus_x_for_x_in_0_1(
            (int32_t)((sum_of_exps << headroom_plus_one) - ((uint32_t)1 << 31)));
        shift = ACCUMULATION_INTEGER_BITS - headroom_plus_one + 31;     /* 31 + num_bits_over_unit */
        half = (int64_t)1 << (shift - 1);

        for (c = 0; c < depth; ++c) {
            const uint32_t d = (uint32_t)(max_in_row - in_row[c]);
            int32_t out = p->output_zero_point;
            if (d < n) {
                const int64_t prob = tg_saturating_rounding_doubling_high_mul(reciprocal, exp_q0[d]);
                out += (int32_t)((prob * p->output_multiplier + half) >> shift);
            }
            out = out > INT8_MAX ? INT8_MAX : out;
            out_row[c] = (int8_t)(out < INT8_MIN ? INT8_MIN : out);
        }
    }
}
