/*
 * tg_tanh_lut_s16: TANH on int16 (TFLite Micro's 16x8 kernel: zero points 0, output Q0.15):
 * tg_tanh_s16 (tg_kernels_recurrent.h: tanh(x) = 2 sigmoid(2x) - 1 on TFLite's sigmoid table)
 * of every element, with the layer's input multiplier and rounding shift.
 * Parameters: tinygen.quant.s16_params.sigmoid_s16_params.
 * numpy twin: tinygen.ref.int16.tanh_lut_s16.
 */
#include "tg_kernels.h"
#include "tg_kernels_recurrent.h"

void tg_tanh_lut_s16(const tg_sigmoid_s16_params_t *p, const int16_t *input, int16_t *output)
{
    int32_t i;

    for (i = 0; i < p->size; ++i) {
        output[i] = tg_tanh_s16(input[i], p->input_multiplier, p->input_left_shift);
    }
}
