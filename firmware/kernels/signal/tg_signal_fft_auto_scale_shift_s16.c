/*
 * tg_signal_fft_auto_scale_shift_s16: the shift SignalFftAutoScale scales a frame by.
 * numpy twin: tinygen.ref.signal.signal_fft_auto_scale_shift_s16.
 */
#include "tg_kernels.h"

void tg_signal_fft_auto_scale_shift_s16(const tg_signal_size_params_t *p, const int16_t *input, int32_t *shift)
{
    int32_t i;
    int32_t peak = 0;       /* TFLite Micro keeps it in an int16: -(-32768) wraps to -32768 */
    int32_t bits = 0;

    for (i = 0; i < p->size; ++i) {
        int32_t v = input[i];
        if (v > peak) {
            peak = v;
        } else if (-v > peak) {
            peak = -v > INT16_MAX ? INT16_MIN : -v;
        }
    }
    while (peak > 0 && (peak >> bits) != 0) {
        ++bits;
    }
    *shift = peak > 0 ? 15 - bits : 0;      /* bits <= 15: the peak is an int16 */
}
