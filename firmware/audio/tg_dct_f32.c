/* The scaled DCT-II of the log-mel values, first n_out coefficients (frontend.mfcc). */
#include "tg_audio.h"
#include "tg_audio_f32_scalar.h"

void tg_dct_f32(const float *x, int32_t n_in, const float *dct, int32_t n_out, float *out)
{
    tg_dct_f32_scalar(x, n_in, dct, n_out, out);
}
