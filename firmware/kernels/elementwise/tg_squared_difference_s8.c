/*
 * tg_squared_difference_s8: (a - b)^2 with broadcasting, int8 (TFLite Micro's int8
 * SQUARED_DIFFERENCE): both operands shifted left by 7 and rescaled to a common scale, the
 * difference squared (below 2^30), rescaled to the output by MultiplyByQuantizedMultiplier,
 * clamped to int8. Parameters: the broadcasting add's struct,
 * tinygen.quant.attention_params.squared_difference_params. numpy twin:
 * tinygen.ref.attention.squared_difference_s8.
 */
#include "tg_broadcast_pair_s8.h"
#include "tg_kernels.h"
#include "tg_requant.h"

static int32_t squared_difference_element(const tg_add_broadcast_params_t *p, int32_t a, int32_t b)
{
    const int32_t diff = tg_pair_scaled(a, p->input1_offset, p->left_shift, p->input1_multiplier, p->input1_shift) -
                         tg_pair_scaled(b, p->input2_offset, p->left_shift, p->input2_multiplier, p->input2_shift);
    return tg_requantize(diff * diff, p->output_multiplier, p->output_shift) + p->output_offset;
}

void tg_squared_difference_s8(const tg_add_broadcast_params_t *p, const int8_t *input1, const int8_t *input2,
                              int8_t *output)
{
    tg_broadcast_pair_s8(p, input1, input2, output, squared_difference_element);
}
