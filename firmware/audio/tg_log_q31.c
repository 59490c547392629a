/*
 * ln(x) in Q24 of a uint64 x >= 1, in integer arithmetic (the log of
 * frontend.log_mel in the fixed-point front end).
 *
 * x = 2^b * m with m in [1, 2) as a Q31 mantissa; log2(m) is interpolated
 * linearly in a table of log2(1 + i / 256) (Q30, 257 entries; the chord of a
 * concave curve lies below it by at most 2.8e-6); ln x = (b + log2 m) ln 2.
 */
#include "tg_audio.h"

#define TG_LN2_Q31 1488522236     /* ln 2 in Q31 */
#define TG_LOG_INDEX_BITS 8       /* the table's 256 intervals */
#define TG_LOG_FRAC_BITS 16       /* interpolation position within an interval */

int32_t tg_log_q31(uint64_t x, const uint32_t *log2_table)
{
    int32_t lead = __builtin_clzll(x);
    int32_t b = 63 - lead;
    uint32_t m = (uint32_t)((x << lead) >> 32);        /* 1.xxx in Q31: bit 31 set */
    uint32_t index = (m >> (31 - TG_LOG_INDEX_BITS)) & ((1u << TG_LOG_INDEX_BITS) - 1u);
    uint32_t frac = (m >> (31 - TG_LOG_INDEX_BITS - TG_LOG_FRAC_BITS)) & ((1u << TG_LOG_FRAC_BITS) - 1u);
    uint32_t lo = log2_table[index];
    uint32_t step = log2_table[index + 1u] - lo;
    uint32_t log2m_q30 = lo + (uint32_t)(((uint64_t)step * frac) >> TG_LOG_FRAC_BITS);
    int64_t log2x_q24 = ((int64_t)b << TG_MFCC_Q_LOG) + (int64_t)(log2m_q30 >> (30 - TG_MFCC_Q_LOG));
    return (int32_t)((log2x_q24 * TG_LN2_Q31 + (1 << 30)) >> 31);
}
