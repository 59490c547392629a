/*
 * tg_signal_delay_s16: TFLite Micro's SignalDelay (each row a stream of int16 samples delayed by
 * delay_length samples, zeros first), its pending samples kept in state between invocations.
 * numpy twin: tinygen.ref.signal_stream.signal_delay_s16.
 */
#include "tg_kernels_signal_stream.h"

void tg_signal_delay_s16(const tg_signal_delay_params_t *p, const int16_t *input, int16_t *state, int16_t *output)
{
    const int32_t frame = p->frame_size, delay = p->delay_length;
    int32_t r, k;

    for (r = 0; r < p->rows; ++r) {
        const int16_t *in = input + r * frame;
        int16_t *held = state + r * delay, *out = output + r * frame;
        /* stream position k: held[k] for k < delay, else in[k - delay]; out = positions 0..frame-1,
         * held = positions frame..frame+delay-1 (read before written: held shifts toward 0) */
        for (k = 0; k < frame; ++k) {
            out[k] = k < delay ? held[k] : in[k - delay];
        }
        for (k = 0; k < delay; ++k) {
            held[k] = frame + k < delay ? held[frame + k] : in[frame + k - delay];
        }
    }
}
