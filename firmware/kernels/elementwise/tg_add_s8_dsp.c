/*
 * tg_add_s8_dsp: elementwise add of two same-shape int8 tensors for ARMv7E-M
 * (Cortex-M4/M7 DSP extension). Equals tg_add_s8 (TFLite's int8 ADD) bit for bit.
 * numpy twin: tinygen.ref.kernels.add_s8.
 *
 * TFLite's arithmetic per element: each input, (x + offset) << left_shift, is
 * rescaled by MultiplyByQuantizedMultiplierSmallerThanOneExp (a rounding doubling
 * high multiply, then a rounding right shift by n = -shift >= 0), the two are
 * added, and the sum is rescaled the same way to the output. Here, for
 * left_shift <= 20 (TFLite uses 20) and non-negative multipliers, every value
 * stays far enough inside int32 that:
 *  - SaturatingRoundingDoublingHighMul(a, m), m >= 0, is floor((a * m + 2^30) / 2^31)
 *    (tg_requantize_fast in tg_requant.h), i.e. SMMULR of 2a, as |2a| < 2^31;
 *  - RoundingDivideByPOT(x, n >= 1) is floor((floor((x - [x < 0]) / 2^(n-1)) + 1) / 2)
 *    (shown there too), and twice it is that inner value + 1 with bit 0 cleared;
 *  - the output's final halving and saturation are one SSAT with ASR #1, with
 *    2 * output_offset added before it.
 * Bounds: |x + offset| <= 255, so |2a| <= 255 * 2^21 < 2^29, each rescaled input
 * is at most |a| and twice the sum at most 4 * 255 * 2^20 < 2^30.
 *
 * Loop order: elements in increasing order, 4 at a time (all 4 read before any is
 * written), then the last size % 4 one at a time: input and output may be the
 * same buffer (in place, distance 0).
 *
 * Needs __ARM_FEATURE_DSP (-mcpu=cortex-m4 / cortex-m7).
 */
#include <arm_acle.h>
#include <stdint.h>
#include <string.h>

#include "tg_dsp_s8.h"
#include "tg_kernels.h"
#include "tg_requant.h"

/* One input's constants: its offset, multiplier, and n - 1 for n = -shift (unused when n == 0). */
typedef struct {
    int32_t offset, multiplier, shift_minus_1;
} tg_add_input_t;

/* (b + offset) for byte `lsb / 8` of w: SXTAB with rotation. */
#define TG_ADD_SXTAB(offset, w, ror, out) \
    __asm__("sxtab %0, %1, %2, ror #" #ror : "=r"(out) : "r"(offset), "r"(w))

/*
 * Twice the rescaled input, from v = x + offset: 2 * RoundingDivideByPOT(SRDHM(v << 20, m), n).
 * n_is_0 is a constant at each call, so the branch goes away.
 */
static inline __attribute__((always_inline)) int32_t tg_add_scale2(int32_t v, const tg_add_input_t *in,
                                                                   int32_t left_shift, int32_t n_is_0)
{
    const int32_t x = tg_dsp_smmulr((int32_t)((uint32_t)v << (left_shift + 1)), in->multiplier);
    if (n_is_0) {
        return x * 2;
    }
    /* arithmetic shifts of negative values: see tg_requant.h */
    return (int32_t)((uint32_t)(((x + (x >> 31)) >> in->shift_minus_1) + 1) & ~1u);
}

/* One output byte from the two offset inputs (SSAT saturates to int8; the clamp follows). */
static inline __attribute__((always_inline)) int32_t
tg_add_one(int32_t v1, int32_t v2, const tg_add_input_t *in1, const tg_add_input_t *in2,
           const tg_add_input_t *out, int32_t round, int32_t left_shift, int32_t n1_is_0, int32_t n2_is_0)
{
    const int32_t sum2 = tg_add_scale2(v1, in1, left_shift, n1_is_0) + tg_add_scale2(v2, in2, left_shift, n2_is_0);
    const int32_t x = tg_dsp_smmulr(sum2, out->multiplier);
    return tg_dsp_ssat8_asr1(((x + (x >> 31)) >> out->shift_minus_1) + round);
}

static inline __attribute__((always_inline)) void
tg_add_loop(const tg_add_params_t *p, const int8_t *input1, const int8_t *input2, int8_t *output,
            int32_t n1_is_0, int32_t n2_is_0)
{
    const tg_add_input_t in1 = {p->input1_offset, p->input1_multiplier, -p->input1_shift - 1};
    const tg_add_input_t in2 = {p->input2_offset, p->input2_multiplier, -p->input2_shift - 1};
    const tg_add_input_t out = {p->output_offset, p->output_multiplier, -p->output_shift - 1};
    const int32_t round = 1 + 2 * p->output_offset;
    const int32_t left_shift = p->left_shift;
    const uint32_t act_min4 = (uint32_t)(p->act_min & 0xFF) * 0x01010101u;
    const uint32_t act_max4 = (uint32_t)(p->act_max & 0xFF) * 0x01010101u;
    const int32_t size = p->size;
    int32_t i = 0;

    for (; i + 4 <= size; i += 4) {
        int32_t w1, w2, v1, v2;
        uint32_t packed, b;
        memcpy(&w1, input1 + i, sizeof w1);
        memcpy(&w2, input2 + i, sizeof w2);
        TG_ADD_SXTAB(in1.offset, w1, 0, v1);
        TG_ADD_SXTAB(in2.offset, w2, 0, v2);
        packed = (uint32_t)tg_add_one(v1, v2, &in1, &in2, &out, round, left_shift, n1_is_0, n2_is_0);
        TG_ADD_SXTAB(in1.offset, w1, 8, v1);
        TG_ADD_SXTAB(in2.offset, w2, 8, v2);
        b = (uint32_t)tg_add_one(v1, v2, &in1, &in2, &out, round, left_shift, n1_is_0, n2_is_0);
        __asm__("bfi %0, %1, #8, #8" : "+r"(packed) : "r"(b));
        TG_ADD_SXTAB(in1.offset, w1, 16, v1);
        TG_ADD_SXTAB(in2.offset, w2, 16, v2);
        b = (uint32_t)tg_add_one(v1, v2, &in1, &in2, &out, round, left_shift, n1_is_0, n2_is_0);
        __asm__("bfi %0, %1, #16, #8" : "+r"(packed) : "r"(b));
        TG_ADD_SXTAB(in1.offset, w1, 24, v1);
        TG_ADD_SXTAB(in2.offset, w2, 24, v2);
        b = (uint32_t)tg_add_one(v1, v2, &in1, &in2, &out, round, left_shift, n1_is_0, n2_is_0);
        __asm__("bfi %0, %1, #24, #8" : "+r"(packed) : "r"(b));
        /* clamp the 4 bytes: SSUB8 sets a GE flag per byte, SEL picks by them */
        (void)__ssub8((int8x4_t)packed, (int8x4_t)act_min4);
        packed = __sel((uint8x4_t)packed, (uint8x4_t)act_min4);
        (void)__ssub8((int8x4_t)act_max4, (int8x4_t)packed);
        packed = __sel((uint8x4_t)packed, (uint8x4_t)act_max4);
        memcpy(output + i, &packed, sizeof packed);
    }
    for (; i < size; ++i) {
        int32_t o = tg_add_one((int32_t)input1[i] + in1.offset, (int32_t)input2[i] + in2.offset, &in1, &in2,
                               &out, round, left_shift, n1_is_0, n2_is_0);
        o = o < p->act_min ? p->act_min : o;
        o = o > p->act_max ? p->act_max : o;
        output[i] = (int8_t)o;
    }
}

/* TFLite's arithmetic as it is, for parameters outside the fast loop's assumptions. */
static void tg_add_general(const tg_add_params_t *p, const int8_t *input1, const int8_t *input2,
                           int8_t *output)
{
    int32_t i;
    for (i = 0; i < p->size; ++i) {
        const int32_t shifted1 = ((int32_t)input1[i] + p->input1_offset) * ((int32_t)1 << p->left_shift);
        const int32_t shifted2 = ((int32_t)input2[i] + p->input2_offset) * ((int32_t)1 << p->left_shift);
        const int32_t sum = tg_requantize_smaller_than_one_exp(shifted1, p->input1_multiplier, p->input1_shift) +
                            tg_requantize_smaller_than_one_exp(shifted2, p->input2_multiplier, p->input2_shift);
        int32_t o = tg_requantize_smaller_than_one_exp(sum, p->output_multiplier, p->output_shift) +
                    p->output_offset;
        o = o < p->act_min ? p->act_min : o;
        o = o > p->act_max ? p->act_max : o;
        output[i] = (int8_t)o;
    }
}

void tg_add_s8_dsp(const tg_add_params_t *p, const int8_t *input1, const int8_t *input2, int8_t *output)
{
    const int32_t fast = p->left_shift >= 0 && p->left_shift <= 20 && p->input1_multiplier >= 0 &&
                         p->input2_multiplier >= 0 && p->output_multiplier >= 0 && p->input1_shift <= 0 &&
                         p->input2_shift <= 0 && p->output_shift < 0 && p->input1_shift >= -31 &&
                         p->input2_shift >= -31 && p->output_shift >= -31;
    if (!fast) {
        tg_add_general(p, input1, input2, output);
    } else if (p->input1_shift == 0 && p->input2_shift != 0) {     /* input 1 has the larger scale */
        tg_add_loop(p, input1, input2, output, 1, 0);
    } else if (p->input2_shift == 0 && p->input1_shift != 0) {
        tg_add_loop(p, input1, input2, output, 0, 1);
    } else if (p->input1_shift == 0) {                              /* equal scales */
        tg_add_loop(p, input1, input2, output, 1, 1);
    } else {
        tg_add_loop(p, input1, input2, output, 0, 0);
    }
}
