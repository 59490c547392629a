/*
 * tg_mfcc_frame_f32.c for the Cortex-M55's Helium (MVE): the same frame, bit
 * for bit, with the window and the bit-reversed placement four samples at a
 * time; the stages it calls are their own files (tg_*_f32_mve.c where the
 * board has Helium).
 *
 * A lane is one sample and computes the scalar formula exactly: (float)x
 * (VCVT, exact for int16) times gain, then times the window (two VMULs, in
 * that order). Samples 2j and 2j + 1 are pair j, the real and imaginary
 * parts of point bitrev[j]: a gather of the table's bytes (j, j, j + 1,
 * j + 1) and one VMLA give each lane its float offset 2 bitrev[j] + (0 or 1),
 * a scatter stores the four. The pairs past the frame's 480 samples are
 * zeros, scattered the same way. A frame that flushed a subnormal (a gain
 * below about 1e-34 would) is windowed again in scalar (tg_audio_mve.h).
 *
 * Cost and floor. Per 4 samples: the halfword load (widened), the convert,
 * the window's load, 2 products, the table gather, the offsets' VMLA, the
 * scatter and the loop: about 11 instructions against the scalar code's
 * 4 x 11. The floor is the 2 products and the 4 memory operations (samples,
 * window, table, scatter) per vector: the bit reversal costs one gather and
 * one VMLA a vector, and folding it into the FFT's first stage would not
 * remove the scatter's address arithmetic.
 */
#include "tg_audio.h"
#include "tg_audio_f32_scalar.h"
#include "tg_audio_mve.h"

#define TG_LANES 4
#define TG_MFCC_LOG_OFFSET 1e-6f   /* frontend.LOG_OFFSET */

void tg_mfcc_frame_f32(const int16_t *frame, float gain, const tg_mfcc_tables_f32 *tables,
                       tg_mfcc_scratch_f32 *scratch, float *mfcc)
{
    static const uint32_t pair_lanes[TG_LANES] = {0, 0, 1, 1};   /* lane -> pair within the vector */
    static const uint32_t part_lanes[TG_LANES] = {0, 1, 0, 1};   /* lane -> re or im */
    const uint32x4_t pair = vld1q_u32(pair_lanes);
    const uint32x4_t part = vld1q_u32(part_lanes);
    float *z = scratch->fft;
    tg_mve_clear_flush();
    int32_t i = 0;
    for (; i < TG_MFCC_FRAME_LENGTH; i += TG_LANES) {
        float32x4_t x = vmulq_n_f32(vcvtq_f32_s32(vldrhq_s32(&frame[i])), gain);
        x = vmulq_f32(x, vld1q_f32(&tables->window[i]));
        uint32x4_t r = vldrbq_gather_offset_u32(&tables->bitrev[i / 2], pair);
        vstrwq_scatter_shifted_offset_f32(z, vmlaq_n_u32(part, r, 2), x);
    }
    const float32x4_t zero = vdupq_n_f32(0.0f);
    for (; i < 2 * TG_MFCC_FFT_HALF; i += TG_LANES) {
        uint32x4_t r = vldrbq_gather_offset_u32(&tables->bitrev[i / 2], pair);
        vstrwq_scatter_shifted_offset_f32(z, vmlaq_n_u32(part, r, 2), zero);
    }
    if (tg_mve_flushed4(zero, zero, zero, zero)) {
        tg_window_place_f32(frame, gain, tables, z);
        tg_mve_clear_flush();
    }
    tg_cfft_f32(z, TG_MFCC_FFT_HALF, tables->twiddles);
    tg_rfft_mag_f32(z, TG_MFCC_FFT_HALF, tables->split, tables->bin_first, tables->bin_last, scratch->mag);
    tg_mel_log_f32(scratch->mag, tables->bin_first, &tables->mel, TG_MFCC_LOG_OFFSET, scratch->logmel);
    tg_dct_f32(scratch->logmel, TG_MFCC_NUM_MEL, tables->dct, TG_MFCC_NUM_COEFFS, mfcc);
}
