/*
 * tg_softmax_s8_s16: portable softmax from int8 to int16 (TFLite's reference_ops::Softmax
 * with an int16 output: scale 1/65536, zero point -32768), tg_softmax_s8's arithmetic: each
 * input difference from the row maximum, x - max >= diff_min, scaled into Q5 and
 * exponentiated with gemmlowp's fixed-point exp; the exps summed in Q12 and the sum inverted
 * (TFLite's GetReciprocal); each output exp * (1 / sum) in units of 1/65536, minus 32768.
 * Parameters come from tinygen.quant.op_params.softmax_params.
 * numpy twin: tinygen.ref.int16.softmax_s8_s16.
 */
#include "tg_kernels.h"
#include "tg_requant.h"

enum {
    TG_SOFTMAX_SCALED_DIFF_INTEGER_BITS = 5,  /* exp input format: Q5 */
    TG_SOFTMAX_ACCUMULATION_INTEGER_BITS = 12 /* sum of exps format: Q12 */
};

typedef struct {
    int32_t max_in_row;
    int32_t reciprocal;             /* 1 / (1 + x) in Q0, the sum being 2^num_bits_over_unit * (1 + x) */
    int32_t num_bits_over_unit;
} tg_softmax_row_t;

static int32_t tg_softmax_clz(uint32_t x)
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

/* The exp of difference `diff` from the row maximum in Q0 (diff >= diff_min). */
static int32_t tg_softmax_exp(const tg_softmax_params_t *p, int32_t diff)
{
    const int32_t scaled_diff = tg_requantize(diff, p->input_multiplier, p->input_left_shift);
    return tg_exp_on_negative_values(scaled_diff, TG_SOFTMAX_SCALED_DIFF_INTEGER_BITS);
}

static tg_softmax_row_t tg_softmax_row(const tg_softmax_params_t *p, const int8_t *in_row)
{
    tg_softmax_row_t row;
    int32_t sum_of_exps = 0;       /* Q12 */
    int32_t headroom_plus_one, c;

    row.max_in_row = INT8_MIN;
    for (c = 0; c < p->depth; ++c) {
        row.max_in_row = in_row[c] > row.max_in_row ? in_row[c] : row.max_in_row;
    }
    for (c = 0; c < p->depth; ++c) {
        const int32_t diff = (int32_t)in_row[c] - row.max_in_row;
        if (diff >= p->diff_min) {
            sum_of_exps += tg_rounding_divide_by_pot(tg_softmax_exp(p, diff), TG_SOFTMAX_ACCUMULATION_INTEGER_BITS);
        }
    }
    headroom_plus_one = tg_softmax_clz((uint32_t)sum_of_exps);
    row.num_bits_over_unit = TG_SOFTMAX_ACCUMULATION_INTEGER_BITS - headroom_plus_one;
    row.reciprocal = tg_one_over_one_plus_x_for_x_in_0_1(
        (int32_t)(((uint32_t)sum_of_exps << headroom_plus_one) - ((uint32_t)1 << 31)));
    return row;
}

/* Output c of the row: the probability in units of 2^-bits (8 for int8, 16 for int16 outputs)
   plus the type's minimum lo, clamped to [lo, hi]; lo where the difference is below diff_min. */
static int32_t tg_softmax_unit(const tg_softmax_params_t *p, const tg_softmax_row_t *row, int32_t x,
                                      int32_t bits, int32_t lo, int32_t hi)
{
    const int32_t diff = x - row->max_in_row;
    int32_t out = lo;
    if (diff >= p->diff_min) {
        out = tg_rounding_divide_by_pot(tg_saturating_rounding_doubling_high_mul(row->reciprocal,
                                                                                 tg_softmax_exp(p, diff)),
                                        row->num_bits_over_unit + 31 - bits) + lo;
        out = out > hi ? hi : out;
        out = out < lo ? lo : out;
    }
    return out;
}

void tg_softmax_s8_s16(const tg_softmax_params_t *p, const int8_t *input, int16_t *output)
{
    int32_t r, c;

    for (r = 0; r < p->rows; ++r) {
        const int8_t *in_row = &input[r * p->depth];
        const tg_softmax_row_t row = tg_softmax_row(p, in_row);
        for (c = 0; c < p->depth; ++c) {
            output[r * p->depth + c] = (int16_t)tg_softmax_unit(p, &row, in_row[c], 16, INT16_MIN, INT16_MAX);
        }
    }
}
