/* tg_dct_f32 in integers: Q24 inputs times a Q28 matrix, summed in 64 bits, rounded to Q20. */
#include "tg_audio.h"

#define TG_DCT_SHIFT (TG_MFCC_Q_LOG + TG_MFCC_Q_DCT - TG_MFCC_Q_MFCC)

void tg_dct_q31(const int32_t *x, int32_t n_in, const int32_t *dct, int32_t n_out, int32_t *out)
{
    for (int32_t k = 0; k < n_out; k++) {
        int64_t sum = 0;
        for (int32_t m = 0; m < n_in; m++) {
            sum += (int64_t)x[m] * dct[m * n_out + k];
        }
        out[k] = (int32_t)((sum + (1LL << (TG_DCT_SHIFT - 1))) >> TG_DCT_SHIFT);
    }
}
