/*
 * tg_signal_overlap_add_f32: TFLite Micro's SignalOverlapAdd on float32 frames: each frame added
 * into its row's buffer (state, carried over invocations) in float, frame_step samples given out
 * per frame, the buffer moved on and zeros coming in.
 * numpy twin: tinygen.ref.signal_stream.signal_overlap_add_f32.
 */
#include "tg_kernels_signal_stream.h"

void tg_signal_overlap_add_f32(const tg_signal_overlap_add_params_t *p, const float *input, float *state,
                               float *output)
{
    const int32_t size = p->frame_size, step = p->frame_step;
    int32_t r, f, k;

    for (r = 0; r < p->rows; ++r) {
        float *buffer = state + r * size;
        for (f = 0; f < p->n_frames; ++f) {
            const float *in = input + (r * p->n_frames + f) * size;
            float *out = output + (r * p->n_frames + f) * step;
            for (k = 0; k < size; ++k) {
                buffer[k] += in[k];
            }
            for (k = 0; k < step; ++k) {
                out[k] = buffer[k];
            }
            for (k = 0; k < size - step; ++k) {
                buffer[k] = buffer[k + step];
            }
            for (k = size - step; k < size; ++k) {
                buffer[k] = 0.0f;
            }
        }
    }
}
