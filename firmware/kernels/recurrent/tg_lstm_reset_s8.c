/*
 * tg_lstm_reset_s8: an LSTM layer's state (h int8 [B][H], c int16 [B][H]) to its initial values
 * (tg_kernels_recurrent.h). numpy twin: the initial state of tinygen.ref.recurrent.lstm_s8.
 */
#include <string.h>

#include "tg_kernels_recurrent.h"

void tg_lstm_reset_s8(const tg_lstm_params_t *p, const int8_t *h0, const int16_t *c0, const int8_t *c0_input,
                      int8_t *state)
{
    const int32_t n = p->batches * p->hidden;

    if (h0 != NULL) {
        memcpy(state, h0, (size_t)n);
    } else {
        memset(state, p->hidden_zero_point, (size_t)n);
    }
    tg_lstm_reset_cell(p, c0, c0_input, state);
}
