/*
 * tg_logistic_lut_s16: LOGISTIC on int16 (TFLite Micro's 16x8 kernel: zero points 0, output
 * Q0.15): (in * input_multiplier + round) >> input_left_shift puts the input on the grid
 * where 3 * 2^12 is 1.0, then tg_sigmoid_scaled_s16 (tg_kernels_recurrent.h: TFLite's sigmoid
 * table interpolated, as the recurrent layers' gates compute it).
 * Parameters: tinygen.quant.s16_params.sigmoid_s16_params.
 * numpy twin: tinygen.ref.int16.logistic_lut_s16.
 */
#include "tg_kernels.h"
#include "tg_kernels_recurrent.h"

void tg_logistic_lut_s16(const tg_sigmoid_s16_params_t *p, const int16_t *input, int16_t *output)
{
    const int32_t round = p->input_left_shift > 0 ? (int32_t)1 << (p->input_left_shift - 1) : 0;
    int32_t i;

    for (i = 0; i < p->size; ++i) {
        output[i] = tg_sigmoid_scaled_s16((input[i] * p->input_multiplier + round) >> p->input_left_shift);
    }
}
