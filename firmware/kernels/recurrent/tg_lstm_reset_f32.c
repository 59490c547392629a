/*
 * tg_lstm_reset_f32: a float LSTM layer's state (h float [B][H], then c float [B][H]) to its
 * initial values: h0 and c0 where given, else zeros (TFLite Micro's ResetVariableTensors).
 * numpy twin: the initial state of tinygen.ref.float32_nonlinear.lstm_f32.
 */
#include <string.h>

#include "tg_kernels.h"

void tg_lstm_reset_f32(const tg_lstm_f32_params_t *p, const float *h0, const float *c0, const float *c0_input,
                       int8_t *state)
{
    const size_t bytes = (size_t)(p->batches * p->hidden) * sizeof(float);

    (void)c0_input;
    if (h0 != NULL) {
        memcpy(state, h0, bytes);
    } else {
        memset(state, 0, bytes);
    }
    if (c0 != NULL) {
        memcpy(state + bytes, c0, bytes);
    } else {
        memset(state + bytes, 0, bytes);
    }
}
