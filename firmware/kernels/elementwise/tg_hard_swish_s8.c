/*
 * tg_hard_swish_s8: portable reference hard swish, x * relu6(x + 3) / 6, int8.
 * Mirrors TFLite's reference_ops::HardSwish (int8) step by step, in 16-bit
 * fixed point:
 *  - the offset input is shifted left by 7 onto a "hires" scale;
 *  - its value on the output scale (before the final shift) is a 16-bit
 *    rounding doubling high multiply by output_multiplier;
 *  - the "relu-ish" factor rescales the input so that 3.0 maps to 32768,
 *    saturating, then maps [-1, 1] to [0, 1];
 *  - their product (a truncating doubling high multiply) is shifted right by
 *    -output_exponent and offset by the output zero point.
 * Parameters come from tinygen.quant.op_params.hard_swish_params.
 * numpy twin: tinygen.ref.kernels.hard_swish_s8.
 */
#include "tg_kernels.h"

enum { HIRES_SHIFT = 7 };

/* gemmlowp SaturatingRoundingDoublingHighMul for int16: a * b / 2^15, rounded. */
static int32_t srdhm16(int32_t a, int32_t b)
{
    const int32_t ab = a * b;
    const int32_t nudge = ab >= 0 ? (1 << 14) : (1 - (1 << 14));
    if (a == INT16_MIN && b == INT16_MIN) {
        return INT16_MAX;
    }
    /* C99 division truncates toward zero, as TFLite's does */
    return (int32_t)(int16_t)((ab + nudge) / (1 << 15));
}

/* TFLite SaturatingDoublingHighMul for int16: a * b / 2^15, truncated toward zero. */
static int32_t sdhm16(int32_t a, int32_t b)
{
    if (a == INT16_MIN && b == INT16_MIN) {
        return INT16_MAX;
    }
    return (int32_t)(int16_t)((a * b) / (1 << 15));
}

/* gemmlowp RoundingDivideByPOT on an int16 value, exponent in [0, 15]. */
static int32_t rdbpot16(int32_t x, int32_t exponent)
{
    const int32_t mask = (1 << exponent) - 1;
    const int32_t remainder = x & mask;
    const int32_t threshold = (mask >> 1) + (x < 0 ? 1 : 0);
    /* arithmetic shift of a negative value: see tg_requant.h */
    return (x >> exponent) + (remainder > threshold ? 1 : 0);
}

/* TFLite SaturatingLeftShift for int16: value * 2^amount, saturated to int16. */
static int32_t saturating_left_shift16(int32_t value, int32_t amount)
{
    const int64_t result = (int64_t)value * ((int64_t)1 << amount);
    if (result > INT16_MAX) {
        return INT16_MAX;
    }
    if (result < INT16_MIN) {
        return INT16_MIN;
    }
    return (int32_t)result;
}

void tg_hard_swish_s8(const tg_hard_swish_params_t *p, const int8_t *input, int8_t *output)
{
    int32_t i;

    for (i = 0; i < p->size; ++i) {
        /* |input - zero point| <= 255, so the shifted value fits in int16 */
        const int32_t hires = ((int32_t)input[i] - p->input_zero_point) * (1 << HIRES_SHIFT);
        const int32_t preshift_output = srdhm16(hires, p->output_multiplier);
        int32_t reluish = hires;
        int32_t out;

        if (p->reluish_exponent > 0) {
            reluish = saturating_left_shift16(reluish, p->reluish_exponent - 1);
        }
        reluish = srdhm16(reluish, p->reluish_multiplier);
        if (p->reluish_exponent > 0) {
            reluish = saturating_left_shift16(reluish, 1);
        }
        if (p->reluish_exponent < 0) {
            reluish = rdbpot16(reluish, -p->reluish_exponent);
        }
        /* [-1, 1] on the 2^15 scale to [0, 1] */
        reluish = (reluish + (1 << 15)) >> 1;
        out = rdbpot16(sdhm16(reluish, preshift_output), -p->output_exponent) + p->output_zero_point;
        out = out < INT8_MIN ? INT8_MIN : out;
        out = out > INT8_MAX ? INT8_MAX : out;
        output[i] = (int8_t)out;
    }
}
