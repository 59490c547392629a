/* The scaled DCT-II of the log-mel values, first n_out coefficients (frontend.mfcc). */
#include "tg_audio.h"

void tg_dct_f32(const float *x, int32_t n_in, const float *dct, int32_t n_out, float *out)
{
    for (int32_t k = 0; k < n_out; k++) {
        float sum = 0.0f;
        for (int32_t m = 0; m < n_in; m++) {
            sum += x[m] * dct[m * n_out + k];
        }
        out[k] = sum;
    }
}
