/*
 * tg_softmax_s16: SOFTMAX from int16 to int16 (TFLite Micro's reference SoftmaxInt16: zero
 * points 0, output 1/32768). Per row: each input's difference from the row's maximum, scaled
 * so that [-65535, 0] is [-10, 0] and recentred, goes through the exp LUT (written to the
 * output, summed); the sum, normalized to its leading bit, through the 1 / (1 + x) LUT; each
 * exp times that reciprocal, rounded back to Q0.15. The LUTs: `packed`, 513 int16 of exp then
 * 513 of 1 / (1 + x) (tinygen.quant.s16_params.softmax_s16_tables), looked up with 9 index
 * bits and 7 interpolated ones. Parameters: tinygen.quant.s16_params.softmax_s16_params.
 * Not in place (the exps wait in the output). numpy twin: tinygen.ref.int16.softmax_s16.
 */
#include "tg_kernels.h"
#include "tg_requant.h"

/* TFLite's LUTLookup on int16: lut[256 + (v >> 7)] plus the rounded slope over the low 7 bits */
static int16_t tg_lut_lookup_s16(int32_t v, const int16_t *lut)
{
    const int16_t *at = &lut[256 + (v >> 7)];
    const int32_t delta = ((at[1] - at[0]) * (v & 0x7F) + 64) >> 7;
    return (int16_t)(at[0] + delta);
}

static int32_t tg_saturate_s16(int32_t v)
{
    return v < INT16_MIN ? INT16_MIN : v > INT16_MAX ? INT16_MAX : v;
}

void tg_softmax_s16(const tg_softmax_s16_params_t *p, const int16_t *input, const int16_t *packed, int16_t *output)
{
    const int16_t *exp_lut = packed;
    const int16_t *reciprocal_lut = packed + 513;
    int32_t r, c;

    for (r = 0; r < p->rows; ++r) {
        const int16_t *in = input + r * p->depth;
        int16_t *out = output + r * p->depth;
        int16_t max = INT16_MIN;
        int32_t sum = 0;
        int32_t headroom, shift, reciprocal;
        int64_t round;

        for (c = 0; c < p->depth; ++c) {
            max = in[c] > max ? in[c] : max;
        }
        for (c = 0; c < p->depth; ++c) {
            const int32_t scaled = tg_requantize(in[c] - max, p->input_multiplier, p->input_shift);
            out[c] = tg_lut_lookup_s16(tg_saturate_s16(scaled + 32767), exp_lut);
            sum += out[c];
        }
        headroom = __builtin_clz((uint32_t)sum);
        reciprocal = tg_lut_lookup_s16(
            tg_saturate_s16((int32_t)((((int64_t)sum << (headroom - 1)) + (1 << 13)) >> 14) - ((1 << 15) + (1 << 16))),
            reciprocal_lut);
        shift = 31 - headroom;
        round = (int64_t)1 << (shift - 1);
        for (c = 0; c < p->depth; ++c) {
            const int64_t v = ((int64_t)out[c] * reciprocal + round) >> shift;
            out[c] = (int16_t)(v < 0 ? 0 : v > INT16_MAX ? INT16_MAX : v);
        }
    }
}
