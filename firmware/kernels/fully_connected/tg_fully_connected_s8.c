/*
 * tg_fully_connected_s8: portable reference fully connected layer, int8
 * in/out, per-output-feature requantization. Mirrors TFLite's
 * reference_integer_ops::FullyConnected (per-channel variant).
 * numpy twin: tinygen.ref.kernels.fully_connected_s8.
 */
#include <stddef.h>

#include "tg_kernels.h"
#include "tg_requant.h"

void tg_fully_connected_s8(const tg_fully_connected_params_t *p, const int8_t *input,
                           const int8_t *weights, const int32_t *bias,
                           const int32_t *multiplier, const int8_t *shift,
                           int8_t *output)
{
    int32_t r, o, i;

    for (r = 0; r < p->rows; ++r) {
        const int8_t *in_row = &input[r * p->in_features];
        for (o = 0; o < p->out_features; ++o) {
            const int8_t *w_row = &weights[o * p->in_features];
            int32_t acc = 0;
            for (i = 0; i < p->in_features; ++i) {
                acc += (int32_t)w_row[i] * ((int32_t)in_row[i] + p->input_offset);
            }
            if (bias != NULL) {
                acc += bias[o];
            }
            acc = tg_requantize(acc, multiplier[o], shift[o]) + p->output_offset;
            acc = acc < p->act_min ? p->act_min : acc;
            acc = acc > p->act_max ? p->act_max : acc;
            output[r * p->out_features + o] = (int8_t)acc;
        }
    }
}
