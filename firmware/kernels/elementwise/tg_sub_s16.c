/*
 * tg_sub_s16: a - b with broadcasting, int16 (TFLite's 16x8 SUB, reference_ops::Sub and
 * BroadcastQuantSubSlow): tg_sub_s8's arithmetic with left_shift 15 (|x| <= 32768, so the
 * shift stays within int32). Parameters: the broadcasting add's struct,
 * tinygen.quant.attention_params.sub_params. numpy twin: tinygen.ref.int16.sub_s16.
 */
#include "tg_broadcast_pair_s16.h"
#include "tg_broadcast_pair_s8.h"
#include "tg_kernels.h"
#include "tg_requant.h"

static int32_t sub_element(const void *params, int32_t a, int32_t b)
{
    const tg_add_broadcast_params_t *p = (const tg_add_broadcast_params_t *)params;
    const int32_t diff = tg_pair_scaled(a, p->input1_offset, p->left_shift, p->input1_multiplier, p->input1_shift) -
                         tg_pair_scaled(b, p->input2_offset, p->left_shift, p->input2_multiplier, p->input2_shift);
    return tg_requantize_smaller_than_one_exp(diff, p->output_multiplier, p->output_shift) + p->output_offset;
}

void tg_sub_s16(const tg_add_broadcast_params_t *p, const int16_t *input1, const int16_t *input2,
                int16_t *output)
{
    tg_broadcast_pair_s16(p, p->shape, p->input1_strides, p->input2_strides, p->act_min, p->act_max, input1, input2,
                          output, sub_element);
}
