/*
 * tg_lstm_reset_s16: a 16x8 LSTM layer's state (h int16 [B][H], c int16 [B][H]) to its initial
 * values (tg_kernels_recurrent.h): h0 or 0, as TFLite Micro resets an int16 variable tensor.
 * numpy twin: the initial state of tinygen.ref.recurrent.lstm_s16.
 */
#include <string.h>

#include "tg_kernels_recurrent.h"

void tg_lstm_reset_s16(const tg_lstm_params_t *p, const int16_t *h0, const int16_t *c0, const int8_t *c0_input,
                       int8_t *state)
{
    const size_t bytes = (size_t)(2 * p->batches * p->hidden);

    if (h0 != NULL) {
        memcpy(state, h0, bytes);
    } else {
        memset(state, 0, bytes);
    }
    tg_lstm_reset_cell(p, c0, c0_input, state);
}
