/*
 * tg_fully_connected_f32: fully connected layer of a float32 model, TFLite's
 * reference_ops::FullyConnected: per output, total = 0.f; total += input[d] * weights[o][d]
 * for d in order; then total + bias (0.f without), clamped. Bit for bit TFLite Micro's
 * (tg_kernels_f32.h). numpy twin: tinygen.ref.float32.fully_connected_f32.
 */
#include <stddef.h>
#include <stdint.h>

#include "tg_kernels.h"

void tg_fully_connected_f32(const tg_fully_connected_f32_params_t *p, const float *input, const float *weights,
                            const float *bias, float *output)
{
    int32_t r, o, d;

    for (r = 0; r < p->rows; ++r) {
        const float *in_row = &input[r * p->in_features];
        for (o = 0; o < p->out_features; ++o) {
            const float *w_row = &weights[o * p->in_features];
            float total = 0.0f;
            for (d = 0; d < p->in_features; ++d) {
                total += in_row[d] * w_row[d];
            }
            output[r * p->out_features + o] =
                tg_clamp_value_f32(total + (bias != NULL ? bias[o] : 0.0f), p->act_min, p->act_max);
        }
    }
}
