/*
 * tg_filter_bank_log_u32_s16: portable SignalFilterBankLog (TFLite Micro's signal library):
 * ln(x) * output_scale of each channel shifted left by correction_bits, saturated to int16.
 * log2(x) in Q16: the leading one's position, plus the fraction below it (16 bits) corrected by
 * log2(1 + f) - f, linear between the 129 points of log_lut (a constant in flash:
 * tinygen.ref.signal_bank.LOG_LUT, 130 entries, the last 0); ln = log2 * ln 2 (Q16, 45426);
 * each product rounded, in uint32 arithmetic wrapping as in C. tinygen's own tg_log_q31
 * (firmware/audio/, a Q30 log2 table of 257 points) gives different bytes: not shared.
 * numpy twin: tinygen.ref.signal_bank.filter_bank_log_u32_s16.
 */
#include "tg_kernels_signal_bank.h"

#define TG_LOG_SCALE_BITS 16        /* log2 in Q16 */
#define TG_LOG_SEGMENT_BITS 7       /* 128 segments of the fraction */
#define TG_LN2_Q16 45426u

static uint32_t tg_log_scaled(uint32_t x, uint32_t out_scale, const uint16_t *log_lut)
{
    const int32_t integer = 31 - __builtin_clz(x);
    const int32_t seg_width = 1 << (TG_LOG_SCALE_BITS - TG_LOG_SEGMENT_BITS);
    int32_t frac = (int32_t)(x - (1u << integer));
    int32_t seg, c0, c1;
    uint32_t log2, loge;

    if (integer < TG_LOG_SCALE_BITS) {
        frac <<= TG_LOG_SCALE_BITS - integer;
    } else {
        frac >>= integer - TG_LOG_SCALE_BITS;
    }
    seg = frac >> (TG_LOG_SCALE_BITS - TG_LOG_SEGMENT_BITS);
    c0 = log_lut[seg];
    c1 = log_lut[seg + 1];
    log2 = ((uint32_t)integer << TG_LOG_SCALE_BITS) +
           (uint32_t)(frac + c0 + (((c1 - c0) * (frac - seg * seg_width)) >> TG_LOG_SCALE_BITS));
    loge = (uint32_t)(((uint64_t)TG_LN2_Q16 * log2 + (1u << 15)) >> TG_LOG_SCALE_BITS);
    return (out_scale * loge + (1u << 15)) >> TG_LOG_SCALE_BITS;
}

void tg_filter_bank_log_u32_s16(const tg_filter_bank_log_params_t *p, const uint32_t *input, const uint16_t *log_lut,
                                int16_t *output)
{
    int32_t i;

    for (i = 0; i < p->num_channels; ++i) {
        const uint32_t scaled = input[i] << p->correction_bits;
        if (scaled > 1u) {
            const uint32_t value = tg_log_scaled(scaled, (uint32_t)p->output_scale, log_lut);
            output[i] = (int16_t)(value < 32767u ? value : 32767u);
        } else {
            output[i] = 0;
        }
    }
}
