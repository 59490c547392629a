/*
 * tg_signal_overlap_add_s16: TFLite Micro's SignalOverlapAdd, frames added into a buffer per row
 * (state, carried over invocations) where they overlap, frame_step samples given out per frame.
 * numpy twin: tinygen.ref.signal_stream.signal_overlap_add_s16.
 */
#include "tg_kernels_signal_stream.h"

void tg_signal_overlap_add_s16(const tg_signal_overlap_add_params_t *p, const int16_t *input, int16_t *state,
                               int16_t *output)
{
    const int32_t size = p->frame_size, step = p->frame_step;
    int32_t r, f, k;

    for (r = 0; r < p->rows; ++r) {
        int16_t *buffer = state + r * size;
        for (f = 0; f < p->n_frames; ++f) {
            const int16_t *in = input + (r * p->n_frames + f) * size;
            int16_t *out = output + (r * p->n_frames + f) * step;
            for (k = 0; k < size; ++k) {
                int32_t sum = (int32_t)in[k] + buffer[k];
                buffer[k] = (int16_t)(sum < INT16_MIN ? INT16_MIN : sum > INT16_MAX ? INT16_MAX : sum);
            }
            for (k = 0; k < step; ++k) {
                out[k] = buffer[k];
            }
            for (k = 0; k < size - step; ++k) {
                buffer[k] = buffer[k + step];
            }
            for (k = size - step; k < size; ++k) {
                buffer[k] = 0;
            }
        }
    }
}
