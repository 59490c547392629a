/*
 * tg_signal_overlap_add_reset_f32: a float32 SignalOverlapAdd layer's buffers back to zeros
 * (TFLite Micro's reset; tg_model_reset_state).
 */
#include "tg_kernels_signal_stream.h"

void tg_signal_overlap_add_reset_f32(const tg_signal_overlap_add_params_t *p, float *state)
{
    int32_t i;

    for (i = 0; i < p->rows * p->frame_size; ++i) {
        state[i] = 0.0f;
    }
}
