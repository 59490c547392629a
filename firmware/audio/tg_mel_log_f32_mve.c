/*
 * tg_mel_log_f32.c for the Cortex-M55's Helium (MVE): the same mel energies
 * and logarithms, bit for bit.
 *
 * A lane is one filter: four filters' sums run side by side, each adding its
 * own products w[k] mag[k] in the scalar order (k = 0, 1, ...; VMUL then
 * VADD, not fused), so every sum is the scalar one; the sums are never split
 * or reordered. Step k gathers each filter's k-th weight and bin (the bases
 * advance by one, the lanes' offsets are their runs' starts) and adds under
 * a predicate while k is below the lane's run length; the group runs as long
 * as its longest filter. A group whose sums flushed a subnormal is summed
 * again in scalar (tg_audio_mve.h). The logarithm, tg_log_f32, stays scalar
 * per filter: it divides, and Helium has no float division.
 *
 * Cost and floor. A group of 4 filters costs about 10 instructions a step
 * (the predicate, two gathers, the product, the predicated sum, the bases,
 * the loop) for as many steps as its longest run, where the scalar code
 * spends about 5 a weight. The 40 logarithms (about 30 instructions each,
 * one division among them) are then most of the stage: the floor of the sums
 * is one product and one sum per weight on 4 lanes; the logarithms' is
 * scalar.
 */
#include "tg_audio.h"
#include "tg_audio_mve.h"

#define TG_LANES 4

/* The filters go 4 to a vector: a bank of another size needs a scalar tail here. */
typedef char tg_mel_groups_fill_vectors[TG_MFCC_NUM_MEL % TG_LANES == 0 ? 1 : -1];

/* One filter's energy, the scalar sum (tg_mel_log_f32.c). */
static float tg_mel_energy(const float *bins, const float *w, int32_t length)
{
    float energy = 0.0f;
    for (int32_t k = 0; k < length; k++) {
        energy += w[k] * bins[k];
    }
    return energy;
}

void tg_mel_log_f32(const float *mag, int32_t first_bin, const tg_mel_runs_f32 *mel, float eps, float *logmel)
{
    const float *w = mel->weights;
    tg_mve_clear_flush();
    for (int32_t m = 0; m < TG_MFCC_NUM_MEL; m += TG_LANES) {
        uint32_t w_starts[TG_LANES];
        int32_t longest = 0, run = 0;
        for (int32_t i = 0; i < TG_LANES; i++) {
            w_starts[i] = (uint32_t)run;
            run += mel->length[m + i];
            longest = mel->length[m + i] > longest ? mel->length[m + i] : longest;
        }
        const uint32x4_t lengths = vldrbq_u32(&mel->length[m]);
        const uint32x4_t w_off = vld1q_u32(w_starts);
        const uint32x4_t bin_off = vsubq_n_u32(vldrbq_u32(&mel->start[m]), (uint32_t)first_bin);
        float32x4_t energy = vdupq_n_f32(0.0f);
        for (int32_t k = 0; k < longest; k++) {
            mve_pred16_t p = vcmphiq_n_u32(lengths, (uint32_t)k);
            float32x4_t wk = vldrwq_gather_shifted_offset_z_f32(w + k, w_off, p);
            float32x4_t bk = vldrwq_gather_shifted_offset_z_f32(mag + k, bin_off, p);
            energy = vaddq_m_f32(energy, energy, vmulq_f32(wk, bk), p);
        }
        float e[TG_LANES];
        if (tg_mve_flushed4(energy, energy, energy, energy)) {
            const float *wi = w;
            for (int32_t i = 0; i < TG_LANES; i++) {
                e[i] = tg_mel_energy(&mag[mel->start[m + i] - first_bin], wi, mel->length[m + i]);
                wi += mel->length[m + i];
            }
            tg_mve_clear_flush();
        } else {
            vst1q_f32(e, energy);
        }
        for (int32_t i = 0; i < TG_LANES; i++) {
            logmel[m + i] = tg_log_f32(e[i] + eps);
        }
        w += run;
    }
}
