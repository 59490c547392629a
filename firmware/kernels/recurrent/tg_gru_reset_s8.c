/*
 * tg_gru_reset_s8: a GRU layer's state (h int8 [B][H]) to h0, or to the hidden zero point (real 0)
 * (tg_kernels_recurrent.h). numpy twin: the initial state of tinygen.ref.recurrent.gru_s8.
 */
#include <string.h>

#include "tg_kernels_recurrent.h"

void tg_gru_reset_s8(const tg_gru_params_t *p, const int8_t *h0, int8_t *state)
{
    const size_t n = (size_t)(p->batches * p->hidden);
    if (h0 != NULL) {
        memcpy(state, h0, n);
    } else {
        memset(state, p->hidden_zero_point, n);
    }
}
