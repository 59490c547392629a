/* tg_mel_log_f32 in integers: Q28 weights times Q2 magnitudes, summed in 64 bits (Q30). */
#include "tg_audio.h"

void tg_mel_log_q31(const uint32_t *mag, int32_t first_bin, const tg_mel_runs_q31 *mel, uint64_t eps,
                    const uint32_t *log2_table, int32_t *logmel)
{
    const uint32_t *w = mel->weights;
    for (int32_t m = 0; m < TG_MFCC_NUM_MEL; m++) {
        const uint32_t *bins = &mag[mel->start[m] - first_bin];
        uint64_t energy = eps;
        for (int32_t k = 0; k < mel->length[m]; k++) {
            energy += (uint64_t)w[k] * bins[k];
        }
        w += mel->length[m];
        logmel[m] = tg_log_q31(energy, log2_table);
    }
}
