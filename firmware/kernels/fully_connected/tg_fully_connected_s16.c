/*
 * tg_fully_connected_s16: portable fully connected layer of a 16x8 model: int16 input rows
 * and output, int8 weights [out_features][in_features], int64 bias, a multiplier and shift per
 * output feature. Mirrors TFLite's reference_integer_ops::FullyConnected for int16: int64
 * sums, tg_requant_channel_s16. numpy twin: tinygen.ref.int16.fully_connected_s16.
 */
#include <stddef.h>
#include <stdint.h>

#include "tg_kernels.h"
#include "tg_requant.h"

void tg_fully_connected_s16(const tg_fully_connected_params_t *p, const int16_t *input, const int8_t *weights,
                            const int64_t *bias, const int32_t *multiplier, const int8_t *shift,
                            int16_t *output)
{
    int32_t r, o, i;

    for (r = 0; r < p->rows; ++r) {
        const int16_t *in_row = &input[r * p->in_features];
        for (o = 0; o < p->out_features; ++o) {
            const int8_t *w_row = &weights[o * p->in_features];
            int64_t acc = 0;
            for (i = 0; i < p->in_features; ++i) {
                acc += (int32_t)w_row[i] * (int32_t)in_row[i];
            }
            output[r * p->out_features + o] =
                tg_requant_channel_s16(acc, bias, multiplier, shift, o, p->act_min, p->act_max);
        }
    }
}
