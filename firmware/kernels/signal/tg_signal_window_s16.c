/*
 * tg_signal_window_s16: TFLite Micro's SignalWindow, a window of int16 weights applied to each
 * run of p->window samples. numpy twin: tinygen.ref.signal.signal_window_s16.
 */
#include "tg_kernels.h"

void tg_signal_window_s16(const tg_signal_window_params_t *p, const int16_t *input, const int16_t *weights,
                          int16_t *output)
{
    int32_t i;
    int32_t w = 0;

    for (i = 0; i < p->size; ++i) {
        int32_t v = ((int32_t)input[i] * weights[w]) >> p->shift;
        v = v < INT16_MIN ? INT16_MIN : v;
        v = v > INT16_MAX ? INT16_MAX : v;
        output[i] = (int16_t)v;
        w = w + 1 == p->window ? 0 : w + 1;
    }
}
