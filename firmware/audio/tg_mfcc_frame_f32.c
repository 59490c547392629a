/*
 * One frame's MFCCs in single precision: frontend.py steps 3-7 on 480 samples
 * scaled by `gain` (step 1's normalisation, or stream mode's fixed gain).
 *
 * The 512-point real FFT is a 256-point complex FFT of sample pairs: while
 * windowing, pair j = (x[2j], x[2j+1]) goes to position bitrev[j]; pairs past
 * the frame's 480 samples are the zero padding.
 */
#include "tg_audio.h"
#include "tg_audio_f32_scalar.h"

#define TG_MFCC_LOG_OFFSET 1e-6f   /* frontend.LOG_OFFSET */

void tg_mfcc_frame_f32(const int16_t *frame, float gain, const tg_mfcc_tables_f32 *tables,
                       tg_mfcc_scratch_f32 *scratch, float *mfcc)
{
    float *z = scratch->fft;
    tg_window_place_f32(frame, gain, tables, z);
    tg_cfft_f32(z, TG_MFCC_FFT_HALF, tables->twiddles);
    tg_rfft_mag_f32(z, TG_MFCC_FFT_HALF, tables->split, tables->bin_first, tables->bin_last, scratch->mag);
    tg_mel_log_f32(scratch->mag, tables->bin_first, &tables->mel, TG_MFCC_LOG_OFFSET, scratch->logmel);
    tg_dct_f32(scratch->logmel, TG_MFCC_NUM_MEL, tables->dct, TG_MFCC_NUM_COEFFS, mfcc);
}
