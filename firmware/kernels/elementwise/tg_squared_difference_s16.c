/*
 * tg_squared_difference_s16: (a - b)^2 with broadcasting, int16 (TFLite Micro's 16x8
 * SQUARED_DIFFERENCE): tg_squared_difference_s8's arithmetic with left_shift 0 (each operand
 * rescaled to half the larger scale, so the difference squared stays below 2^30), clamped to
 * act_min..act_max. Parameters: the broadcasting add's struct,
 * tinygen.quant.attention_params.squared_difference_params. numpy twin:
 * tinygen.ref.int16.squared_difference_s16.
 */
#include "tg_broadcast_pair_s16.h"
#include "tg_broadcast_pair_s8.h"
#include "tg_kernels.h"
#include "tg_requant.h"

static int32_t squared_difference_element(const void *params, int32_t a, int32_t b)
{
    const tg_add_broadcast_params_t *p = (const tg_add_broadcast_params_t *)params;
    const int32_t diff = tg_pair_scaled(a, p->input1_offset, p->left_shift, p->input1_multiplier, p->input1_shift) -
                         tg_pair_scaled(b, p->input2_offset, p->left_shift, p->input2_multiplier, p->input2_shift);
    return tg_requantize(diff * diff, p->output_multiplier, p->output_shift) + p->output_offset;
}

void tg_squared_difference_s16(const tg_add_broadcast_params_t *p, const int16_t *input1, const int16_t *input2,
                               int16_t *output)
{
    tg_broadcast_pair_s16(p, p->shape, p->input1_strides, p->input2_strides, p->act_min, p->act_max, input1, input2,
                          output, squared_difference_element);
}
