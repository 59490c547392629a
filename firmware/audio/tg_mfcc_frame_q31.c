/*
 * One frame's MFCCs in integer arithmetic: tg_mfcc_frame_f32 for cores without
 * an FPU, samples taken as sample / divisor.
 *
 * Block scaling: the windowed samples p = s * w (w in Q30) are scaled by 2^e
 * so that their sum of |values| stays below 2^30 (the FFT then cannot
 * overflow, tg_cfft_q31) while keeping as many bits as it can; quiet frames
 * are scaled up by at most 2^7 (TG_MFCC_SCALE_UP_MAX) so that the log's
 * offset still fits 64 bits. The energies are then those of the frame times
 * divisor * 2^(30 + e) in Q30:
 *
 *   ln(E_twin + eps) = ln(E + eps * divisor * 2^(60 + e)) - ln(divisor) - (60 + e) ln 2
 *
 * The offset is added in the same units before the log; the two subtracted
 * terms, equal for all 40 filters, only move c0 (tg_c0_offset_q31).
 */
#include "tg_audio.h"

#define TG_Q_ENERGY_SCALE (TG_MFCC_Q_WINDOW + TG_MFCC_Q_ENERGY)   /* 60: energies carry 2^(60 + e) */
#define TG_EPS_Q 62                                               /* tables->eps_q62 */
#define TG_LN2_Q24 11629080                                       /* ln 2 in Q24 */

/* The e of the block scaling for a sum of |values| `l1` > 0. */
static int32_t tg_block_exponent(uint64_t l1)
{
    int32_t bits = 64 - __builtin_clzll(l1);    /* l1 < 2^bits */
    int32_t e = TG_MFCC_FFT_BOUND_BITS - bits;
    return e > TG_MFCC_SCALE_UP_MAX ? TG_MFCC_SCALE_UP_MAX : e;
}

/*
 * s * w * 2^e, rounded: below 2^30 in magnitude by the choice of e. w <= 2^30 is an int32, so
 * s * w is one 32 x 32 product. With e >= 0, s * w itself is below 2^30 (32-bit shift); with
 * e < 0, -e <= 24 (the sum of |s w| is below 480 * 2^15 * 2^30 < 2^54, so e >= 30 - 54):
 * the rounded 64-bit value shifted right by -e < 32 is its low word's top bits and the high
 * word's low ones.
 */
static int32_t tg_windowed(int16_t s, uint32_t w, int32_t e)
{
    int64_t p = (int64_t)s * (int32_t)w;
    if (e >= 0) {
        return (int32_t)((uint32_t)(int32_t)p << e);
    }
    uint64_t q = (uint64_t)(p + ((int64_t)1 << (-e - 1)));
    return (int32_t)(((uint32_t)q >> -e) | ((uint32_t)(q >> 32) << (32 + e)));
}

void tg_mfcc_frame_q31(const int16_t *frame, uint32_t divisor, const tg_mfcc_tables_q31 *tables,
                       tg_mfcc_scratch_q31 *scratch, int32_t *mfcc)
{
    uint64_t l1 = 0u;
    for (int32_t i = 0; i < TG_MFCC_FRAME_LENGTH; i++) {
        int32_t s = frame[i] < 0 ? -(int32_t)frame[i] : frame[i];
        l1 += (uint64_t)s * tables->window[i];
    }
    int32_t e = l1 != 0u ? tg_block_exponent(l1) : 0;
    int32_t *z = scratch->fft;
    for (int32_t j = 0; j < TG_MFCC_FFT_HALF; j++) {
        int32_t i = 2 * j;
        int32_t re = 0;
        int32_t im = 0;
        if (i < TG_MFCC_FRAME_LENGTH) {
            re = tg_windowed(frame[i], tables->window[i], e);
            im = tg_windowed(frame[i + 1], tables->window[i + 1], e);
        }
        int32_t r = tables->bitrev[j];
        z[2 * r] = re;
        z[2 * r + 1] = im;
    }
    tg_cfft_q31(z, TG_MFCC_FFT_HALF, tables->twiddles);
    tg_rfft_mag_q31(z, TG_MFCC_FFT_HALF, tables->split, tables->bin_first, tables->bin_last, scratch->mag);

    /* eps * divisor * 2^(60 + e) in the energies' units: eps_q62 * divisor / 2^(2 - e) */
    uint64_t eps = tables->eps_q62 * divisor;
    int32_t shift = TG_EPS_Q - TG_Q_ENERGY_SCALE - e;
    eps = shift >= 0 ? (eps + (1ULL << shift >> 1)) >> shift : eps << -shift;
    tg_mel_log_q31(scratch->mag, tables->bin_first, &tables->mel, eps, tables->log2_table, scratch->logmel);
    tg_dct_q31(scratch->logmel, TG_MFCC_NUM_MEL, tables->dct, TG_MFCC_NUM_COEFFS, mfcc);

    int64_t ln_scale = (int64_t)tg_log_q31(divisor, tables->log2_table) + (int64_t)(TG_Q_ENERGY_SCALE + e) * TG_LN2_Q24;
    mfcc[0] -= tg_c0_offset_q31(ln_scale, tables->c0_per_ln_q27);
}
