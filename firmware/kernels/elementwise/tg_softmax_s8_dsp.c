/*
 * tg_softmax_s8_dsp: softmax over the last axis, int8 in/out, for ARMv7E-M
 * (Cortex-M4/M7 DSP extension). Equals tg_softmax_s8 byte for byte.
 * numpy twin: tinygen.ref.kernels.softmax_s8.
 *
 * tg_softmax_s8 spends most of its instructions on gemmlowp's fixed-point exp, twice per
 * element. That exp depends only on the difference d = row max - x, which for int8 takes
 * the 256 values 0..255, and on the layer's constant scaling: the table (packed at
 * build time by tinygen.kernels.lut.softmax_exp_table from the numpy twin's own exp,
 * so exact by construction) holds exp(-d) in Q0 for d = 0..n-1, 0 below diff_min or
 * where the exp underflows, and stops after its last nonzero entry (word 0 is n).
 * A difference from n on contributes 0 to the sum and outputs -128, as in the
 * portable kernel (whose outputs for an exp of 0 are those too).
 *  - the row maximum 4 lanes at a time (SSUB8 sets a GE flag per byte, SEL picks);
 *  - the sum of exps in Q12: RoundingDivideByPOT(e, 12) of a non-negative e is
 *    (e + 2^11) >> 12 (unsigned: e < 2^31);
 *  - the reciprocal and each output's scaling exactly as tg_softmax_s8 computes them.
 *
 * Needs __ARM_FEATURE_DSP (-mcpu=cortex-m4 / cortex-m7).
 */
#include <arm_acle.h>

#include "tg_dsp_s8.h"
#include "tg_kernels.h"
#include "tg_requant.h"

enum {
    ACCUMULATION_INTEGER_BITS = 12 /* sum of exps format: Q12 */
};

/* The largest int8 of a row. */
static int32_t tg_softmax_row_max(const int8_t *x, int32_t depth)
{
    uint32_t m4 = 0x80808080u;      /* -128 in each byte */
    int32_t c, m;
    for (c = 0; c + 4 <= depth; c += 4) {
        const int32_t v = tg_dsp_load_s8x4(x + c);
        (void)__ssub8((int8x4_t)v, (int8x4_t)m4);
        m4 = __sel((uint8x4_t)v, (uint8x4_t)m4);     /* per byte max(v, m4) */
    }
    m = (int8_t)m4;
    m = (int8_t)(m4 >> 8) > m ? (int8_t)(m4 >> 8) : m;
    m = (int8_t)(m4 >> 16) > m ? (int8_t)(m4 >> 16) : m;
    m = (int8_t)(m4 >> 24) > m ? (int8_t)(m4 >> 24) : m;
    for (; c < depth; ++c) {
        m = x[c] > m ? x[c] : m;
    }
    return m;
}

void tg_softmax_s8_dsp(const tg_softmax_params_t *p, const int8_t *input, const int32_t *table, int8_t *output)
{
    const uint32_t n = (uint32_t)table[0];      /* entries: differences 0 .. n - 1 */
    const int32_t *const exp_q0 = table + 1;
    const int32_t depth = p->depth;
    int32_t r, c;

    for (r = 0; r < p->rows; ++r) {
        const int8_t *in_row = &input[r * depth];
        int8_t *out_row = &output[r * depth];
        const int32_t max_in_row = tg_softmax_row_max(in_row, depth);
        uint32_t sum_of_exps = 0; /* Q12 */
        int32_t headroom_plus_one, num_bits_over_unit, shifted_sum_minus_one, reciprocal, exponent;

        for (c = 0; c < depth; ++c) {
            const uint32_t d = (uint32_t)(max_in_row - in_row[c]);
            if (d < n) {
                sum_of_exps += ((uint32_t)exp_q0[d] + (1u << (ACCUMULATION_INTEGER_BITS - 1))) >>
                               ACCUMULATION_INTEGER_BITS;
            }
        }

        /* TFLite GetReciprocal, as in tg_softmax_s8 */
        headroom_plus_one = (int32_t)__builtin_clz(sum_of_exps);   /* CLZ; the sum is >= 2^19 */
        num_bits_over_unit = ACCUMULATION_INTEGER_BITS - headroom_plus_one;
        shifted_sum_minus_one = (int32_t)((sum_of_exps << headroom_plus_one) - ((uint32_t)1 << 31));
        reciprocal = tg_one_over_one_plus_x_for_x_in_0_1(shifted_sum_minus_one);
        exponent = num_bits_over_unit + 31 - 8;

        for (c = 0; c < depth; ++c) {
            const uint32_t d = (uint32_t)(max_in_row - in_row[c]);
            int32_t out = INT8_MIN;
            if (d < n) {
                out = tg_dsp_ssat8(tg_rounding_divide_by_pot(
                                       tg_saturating_rounding_doubling_high_mul(reciprocal, exp_q0[d]), exponent) +
                                   INT8_MIN);
            }
            out_row[c] = (int8_t)out;
        }
    }
}
