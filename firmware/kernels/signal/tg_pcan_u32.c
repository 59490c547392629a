/*
 * tg_pcan_u32: portable SignalPCAN (per-channel amplitude normalization, TFLite Micro's signal
 * library). The gain for a channel's noise level comes from gain_lut: the entry itself for a
 * level of at most 2, else a quadratic in the level's top 10 bits below its leading one, with
 * three int16 coefficients per power of two; the gain (an int16, converted to uint32 as C does)
 * scales the channel, and the resulting SNR (Q12) is shrunk to Q6: x^2 / 4 below 2, x - 1 above.
 * numpy twin: tinygen.ref.signal_bank.pcan_u32.
 */
#include "tg_kernels_signal_bank.h"

#define TG_PCAN_SNR_BITS 12
#define TG_PCAN_OUTPUT_BITS 6

static int16_t tg_pcan_gain(uint32_t x, const int16_t *lut)
{
    int32_t interval, frac, result;
    const int16_t *coeff;

    if (x <= 2u) {
        return lut[x];
    }
    interval = 32 - __builtin_clz(x);
    coeff = lut + 4 * interval - 6;
    frac = (int32_t)((interval < 11 ? x << (11 - interval) : x >> (interval - 11)) & 0x3FFu);
    result = (coeff[2] * frac) >> 5;
    /* int32 wrap-around as TFLite Micro's compiled code has it (the signed overflow done unsigned) */
    result = (int32_t)((uint32_t)result + ((uint32_t)coeff[1] << 5));
    result = (int32_t)((uint32_t)result * (uint32_t)frac);
    result = (int32_t)((uint32_t)result + (1u << 14)) >> 15;
    return (int16_t)(result + coeff[0]);
}

void tg_pcan_u32(const tg_pcan_params_t *p, const uint32_t *input, const uint32_t *noise,
                 const int16_t *gain_lut, uint32_t *output)
{
    int32_t i;

    for (i = 0; i < p->num_channels; ++i) {
        const uint32_t gain = (uint32_t)(int32_t)tg_pcan_gain(noise[i], gain_lut);
        const uint32_t snr = (uint32_t)(((uint64_t)input[i] * gain) >> p->snr_shift);
        if (snr < (2u << TG_PCAN_SNR_BITS)) {
            output[i] = (snr * snr) >> (2 + 2 * TG_PCAN_SNR_BITS - TG_PCAN_OUTPUT_BITS);
        } else {
            output[i] = (snr >> (TG_PCAN_SNR_BITS - TG_PCAN_OUTPUT_BITS)) - (1u << TG_PCAN_OUTPUT_BITS);
        }
    }
}
