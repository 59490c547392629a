/*
 * tg_sub_s16: a - b with broadcasting, int16 (TFLite's 16x8 SUB, reference_ops::Sub and
 * BroadcastQuantSubSlow): tg_sub_s8's arithmetic with left_shift 15 (|x| <= 32768, so the
 * shift stays within int32). Parameters: the broadcasting add's struct,
 * tinygen.quant.attention_params.sub_params. numpy twin: tinygen.ref.int16.sub_s16.
 */
#include "tg_broadcast_pair_s8.h"
#include "tg_kernels.h"
#include "tg_requant.h"

void tg_sub_s16(const tg_add_broadcast_params_t *p, const int16_t *input1, const int16_t *input2,
                int16_t *output)
{
    const int32_t *s1 = p->input1_strides;
    const int32_t *s2 = p->input2_strides;
    int32_t i0, i1, i2, i3;

    for (i0 = 0; i0 < p->shape[0]; ++i0) {
        for (i1 = 0; i1 < p->shape[1]; ++i1) {
            for (i2 = 0; i2 < p->shape[2]; ++i2) {
                const int16_t *a = input1 + i0 * s1[0] + i1 * s1[1] + i2 * s1[2];
                const int16_t *b = input2 + i0 * s2[0] + i1 * s2[1] + i2 * s2[2];
                for (i3 = 0; i3 < p->shape[3]; ++i3) {
                    const int32_t diff =
                        tg_pair_scaled(a[i3 * s1[3]], p->input1_offset, p->left_shift, p->input1_multiplier,
                                       p->input1_shift) -
                        tg_pair_scaled(b[i3 * s2[3]], p->input2_offset, p->left_shift, p->input2_multiplier,
                                       p->input2_shift);
                    int32_t out = tg_requantize_smaller_than_one_exp(diff, p->output_multiplier, p->output_shift) +
                                  p->output_offset;
                    out = out < p->act_min ? p->act_min : out;
                    out = out > p->act_max ? p->act_max : out;
                    *output++ = (int16_t)out;
                }
            }
        }
    }
}
