/*
 * tg_signal_framer_reset_s16: a SignalFramer layer's ring buffers back to empty, or holding
 * frame_size - frame_step zeros with prefill (TFLite Micro's reset; tg_model_reset_state).
 */
#include "tg_kernels_signal_stream.h"

void tg_signal_framer_reset_s16(const tg_signal_framer_params_t *p, int16_t *state)
{
    int32_t i;

    for (i = 0; i < TG_RING_HEAD + p->rows * p->capacity; ++i) {
        state[i] = 0;
    }
    state[0] = (int16_t)(p->prefill ? p->frame_size - p->frame_step : 0);
}
