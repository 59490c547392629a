/*
 * tg_l2_norm_s8: x / ||x|| over the last dimension, int8 (TFLite's int8 L2_NORMALIZATION,
 * reference_integer_ops::L2Normalization): per row the sum of squares of x - input zero point,
 * its inverse square root as a multiplier (tg_inv_sqrt_s32, TFLite's
 * GetInvSqrtQuantizedMultiplierExp), each element times it in units of 1/128 (the output grid
 * TFLite Micro assumes: scale 1/128, zero point 0), saturated to int8. May not run in place.
 * numpy twin: tinygen.ref.mathops.l2_norm_s8.
 */
#include "tg_inv_sqrt.h"
#include "tg_kernels_math.h"
#include "tg_requant.h"

void tg_l2_norm_s8(const tg_l2_norm_params_t *p, const int8_t *input, int8_t *output)
{
    const int32_t outer = p->outer, depth = p->depth, input_offset = p->input_offset;
    int32_t o, i;

    for (o = 0; o < outer; ++o) {
        const int8_t *row = input + o * depth;
        int32_t acc = 0, multiplier, shift;
        for (i = 0; i < depth; ++i) {
            const int32_t v = row[i] + input_offset;
            acc += v * v;
        }
        tg_inv_sqrt_s32(acc, &multiplier, &shift);
        for (i = 0; i < depth; ++i) {
            int32_t out = tg_requantize(row[i] + input_offset, multiplier, shift + TG_L2_NORM_OUTPUT_BITS);
            out = out < INT8_MIN ? INT8_MIN : out;
            out = out > INT8_MAX ? INT8_MAX : out;
            *output++ = (int8_t)out;
        }
    }
}
