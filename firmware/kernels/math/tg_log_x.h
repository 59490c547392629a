/*
 * tg_log_x.h: TFLite's log_x_for_x_greater_than_or_equal_to_1 (kernels/internal/common.h), the
 * logarithm of the int8 LOG_SOFTMAX's sum of exps, in gemmlowp fixed point.
 * numpy twin: tinygen.ref.gemmlowp._log_x_ge_1.
 */
#ifndef TG_LOG_X_H
#define TG_LOG_X_H

#include <stdint.h>

#include "tg_requant.h"

/* TFLite SaturatingRoundingMultiplyByPOTParam for exponent in [0, 30] (0: x itself). */
static inline int32_t tg_shift_pot(int32_t x, int32_t exponent)
{
    return exponent == 0 ? x : tg_saturating_shift_left(x, exponent);
}

static inline int32_t tg_saturating_add64(int64_t sum)
{
    return sum > INT32_MAX ? INT32_MAX : (sum < INT32_MIN ? INT32_MIN : (int32_t)sum);
}

static inline int32_t tg_wrap_add(int32_t a, int32_t b)
{
    return (int32_t)((uint32_t)a + (uint32_t)b);
}

static inline int32_t tg_srdhm(int32_t a, int32_t b)
{
    return tg_saturating_rounding_doubling_high_mul(a, b);
}

/*
 * log(a) for a >= 1 (a > 0) in Q(input_bits), the result in Q(output_bits), output_bits in
 * [1, 29]. The power of two below a from its leading zeros (two candidates: a and
 * a * sqrt(1/2), the one whose remainder r lies nearer 1 kept), plus a rational approximation of
 * log(r) around sqrt(sqrt(1/2)); summed with one extra integer bit of headroom.
 */
static inline int32_t tg_log_x_for_x_ge_1(int32_t a, int32_t input_bits, int32_t output_bits)
{
    const int32_t log_2 = 1488522236, sqrt_sqrt_half = 1805811301, sqrt_half = 1518500250;
    const int32_t alpha_n = 117049297, alpha_d = 127690142, alpha_i = 1057819769, alpha_f = 638450708;
    const int32_t accum_bits = output_bits + 1;
    const int32_t shifted_quarter = tg_rounding_divide_by_pot(536870912, accum_bits);  /* 1/4 in Q(accum_bits) */
    const int32_t z_a_headroom_plus_1 = __builtin_clz((uint32_t)a);
    const int32_t r_a_raw = tg_shift_pot(tg_srdhm(tg_shift_pot(a, z_a_headroom_plus_1 - 1), sqrt_half), 1);
    const int32_t z_a_pow_2_adj = tg_saturating_add64(
        (int64_t)tg_shift_pot(input_bits - z_a_headroom_plus_1, 31 - accum_bits) + shifted_quarter);
    const int32_t z_b = tg_srdhm(a, sqrt_half);
    const int32_t z_b_headroom = __builtin_clz((uint32_t)z_b) - 1;
    const int32_t r_b_raw = tg_shift_pot(a, z_b_headroom);
    const int32_t z_b_pow_2_adj = tg_saturating_add64(
        (int64_t)tg_shift_pot(input_bits - z_b_headroom, 31 - accum_bits) - shifted_quarter);
    const int32_t r = r_a_raw < r_b_raw ? r_a_raw : r_b_raw;
    const int32_t z_pow_2_adj = z_a_pow_2_adj > z_b_pow_2_adj ? z_a_pow_2_adj : z_b_pow_2_adj;
    const int32_t p = tg_rounding_half_sum(r, sqrt_sqrt_half);
    const int32_t q_half = (int32_t)((uint32_t)r - (uint32_t)sqrt_sqrt_half);
    const int32_t q = tg_wrap_add(q_half, q_half);
    const int32_t common_sq = tg_srdhm(q, q);
    const int32_t num = tg_wrap_add(tg_srdhm(q, r), tg_srdhm(tg_srdhm(q, common_sq), alpha_n));
    const int32_t denom_minus_one = tg_wrap_add(
        tg_srdhm(p, tg_wrap_add(tg_wrap_add(alpha_i, q), tg_srdhm(alpha_d, common_sq))), tg_srdhm(alpha_f, q));
    const int32_t recip_denom = tg_one_over_one_plus_x_for_x_in_0_1(denom_minus_one);
    const int32_t num_scaled = tg_rounding_divide_by_pot(num, accum_bits);
    const int32_t result = tg_wrap_add(tg_srdhm(z_pow_2_adj, log_2), tg_srdhm(num_scaled, recip_denom));
    return tg_saturating_shift_left(result, accum_bits - output_bits);
}

#endif /* TG_LOG_X_H */
