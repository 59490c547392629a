/*
 * tg_signal_delay_reset_s16: a SignalDelay layer's delay lines back to zeros (TFLite Micro's reset
 * writes delay_length zeros into each stream; tg_model_reset_state).
 */
#include "tg_kernels_signal_stream.h"

void tg_signal_delay_reset_s16(const tg_signal_delay_params_t *p, int16_t *state)
{
    int32_t i;

    for (i = 0; i < p->rows * p->delay_length; ++i) {
        state[i] = 0;
    }
}
