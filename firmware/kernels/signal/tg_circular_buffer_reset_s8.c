/*
 * tg_circular_buffer_reset_s8: a CIRCULAR_BUFFER layer's window back to the output's zero point
 * (tg_model_reset_state; TFLite Micro leaves the window as its arena held it).
 */
#include "tg_kernels_signal_stream.h"

void tg_circular_buffer_reset_s8(const tg_circular_buffer_params_t *p, int8_t *state)
{
    int32_t i;

    for (i = 0; i < p->slots * p->depth; ++i) {
        state[i] = (int8_t)p->fill;
    }
}
