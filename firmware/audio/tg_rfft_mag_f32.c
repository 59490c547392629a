/*
 * |X[k]| of a real 2n-point FFT from the n-point complex FFT Z of its sample
 * pairs z[j] = x[2j] + i x[2j+1] (frontend.spectrum, step 4).
 *
 * With A = Z[k] and B = conj(Z[n - k]) (indices mod n): the even samples' DFT
 * is E = (A + B) / 2, the odd samples' O = (A - B) / 2i, and
 * X[k] = E + exp(-2 pi i k / 2n) O.
 */
#include "tg_audio.h"
#include "tg_audio_f32_scalar.h"

void tg_rfft_mag_f32(const float *z, int32_t n, const float *split, int32_t first, int32_t last, float *mag)
{
    for (int32_t k = first; k <= last; k++) {
        mag[k - first] = tg_bin_mag_f32(z, n, split, k);
    }
}
