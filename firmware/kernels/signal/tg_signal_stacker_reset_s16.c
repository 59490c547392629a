/*
 * tg_signal_stacker_reset_s16: a SignalStacker layer's ring buffer back to empty, no first frame
 * yet (TFLite Micro's reset; tg_model_reset_state).
 */
#include "tg_kernels_signal_stream.h"

void tg_signal_stacker_reset_s16(const tg_signal_stacker_params_t *p, int16_t *state)
{
    int32_t i;

    for (i = 0; i < TG_RING_HEAD + p->size; ++i) {
        state[i] = 0;
    }
}
