/*
 * tg_signal_framer_s16: TFLite Micro's SignalFramer, frames of frame_size samples every frame_step
 * from a ring buffer per row (kept oldest first in state, carried over invocations). numpy twin:
 * tinygen.ref.signal_stream.signal_framer_s16.
 */
#include "tg_kernels_signal_stream.h"

void tg_signal_framer_s16(const tg_signal_framer_params_t *p, const int16_t *input, int16_t *state,
                          int16_t *output)
{
    const int32_t size = p->frame_size, step = p->frame_step;
    int32_t count = state[0], valid = 1;
    int32_t r, f, k;

    for (r = 0; r < p->rows; ++r) {
        int16_t *ring = state + TG_RING_HEAD + r * p->capacity;
        count = state[0];           /* every row holds as many samples */
        for (f = 0; f < p->n_frames; ++f) {
            const int16_t *in = input + (r * p->n_frames + f) * step;
            int16_t *out = output + (r * p->n_frames + f) * size;
            for (k = 0; k < step; ++k) {
                ring[count + k] = in[k];
            }
            count += step;
            if (count >= size) {
                for (k = 0; k < size; ++k) {
                    out[k] = ring[k];
                }
                for (k = 0; k < count - step; ++k) {
                    ring[k] = ring[k + step];
                }
                count -= step;
            } else {
                for (k = 0; k < size; ++k) {
                    out[k] = 0;
                }
                valid = 0;
            }
        }
    }
    state[0] = (int16_t)count;
    state[1] = (int16_t)valid;
}
