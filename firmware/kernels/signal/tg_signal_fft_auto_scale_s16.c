/*
 * tg_signal_fft_auto_scale_s16: a frame times 2^shift (SignalFftAutoScale's frame output).
 * numpy twin: tinygen.ref.signal.signal_fft_auto_scale_s16.
 */
#include "tg_kernels.h"

void tg_signal_fft_auto_scale_s16(const tg_signal_size_params_t *p, const int16_t *input, const int32_t *shift,
                                  int16_t *output)
{
    int32_t i;
    const int32_t scale = (int32_t)1 << *shift;

    for (i = 0; i < p->size; ++i) {
        output[i] = (int16_t)(input[i] * scale);
    }
}
