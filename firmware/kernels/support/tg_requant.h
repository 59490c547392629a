/*
 * tinygen fixed-point helpers: TFLite's requantization arithmetic and the
 * gemmlowp fixed-point functions (exp, 1/(1+x), (1-x)/(1+x), logistic, tanh) that
 * TFLite's int8 softmax, logistic and tanh reference kernels are built on.
 *
 * Each function mirrors, bit for bit:
 *  - tinygen/quant/fixedpoint.py (requantization), and
 *  - tinygen/ref/gemmlowp.py (the private _exp_on_negative_values,
 *    _one_over_one_plus_x_for_x_in_0_1, _logistic_q0, _tanh_q0 and the helpers
 *    they share).
 *
 * Fixed-point notation: a "Qm" int32 value has m integer bits and 31 - m
 * fractional bits, so Q0 holds [-1, 1) and Q5 holds [-32, 32).
 *
 * Portability: every operation here is defined by C99 except two that are
 * implementation-defined, and both behave as two's complement hardware does
 * on gcc, clang and arm-none-eabi-gcc (and every compiler tinygen targets):
 *  - `>>` of a negative int32_t is an arithmetic (sign-extending) shift;
 *  - converting a uint32_t above INT32_MAX to int32_t wraps modulo 2^32.
 * No function here overflows a signed type or shifts by a negative amount.
 */
#ifndef TG_REQUANT_H
#define TG_REQUANT_H

#include <stddef.h>
#include <stdint.h>

/* ---------------------------------------------------------------------- */
/* Requantization (TFLite MultiplyByQuantizedMultiplier, double rounding)  */
/* ---------------------------------------------------------------------- */

/*
 * gemmlowp SaturatingRoundingDoublingHighMul (ARM VQRDMULH): a * b / 2^31
 * rounded to nearest, halves upward (floor(a * b / 2^31 + 1/2)); the one
 * overflowing case, INT32_MIN * INT32_MIN, saturates to INT32_MAX.
 */
static inline int32_t tg_saturating_rounding_doubling_high_mul(int32_t a, int32_t b)
{
    if (a == INT32_MIN && b == INT32_MIN) {
        return INT32_MAX;
    }
    const int64_t ab = (int64_t)a * (int64_t)b;
    const int64_t nudge = ab >= 0 ? ((int64_t)1 << 30) : (1 - ((int64_t)1 << 30));
    /* C99 division truncates toward zero, as gemmlowp's does */
    return (int32_t)((ab + nudge) / ((int64_t)1 << 31));
}

/*
 * gemmlowp RoundingDivideByPOT: x / 2^exponent rounded to nearest, halves away
 * from zero. exponent in [0, 31].
 */
static inline int32_t tg_rounding_divide_by_pot(int32_t x, int32_t exponent)
{
    const int32_t mask = (int32_t)(((int64_t)1 << exponent) - 1);
    const int32_t remainder = x & mask;
    const int32_t threshold = (mask >> 1) + (x < 0 ? 1 : 0);
    /* arithmetic shift of a negative value: see the note at the top */
    return (x >> exponent) + (remainder > threshold ? 1 : 0);
}

/*
 * Wrapping left shift: x * 2^amount modulo 2^32, amount in [0, 31]. Done on
 * uint32_t because a signed left shift that overflows is undefined behaviour.
 */
static inline int32_t tg_wrapping_shift_left(int32_t x, int32_t amount)
{
    return (int32_t)((uint32_t)x << amount);
}

/*
 * TFLite MultiplyByQuantizedMultiplier (double rounding): approximately
 * acc * multiplier * 2^(shift - 31), the real requantization scale being
 * multiplier * 2^(shift - 31) with multiplier in [2^30, 2^31).
 * shift in [-31, 31]; shift > 0 is a left shift applied to acc first, which
 * wraps (as TFLite's int32 product does on every target) if it overflows.
 */
static inline int32_t tg_requantize(int32_t acc, int32_t multiplier, int32_t shift)
{
    const int32_t left_shift = shift > 0 ? shift : 0;
    const int32_t right_shift = shift > 0 ? 0 : -shift;
    const int32_t shifted = tg_wrapping_shift_left(acc, left_shift);
    return tg_rounding_divide_by_pot(
        tg_saturating_rounding_doubling_high_mul(shifted, multiplier), right_shift);
}

/*
 * TFLite MultiplyByQuantizedMultiplier for an int64 sum (the 16x8 kernels' int16 x int8
 * products, |acc| < 2^47): the multiplier rounded to its top 16 bits (0x7FFF at most), then
 * one rounding shift right by 15 - shift. A right shift of a negative int64 is arithmetic, as
 * the two's complement targets above do it.
 */
static inline int32_t tg_requantize_s64(int64_t acc, int32_t multiplier, int32_t shift)
{
    const int64_t reduced = multiplier < 0x7FFF0000 ? (multiplier + (1 << 15)) >> 16 : 0x7FFF;
    const int32_t total_shift = 15 - shift;
    return (int32_t)((acc * reduced + ((int64_t)1 << (total_shift - 1))) >> total_shift);
}

/* tg_requantize_s64 of acc + bias[oc] (bias may be NULL), clamped to [act_min, act_max]:
   the tail of the 16x8 MAC kernels (tg_conv2d_s16, ...). */
static inline int16_t tg_requant_channel_s16(int64_t acc, const int64_t *bias, const int32_t *multiplier,
                                             const int8_t *shift, int32_t oc, int32_t act_min, int32_t act_max)
{
    int32_t out;
    if (bias != NULL) {
        acc += bias[oc];
    }
    out = tg_requantize_s64(acc, multiplier[oc], shift[oc]);
    out = out < act_min ? act_min : out;
    out = out > act_max ? act_max : out;
    return (int16_t)out;
}

/*
 * TFLite MultiplyByQuantizedMultiplierSmallerThanOneExp: the same for
 * shift <= 0 (no left shift), shift in [-31, 0].
 */
static inline int32_t tg_requantize_smaller_than_one_exp(int32_t acc, int32_t multiplier,
                                                         int32_t shift)
{
    return tg_rounding_divide_by_pot(tg_saturating_rounding_doubling_high_mul(acc, multiplier),
                                     -shift);
}

/*
 * tg_requantize for the kernels' hot loops: the same result in fewer
 * instructions (SMULL, ADDS/ADC, two shifts and the rounding, about 8 on
 * Cortex-M4/M7 against 20+). Precondition: multiplier > INT32_MIN (conv and fully
 * connected multipliers lie in [2^30, 2^31), or are 0; passes/nested.py negates some to
 * negate a channel's accumulator); shift in [-31, 31].
 *
 * Why it equals tg_requantize (tested exhaustively on edge values and on
 * millions of random ones in tests/quant/test_fixedpoint.py):
 *
 * 1. SaturatingRoundingDoublingHighMul(a, b) with b > INT32_MIN equals
 *    floor((a * b + 2^30) / 2^31). It saturates only for a == b == INT32_MIN,
 *    excluded. For a * b >= 0 the nudge is 2^30 and the truncating division is
 *    a floor. For a * b < 0, with y = a * b + 1 - 2^30 < 0 and D = 2^31:
 *    trunc(y / D) = ceil(y / D) = floor((y + D - 1) / D) = floor((a * b + 2^30) / D).
 *    The result lies in [-2^31 + 1, 2^31 - 1]: |a * b| <= 2^31 * (2^31 - 1), so
 *    floor((a * b + 2^30) / 2^31) lies within +-(2^31 - 1). The int64 sum cannot overflow.
 *
 * 2. RoundingDivideByPOT(x, n) for n >= 1 equals floor((x - [x < 0] + 2^(n-1)) / 2^n):
 *    write x = q * 2^n + r, 0 <= r < 2^n (q = x >> n). gemmlowp adds 1 to q when
 *    r > 2^(n-1) - 1 + [x < 0], i.e. when r + 2^(n-1) - [x < 0] >= 2^n, which is
 *    floor((r + 2^(n-1) - [x < 0]) / 2^n) (that term is 0 or 1 as
 *    0 <= r + 2^(n-1) - [x < 0] < 2^(n+1)). For n == 0 it is x.
 *    With x' = x - [x < 0] (no overflow: x > INT32_MIN by 1.) the sum
 *    x' + 2^(n-1) may overflow int32, so it is computed as
 *    ((x' >> (n - 1)) + 1) >> 1: floor((floor(y) + 1) / 2) = floor((y + 1) / 2)
 *    for y = x' / 2^(n-1), and (x' >> (n - 1)) + 1 <= 2^31 - 1 cannot overflow.
 */
static inline int32_t tg_requantize_fast(int32_t acc, int32_t multiplier, int32_t shift)
{
    /* arithmetic shifts of negative values: see the note at the top */
    if (__builtin_expect(shift < 0, 1)) {   /* the usual case: a scale below 1/2 */
        const int32_t x = (int32_t)(((int64_t)acc * multiplier + ((int64_t)1 << 30)) >> 31);
        return (((x + (x >> 31)) >> (-shift - 1)) + 1) >> 1;
    }
    /* a left shift wraps, as in tg_requantize */
    return (int32_t)(((int64_t)(int32_t)((uint32_t)acc << shift) * multiplier + ((int64_t)1 << 30)) >> 31);
}

/*
 * tg_requantize in about 6 instructions (MOV, MOV, SMLAL, ADD, ADD, ASR), for
 * kernels that checked its preconditions once per call:
 * multiplier in [2^30, 2^31), shift in [-31, -1] and |acc| < 2^30.
 * Equal to tg_requantize there (tests/quant/test_fixedpoint.py), because, with n = -shift:
 *
 * 1. tg_requantize_fast's proof gives floor((x - [x < 0] + 2^(n-1)) / 2^n) with
 *    x = floor((acc * m + 2^30) / 2^31); [x < 0] may be replaced by [acc < 0]:
 *    acc >= 0 gives x >= 0, acc < 0 gives x <= 0, and for x == 0 both choices
 *    give 0 as n >= 1.
 * 2. m2 = 2m - 2^32 (2m as an int32: m >= 2^30). SMLAL of acc * m2 onto
 *    2^(n-1) * 2^32 + 2^31 gives Q = 2 acc m + 2^31 + 2^(31+n) - acc * 2^32, well
 *    inside int64, whose high word is x + 2^(n-1) - acc. Adding acc and
 *    -[acc < 0] (acc >> 31) gives T = x - [acc < 0] + 2^(n-1), and the result is
 *    T >> n. |x| <= |acc| < 2^30 and 2^(n-1) <= 2^30 keep T in int32, so the
 *    wrapping uint32 additions give T exactly.
 *
 * tg_requantize_bounded_sign with sign 0 leaves out the -[acc < 0] (the sign's ADD): that
 * changes the result only at an exact tie below zero (x + 2^(n-1) a multiple of 2^n, acc < 0),
 * and there only from k - 1 to k with k <= 0, so after adding an output zero point zp and
 * clamping at act_min >= zp both give act_min (DSP kernels use it for such layers:
 * TG_REQUANT_POS in tg_mat_mult_s8_dsp.h).
 */
static inline int32_t tg_requantize_bounded_sign(int32_t acc, int32_t multiplier, int32_t shift, int32_t sign)
{
    const int32_t m2 = (int32_t)((uint32_t)multiplier << 1);
    const int64_t init = (int64_t)(((uint64_t)1 << (-shift - 1)) << 32 | 0x80000000u);
    const int32_t hi = (int32_t)((uint64_t)(init + (int64_t)acc * m2) >> 32);
    return (int32_t)((uint32_t)hi + (uint32_t)acc + (uint32_t)(sign ? acc >> 31 : 0)) >> -shift;
}

static inline int32_t tg_requantize_bounded(int32_t acc, int32_t multiplier, int32_t shift)
{
    return tg_requantize_bounded_sign(acc, multiplier, shift, 1);
}

/* ---------------------------------------------------------------------- */
/* gemmlowp fixed-point functions                                          */
/* ---------------------------------------------------------------------- */

/*
 * gemmlowp SaturatingRoundingMultiplyByPOT for a positive exponent in [1, 30]:
 * x * 2^exponent, saturated to the int32 range.
 */
/*
 * The int8 output of channel oc of a convolution accumulator: its bias (NULL: none),
 * tg_requantize_fast, the output zero point and the activation clamp.
 */
static inline int8_t tg_requant_channel_s8(int32_t acc, const int32_t *bias, const int32_t *multiplier,
                                           const int8_t *shift, int32_t oc, int32_t output_offset,
                                           int32_t act_min, int32_t act_max)
{
    if (bias != NULL) {
        acc += bias[oc];
    }
    acc = tg_requantize_fast(acc, multiplier[oc], shift[oc]) + output_offset;
    acc = acc < act_min ? act_min : acc;
    acc = acc > act_max ? act_max : acc;
    return (int8_t)acc;
}

static inline int32_t tg_saturating_shift_left(int32_t x, int32_t exponent)
{
    const int32_t threshold = (int32_t)(((int64_t)1 << (31 - exponent)) - 1);
    if (x > threshold) {
        return INT32_MAX;
    }
    if (x < -threshold) {
        return INT32_MIN;
    }
    return x * ((int32_t)1 << exponent);
}

/*
 * gemmlowp RoundingHalfSum: (a + b) / 2, halves away from zero.
 */
static inline int32_t tg_rounding_half_sum(int32_t a, int32_t b)
{
    const int64_t sum = (int64_t)a + (int64_t)b;
    const int64_t sign = sum >= 0 ? 1 : -1;
    return (int32_t)((sum + sign) / 2);
}

/*
 * gemmlowp exp_on_interval_between_negative_one_quarter_and_0_excl:
 * exp(a) for a in [-1/4, 0), Q0 in and out. A 4th-order Taylor expansion
 * around -1/8.
 */
static inline int32_t tg_exp_on_interval_neg_quarter_to_0(int32_t a)
{
    const int32_t exp_minus_one_eighth = 1895147668; /* exp(-1/8) in Q0 */
    const int32_t one_third = 715827883;             /* 1/3 in Q0 */
    const int32_t x = a + ((int32_t)1 << 28);        /* a + 1/8 */
    const int32_t x2 = tg_saturating_rounding_doubling_high_mul(x, x);
    const int32_t x3 = tg_saturating_rounding_doubling_high_mul(x2, x);
    const int32_t x4 = tg_saturating_rounding_doubling_high_mul(x2, x2);
    const int32_t x4_over_4 = tg_rounding_divide_by_pot(x4, 2);
    /* x^4/24 + x^3/6 + x^2/2 = ((x^4/4 + x^3) / 3 + x^2) / 2 */
    const int32_t poly = tg_rounding_divide_by_pot(
        tg_saturating_rounding_doubling_high_mul(x4_over_4 + x3, one_third) + x2, 1);
    return exp_minus_one_eighth +
           tg_saturating_rounding_doubling_high_mul(exp_minus_one_eighth, x + poly);
}

/*
 * gemmlowp exp_on_negative_values: exp(a) for a <= 0, a in Q(integer_bits)
 * with integer_bits in [1, 30], result in Q0 (exp(0) gives INT32_MAX).
 * a = -k/4 + r with r in [-1/4, 0): exp(r) by the polynomial, then one
 * multiplication by exp(-2^e) for each set bit e of k/4 ("barrel shifter").
 */
static inline int32_t tg_exp_on_negative_values(int32_t a, int32_t integer_bits)
{
    /* exp(-2^e) in Q0, for e = -2 .. 4 */
    static const int32_t exp_of_minus_pot[7] = {
        1672461947, 1302514674, 790015084, 290630308, 39332535, 720401, 242,
    };
    const int32_t fractional_bits = 31 - integer_bits;
    const int32_t one_quarter = (int32_t)1 << (fractional_bits - 2);
    const int32_t mask = one_quarter - 1;
    const int32_t a_mod_quarter_minus_one_quarter = (a & mask) - one_quarter;
    int32_t result = tg_exp_on_interval_neg_quarter_to_0(
        tg_saturating_shift_left(a_mod_quarter_minus_one_quarter, integer_bits));
    const int32_t remainder = a_mod_quarter_minus_one_quarter - a;
    int32_t e;

    for (e = -2; e <= 4; ++e) {
        if (integer_bits > e) {
            const int32_t bit = (int32_t)1 << (fractional_bits + e);
            if ((remainder & bit) != 0) {
                result = tg_saturating_rounding_doubling_high_mul(result, exp_of_minus_pot[e + 2]);
            }
        }
    }
    if (integer_bits > 5) {
        /* below -32 the result is 0 */
        const int32_t clamp = -((int32_t)1 << (36 - integer_bits));
        if (a < clamp) {
            result = 0;
        }
    }
    if (a == 0) {
        result = INT32_MAX;
    }
    return result;
}

/*
 * The Newton-Raphson division gemmlowp's one_over_one_plus_x_for_x_in_0_1 and
 * one_minus_x_over_one_plus_x_for_x_in_0_1 share: 2 / (1 + a) in Q2 for a in
 * [0, 1) in Q0, three iterations from 48/17 - 32/17 * (1 + a) / 2.
 */
static inline int32_t tg_two_over_one_plus_x_q2(int32_t a)
{
    const int32_t constant_48_over_17 = 1515870810;      /* Q2 */
    const int32_t constant_neg_32_over_17 = -1010580540; /* Q2 */
    const int32_t one_q2 = (int32_t)1 << 29;
    const int32_t half_denominator = tg_rounding_half_sum(a, INT32_MAX);
    int32_t x = constant_48_over_17 +
                tg_saturating_rounding_doubling_high_mul(half_denominator, constant_neg_32_over_17);
    int32_t i;

    for (i = 0; i < 3; ++i) {
        const int32_t half_denominator_times_x =
            tg_saturating_rounding_doubling_high_mul(half_denominator, x);
        const int32_t one_minus_half_denominator_times_x = one_q2 - half_denominator_times_x;
        /* Q2 * Q2 is Q4; rescale back to Q2 */
        x = x + tg_saturating_shift_left(
                    tg_saturating_rounding_doubling_high_mul(x, one_minus_half_denominator_times_x),
                    2);
    }
    /* x approximates 1 / half_denominator = 2 / (1 + a), in Q2 */
    return x;
}

/*
 * gemmlowp one_over_one_plus_x_for_x_in_0_1: 1 / (1 + a) for a in [0, 1),
 * Q0 in and out.
 */
static inline int32_t tg_one_over_one_plus_x_for_x_in_0_1(int32_t a)
{
    /* 2 / (1 + a) in Q2 is 1 / (1 + a) in Q1; rescale to Q0 */
    return tg_saturating_shift_left(tg_two_over_one_plus_x_q2(a), 1);
}

/*
 * gemmlowp logistic: 1 / (1 + exp(-a)), a in Q(integer_bits) with
 * integer_bits in [1, 30], result in Q0.
 */
static inline int32_t tg_logistic_q0(int32_t a, int32_t integer_bits)
{
    if (a == 0) {
        return (int32_t)1 << 30; /* one half */
    }
    {
        /* -a computed without overflowing: a == INT32_MIN maps to itself */
        const int32_t abs_a = a > 0 ? a : (int32_t)(0u - (uint32_t)a);
        const int32_t result_if_positive = tg_one_over_one_plus_x_for_x_in_0_1(
            tg_exp_on_negative_values((int32_t)(0u - (uint32_t)abs_a), integer_bits));
        return a > 0 ? result_if_positive : INT32_MAX - result_if_positive;
    }
}

/* -- tanh (the int8 TANH kernel, tg_tanh_s8) ------------------------------- */

/*
 * gemmlowp one_minus_x_over_one_plus_x_for_x_in_0_1: (1 - a) / (1 + a) for a in
 * [0, 1), Q0 in and out.
 */
static inline int32_t tg_one_minus_x_over_one_plus_x_for_x_in_0_1(int32_t a)
{
    return tg_saturating_shift_left(tg_two_over_one_plus_x_q2(a) - ((int32_t)1 << 29), 2);
}

/*
 * gemmlowp tanh: tanh(a), a in Q(integer_bits) with integer_bits in [1, 29],
 * result in Q0. With n = -|a| and e = exp(2n) (exp_on_negative_values of n's raw
 * value read with one more integer bit), tanh(|a|) = (1 - e) / (1 + e).
 */
static inline int32_t tg_tanh_q0(int32_t a, int32_t integer_bits)
{
    if (a == 0) {
        return 0;
    }
    {
        /* -|a| computed without overflowing: a == INT32_MIN maps to itself */
        const int32_t negative_abs = a < 0 ? a : (int32_t)(0u - (uint32_t)a);
        const int32_t t = tg_one_minus_x_over_one_plus_x_for_x_in_0_1(
            tg_exp_on_negative_values(negative_abs, integer_bits + 1));
        return a < 0 ? -t : t;
    }
}

#endif /* TG_REQUANT_H */
