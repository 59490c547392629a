/* ln of the mel filter bank's energies (frontend.log_mel), the filters stored as runs. */
#include "tg_audio.h"

void tg_mel_log_f32(const float *mag, int32_t first_bin, const tg_mel_runs_f32 *mel, float eps, float *logmel)
{
    const float *w = mel->weights;
    for (int32_t m = 0; m < TG_MFCC_NUM_MEL; m++) {
        const float *bins = &mag[mel->start[m] - first_bin];
        float energy = 0.0f;
        for (int32_t k = 0; k < mel->length[m]; k++) {
            energy += w[k] * bins[k];
        }
        w += mel->length[m];
        logmel[m] = tg_log_f32(energy + eps);
    }
}
