/*
 * tg_fully_connected_lut_s8: portable fully connected layer with shared weights (LUT.md),
 * int8 in/out: tg_fully_connected_s8 with each output feature's row of indices decoded as
 * the dot product runs. numpy twin: tinygen.ref.kernels.fully_connected_s8 (on the decoded
 * weights).
 */
#include "tg_kernels_lut.h"
#include "tg_lut.h"

void tg_fully_connected_lut_s8(const tg_fully_connected_params_t *p, const int8_t *input,
                               const uint32_t *packed, const int32_t *bias, const int32_t *multiplier,
                               const int8_t *shift, int8_t *output)
{
    const tg_lut_t lut = tg_lut_open(packed);
    int32_t r, o;

    for (r = 0; r < p->rows; ++r) {
        const int8_t *in_row = &input[r * p->in_features];
        for (o = 0; o < p->out_features; ++o) {
            const int32_t acc = tg_lut_dot(tg_lut_row(&lut, o), 0, p->in_features, lut.bits,
                                           tg_lut_table(&lut, o), in_row, p->input_offset);
            output[r * p->out_features + o] =
                tg_lut_output(acc, bias, multiplier, shift, o, p->output_offset, p->act_min, p->act_max);
        }
    }
}
