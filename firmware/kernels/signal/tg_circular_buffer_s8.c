/*
 * tg_circular_buffer_s8: TFLite Micro's CIRCULAR_BUFFER (run at every invocation), a window of the
 * last `slots` int8 frames kept in state, carried over invocations. numpy twin:
 * tinygen.ref.signal_stream.circular_buffer_s8.
 */
#include "tg_kernels_signal_stream.h"

void tg_circular_buffer_s8(const tg_circular_buffer_params_t *p, const int8_t *input, int8_t *state, int8_t *output)
{
    const int32_t kept = (p->slots - 1) * p->depth;
    int32_t i;

    for (i = 0; i < kept; ++i) {
        state[i] = state[i + p->depth];
    }
    for (i = 0; i < p->depth; ++i) {
        state[kept + i] = input[i];
    }
    for (i = 0; i < p->slots * p->depth; ++i) {
        output[i] = state[i];
    }
}
