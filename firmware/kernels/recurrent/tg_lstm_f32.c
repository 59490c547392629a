/*
 * tg_lstm_f32: UNIDIRECTIONAL_SEQUENCE_LSTM on float32 (TFLite Micro lstm_eval's float path,
 * LstmStep), batch-major. Per batch and step, for each gate g (i, f, c, o) and unit j:
 *   gate = (sum_d x[d] * w_ih[g][j][d] + bias[g][j]) + (sum_d h[d] * w_hh[g][j][d] + 0)
 * each sum in order from 0 and clamped to +-FLT_MAX (TFLite's FullyConnected without an
 * activation), then sigmoid (the cell gate: tanhf). Then c = f * c, c = c + i * g (each
 * product through TFLite's Mul: clamped to +-FLT_MAX), c clipped to +-cell_clip where
 * cell_clip > 0, h = tanhf(c) * o, which is also the step's output.
 * state: h float [B][H] then c float [B][H], kept across invocations; scratch: 4 * H floats
 * (the gates of one step: every unit's recurrent product reads the old h).
 * numpy twin: tinygen.ref.float32_nonlinear.lstm_f32.
 */
#include <float.h>
#include <math.h>

#include "tg_kernels.h"
#include "tg_logistic_f32.h"

static float tg_lstm_fc_f32(const float *x, const float *w, int32_t n, float bias)
{
    float total = 0.0f;
    int32_t d;

    for (d = 0; d < n; ++d) {
        total += x[d] * w[d];
    }
    return tg_clamp_value_f32(total + bias, -FLT_MAX, FLT_MAX);
}

void tg_lstm_f32(const tg_lstm_f32_params_t *p, const float *input, const float *h0, const float *c0,
                 const float *c0_input, const float *w_ih, const float *w_hh, const float *bias, int8_t *state,
                 int8_t *scratch, float *output)
{
    const int32_t hidden = p->hidden;
    const int32_t in_size = p->input_size;
    float *gates = (float *)(void *)scratch;
    float *h_all = (float *)(void *)state;
    float *c_all = h_all + p->batches * hidden;
    int32_t b, t, g, j;

    (void)c0_input;
    if (!p->stateful) {
        tg_lstm_reset_f32(p, h0, c0, c0_input, state);
    }
    for (b = 0; b < p->batches; ++b) {
        float *h = h_all + b * hidden;
        float *c = c_all + b * hidden;
        for (t = 0; t < p->steps; ++t) {
            const float *x = input + (b * p->steps + t) * in_size;
            float *out = output + (b * p->steps + t) * hidden;
            for (g = 0; g < 4; ++g) {
                for (j = 0; j < hidden; ++j) {
                    const int32_t row = g * hidden + j;
                    const float from_input = tg_lstm_fc_f32(x, w_ih + row * in_size, in_size, bias[row]);
                    const float from_hidden = tg_lstm_fc_f32(h, w_hh + row * hidden, hidden, 0.0f);
                    const float pre = from_input + from_hidden;
                    gates[row] = g == 2 ? tanhf(pre) : tg_logistic_value_f32(pre);
                }
            }
            for (j = 0; j < hidden; ++j) {
                const float forget = tg_clamp_value_f32(gates[hidden + j] * c[j], -FLT_MAX, FLT_MAX);
                const float update = tg_clamp_value_f32(gates[j] * gates[2 * hidden + j], -FLT_MAX, FLT_MAX);
                float cell = forget + update;
                if (p->cell_clip > 0.0f) {
                    cell = cell < p->cell_clip ? cell : p->cell_clip;
                    cell = cell < -p->cell_clip ? -p->cell_clip : cell;
                }
                c[j] = cell;
                h[j] = tg_clamp_value_f32(tanhf(cell) * gates[3 * hidden + j], -FLT_MAX, FLT_MAX);
                out[j] = h[j];
            }
        }
    }
}
