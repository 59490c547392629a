/* The largest sample: the clip's maximum (frontend.normalize) and a frame's peak (stream.frame_mfcc). */
#include "tg_audio.h"

int16_t tg_peak_s16(const int16_t *x, int32_t n)
{
    int16_t peak = x[0];
    for (int32_t i = 1; i < n; i++) {
        peak = x[i] > peak ? x[i] : peak;
    }
    return peak;
}
