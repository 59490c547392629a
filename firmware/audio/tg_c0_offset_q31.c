/*
 * Adding ln g to all 40 log-mel values adds sqrt(2 * 40) ln g to c0 and nothing
 * to the other coefficients (the DCT's other rows sum to zero): the fixed-point
 * front end undoes its own scaling, and stream mode normalises a window,
 * through this offset (stream.py, "Normalisation").
 */
#include "tg_audio.h"

#define TG_C0_SHIFT (TG_MFCC_Q_LOG + 27 - TG_MFCC_Q_MFCC)   /* Q24 * Q27 -> Q20 */

int32_t tg_c0_offset_q31(int64_t ln_q24, int32_t c0_per_ln_q27)
{
    int64_t product = ln_q24 * c0_per_ln_q27;
    return (int32_t)((product + (1LL << (TG_C0_SHIFT - 1))) >> TG_C0_SHIFT);
}
