/*
 * tg_signal_stacker_s16: TFLite Micro's SignalStacker, num_channels values stacked with their
 * context from a ring buffer (kept oldest first in state, carried over invocations). numpy twin:
 * tinygen.ref.signal_stream.signal_stacker_s16.
 */
#include "tg_kernels_signal_stream.h"

void tg_signal_stacker_s16(const tg_signal_stacker_params_t *p, const int16_t *input, int16_t *state,
                           int16_t *output)
{
    const int32_t channels = p->num_channels, size = p->size, drop = p->num_channels * p->step;
    int16_t *ring = state + TG_RING_HEAD;
    int32_t count = state[0];
    int32_t copies = state[2] ? 1 : 1 + p->left_context;
    int32_t c, k;

    for (c = 0; c < copies; ++c) {      /* the first frame also fills the left context */
        for (k = 0; k < channels; ++k) {
            ring[count + k] = input[k];
        }
        count += channels;
    }
    state[2] = 1;
    state[1] = (int16_t)(count >= size);
    if (count >= size) {
        for (k = 0; k < size; ++k) {
            output[k] = ring[k];
        }
        for (k = 0; k < count - drop; ++k) {
            ring[k] = ring[k + drop];
        }
        count -= drop;
    } else {
        for (k = 0; k < size; ++k) {
            output[k] = 0;
        }
    }
    state[0] = (int16_t)count;
}
