/*
 * tg_softmax_s8_mve: softmax over the last axis, int8 in/out, for Helium (Armv8.1-M MVE,
 * Cortex-M55). Equals tg_softmax_s8 byte for byte; numpy twin: tinygen.ref.kernels.softmax_s8.
 *
 * The table is tg_softmax_s8_dsp's (tinygen.kernels.lut.softmax_exp_table: word 0 the entry
 * count n, then exp(-d) in Q0 for the differences d = 0 .. n - 1 from the row maximum; a
 * difference from n on has exp 0 and outputs -128). 4 elements a step:
 *  - the row maximum: VMAXV over 16 bytes a step;
 *  - the differences as 32-bit lanes (VLDRB.S32, max - x), their exps by one gather
 *    (VLDRW.U32 with the differences as word offsets, predicated on d < n: 0 elsewhere);
 *  - the sum of exps in Q12: each (e + 2^11) >> 12 (VRSHR.U32 #12: e < 2^31), added across
 *    lanes (VADDVA);
 *  - TFLite's reciprocal of the sum as tg_softmax_s8 computes it (scalar, once a row);
 *  - each output: the exp times the reciprocal (VQRDMULH: both non-negative, where it equals
 *    gemmlowp's SaturatingRoundingDoublingHighMul), divided by 2^exponent rounding (VRSHL:
 *    RoundingDivideByPOT of a non-negative value), minus 128, saturated to int8; -128 where
 *    d >= n.
 */
#include <arm_mve.h>
#include <stdint.h>

#include "tg_kernels.h"
#include "tg_requant.h"

enum {
    ACCUMULATION_INTEGER_BITS = 12 /* sum of exps format: Q12 */
};

void tg_softmax_s8_mve(const tg_softmax_params_t *p, const int8_t *input, const int32_t *table, int8_t *output)
{
    const uint32_t n = (uint32_t)table[0];      /* entries: differences 0 .. n - 1 */
    const uint32_t *const exp_q0 = (const uint32_t *)(table + 1);
    const int32_t depth = p->depth;

    for (int32_t r = 0; r < p->rows; ++r) {
        const int8_t *in_row = &input[r * depth];
        int8_t *out_row = &output[r * depth];
        int32_t max_in_row = INT8_MIN;
        for (int32_t c = 0; c < depth; c += 16) {
            const mve_pred16_t pred = vctp8q((uint32_t)(depth - c));
            max_in_row = vmaxvq_p_s8((int8_t)max_in_row, vldrbq_z_s8(in_row + c, pred), pred);
        }
        const uint32x4_t top = vdupq_n_u32((uint32_t)max_in_row);

        uint32_t sum_of_exps = 0; /* Q12 */
        for (int32_t c = 0; c < depth; c += 4) {
            const mve_pred16_t in = vctp32q((uint32_t)(depth - c));
            const uint32x4_t d = vsubq_u32(top, vreinterpretq_u32_s32(vldrbq_z_s32(in_row + c, in)));
            const mve_pred16_t live = vcmphiq_m_u32(vdupq_n_u32(n), d, in);     /* n > d */
            const uint32x4_t e = vldrwq_gather_shifted_offset_z_u32(exp_q0, d, live);
            sum_of_exps = vaddvaq_u32(sum_of_exps, vrshrq_n_u32(e, ACCUMULATION_INTEGER_BITS));
        }

        /* TFLite GetReciprocal, as in tg_softmax_s8 */
        const int32_t headroom_plus_one = (int32_t)__builtin_clz(sum_of_exps);   /* the sum is >= 2^19 */
        const int32_t num_bits_over_unit = ACCUMULATION_INTEGER_BITS - headroom_plus_one;
        const int32_t shifted_sum_minus_one =
            (int32_t)((sum_of_exps << headroom_plus_one) - ((uint32_t)1 << 31));
        const int32_t reciprocal = tg_one_over_one_plus_x_for_x_in_0_1(shifted_sum_minus_one);
        const int32_t exponent = num_bits_over_unit + 31 - 8;

        for (int32_t c = 0; c < depth; c += 4) {
            const mve_pred16_t in = vctp32q((uint32_t)(depth - c));
            const uint32x4_t d = vsubq_u32(top, vreinterpretq_u32_s32(vldrbq_z_s32(in_row + c, in)));
            const mve_pred16_t live = vcmphiq_m_u32(vdupq_n_u32(n), d, in);
            const int32x4_t e = vreinterpretq_s32_u32(vldrwq_gather_shifted_offset_z_u32(exp_q0, d, live));
            int32x4_t out = vrshlq_n_s32(vqrdmulhq_n_s32(e, reciprocal), -exponent);
            out = vminq_s32(vaddq_n_s32(out, INT8_MIN), vdupq_n_s32(INT8_MAX));
            out = vpselq_s32(out, vdupq_n_s32(INT8_MIN), live);
            vstrbq_p_s32(out_row + c, out, in);
        }
    }
}
