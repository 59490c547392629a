/*
 * |X[k]| of a real 2n-point FFT from the n-point complex FFT Z of its sample
 * pairs z[j] = x[2j] + i x[2j+1] (frontend.spectrum, step 4).
 *
 * With A = Z[k] and B = conj(Z[n - k]) (indices mod n): the even samples' DFT
 * is E = (A + B) / 2, the odd samples' O = (A - B) / 2i, and
 * X[k] = E + exp(-2 pi i k / 2n) O.
 */
#include "tg_audio.h"

void tg_rfft_mag_f32(const float *z, int32_t n, const float *split, int32_t first, int32_t last, float *mag)
{
    for (int32_t k = first; k <= last; k++) {
        int32_t mirror = (n - k) & (n - 1);
        float ar = z[2 * k];
        float ai = z[2 * k + 1];
        float br = z[2 * mirror];
        float bi = -z[2 * mirror + 1];
        float er = 0.5f * (ar + br);
        float ei = 0.5f * (ai + bi);
        float or_ = 0.5f * (ai - bi);   /* (A - B) / 2i */
        float oi = 0.5f * (br - ar);
        float wr = split[2 * k];
        float wi = split[2 * k + 1];
        float xr = er + (wr * or_ - wi * oi);
        float xi = ei + (wr * oi + wi * or_);
        mag[k - first] = tg_sqrt_f32(xr * xr + xi * xi);
    }
}
