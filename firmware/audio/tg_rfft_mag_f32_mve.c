/*
 * tg_rfft_mag_f32.c for the Cortex-M55's Helium (MVE): the same split of the
 * complex FFT into the real FFT's bins and the same magnitudes, bit for bit.
 *
 * A lane is one bin k and computes the scalar formula exactly (VADD / VSUB,
 * VMUL by 0.5, the twiddle product as VMUL, VMUL, VSUB / VADD, no fused
 * multiply-add): A = Z[k] from VLD2 of 4 consecutive bins, B = conj(Z[n - k])
 * gathered at the mirrored indices ((n - k) mod n, descending), the power
 * xr^2 + xi^2 as VMUL, VMUL, VADD. The square root stays the scalar
 * tg_sqrt_f32 on each lane's power: Helium has no float division, and Heron's
 * steps need one (a reciprocal estimate and Newton steps would round
 * differently). The bins past the last multiple of 4 are scalar, and so is a
 * vector of bins whose computation flushed a subnormal (tg_audio_mve.h).
 *
 * Cost and floor. Per 4 bins: 2 loads of A, 2 gathers of B and their
 * mirrored offsets (4 integer operations), 2 loads of the twiddles, 15 float
 * operations, the guard, then 4 square roots (each 3 divisions, 3 sums, 3
 * products and the exponent guess, about 16 instructions with its call):
 * about 90 instructions against the scalar code's 4 x 52. The square roots
 * are the floor now, about two thirds of the stage: what is left is
 * arithmetic Helium cannot do in a vector.
 */
#include "tg_audio.h"
#include "tg_audio_f32_scalar.h"
#include "tg_audio_mve.h"

#define TG_LANES 4

/* |X[k]|, the scalar formula, one out-of-line copy for the tail and the fallback. */
static __attribute__((noinline)) float tg_bin_mag(const float *z, int32_t n, const float *split, int32_t k)
{
    return tg_bin_mag_f32(z, n, split, k);
}

void tg_rfft_mag_f32(const float *z, int32_t n, const float *split, int32_t first, int32_t last, float *mag)
{
    const uint32x4_t mask = vdupq_n_u32((uint32_t)(n - 1));
    uint32x4_t k4 = vaddq_n_u32(vidupq_n_u32(0, 1), (uint32_t)first);
    int32_t k = first;
    tg_mve_clear_flush();
    for (; k + TG_LANES - 1 <= last; k += TG_LANES) {
        float32x4x2_t a = vld2q_f32(&z[2 * k]);
        float32x4x2_t w = vld2q_f32(&split[2 * k]);
        uint32x4_t mirror = vshlq_n_u32(vandq_u32(vsubq_u32(vdupq_n_u32((uint32_t)n), k4), mask), 1);
        float32x4_t br = vldrwq_gather_shifted_offset_f32(z, mirror);
        float32x4_t bi = vnegq_f32(vldrwq_gather_shifted_offset_f32(z + 1, mirror));
        k4 = vaddq_n_u32(k4, TG_LANES);
        float32x4_t er = vmulq_n_f32(vaddq_f32(a.val[0], br), 0.5f);
        float32x4_t ei = vmulq_n_f32(vaddq_f32(a.val[1], bi), 0.5f);
        float32x4_t or_ = vmulq_n_f32(vsubq_f32(a.val[1], bi), 0.5f);
        float32x4_t oi = vmulq_n_f32(vsubq_f32(br, a.val[0]), 0.5f);
        float32x4_t xr = vaddq_f32(er, vsubq_f32(vmulq_f32(w.val[0], or_), vmulq_f32(w.val[1], oi)));
        float32x4_t xi = vaddq_f32(ei, vaddq_f32(vmulq_f32(w.val[0], oi), vmulq_f32(w.val[1], or_)));
        float32x4_t power = vaddq_f32(vmulq_f32(xr, xr), vmulq_f32(xi, xi));
        float *out = &mag[k - first];
        if (tg_mve_flushed4(power, power, power, power)) {
            for (int32_t i = 0; i < TG_LANES; i++) {
                out[i] = tg_bin_mag(z, n, split, k + i);
            }
            tg_mve_clear_flush();
        } else {
            out[0] = tg_sqrt_f32(vgetq_lane_f32(power, 0));
            out[1] = tg_sqrt_f32(vgetq_lane_f32(power, 1));
            out[2] = tg_sqrt_f32(vgetq_lane_f32(power, 2));
            out[3] = tg_sqrt_f32(vgetq_lane_f32(power, 3));
        }
    }
    for (; k <= last; k++) {
        mag[k - first] = tg_bin_mag(z, n, split, k);
    }
}
