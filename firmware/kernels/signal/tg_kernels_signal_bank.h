/*
 * tg_kernels_signal_bank.h: the filter-bank half of TFLite Micro's signal library (an audio
 * front end exported as a model: CUSTOM SignalFilterBank, SignalFilterBankSquareRoot,
 * SignalFilterBankSpectralSubtraction, SignalPCAN, SignalFilterBankLog), in TFLite Micro's
 * integer arithmetic, unsigned wrap-arounds included. One vector of channels each; no
 * quantization (the tensors hold plain integers).
 * numpy twins: tinygen/ref/signal_bank.py (named like the kernel minus tg_).
 */
#ifndef TG_KERNELS_SIGNAL_BANK_H
#define TG_KERNELS_SIGNAL_BANK_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* SignalFilterBank: num_channels outputs; the tables have num_channels + 1 entries. */
typedef struct {
    int32_t num_channels;
} tg_filter_bank_params_t;

/* output[c] = sum over channel c + 1's band of weights * input, plus the sum over channel c's
 * band of unweights * input; products and sums in uint64, wrapping (an int16 weight below 0
 * converts to 2^64 - |w|). Tables: freq_starts (first input bin), weight_starts (first entry of
 * weights / unweights), widths (bins), num_channels + 1 entries each; the caller guarantees
 * every band lies inside the input and the weight arrays. */
void tg_filter_bank_u32_u64(const tg_filter_bank_params_t *p, const uint32_t *input, const int16_t *weights,
                            const int16_t *unweights, const int16_t *freq_starts, const int16_t *weight_starts,
                            const int16_t *widths, uint64_t *output);

/* SignalFilterBankSquareRoot */
typedef struct {
    int32_t size;
} tg_filter_bank_sqrt_params_t;

/* output[i] = round(sqrt(input[i])) >> *shift (*shift in 0..31, the int32 scalar tensor the FFT's
 * auto scale writes): the signal library's bit-by-bit root, rounded up where the remainder
 * exceeds the root (never past 0xFFFF on the 32-bit path it takes when the upper word is 0,
 * nor past 0xFFFFFFFF). */
void tg_filter_bank_sqrt_u64_u32(const tg_filter_bank_sqrt_params_t *p, const uint64_t *input,
                                 const int32_t *shift, uint32_t *output);

/* SignalFilterBankSpectralSubtraction, as two kernels: the noise estimate (its second output,
 * the layer's state) and the signal less that estimate (its first). Coefficients in units of
 * 2^-spectral_subtraction_bits. */
typedef struct {
    int32_t num_channels;
    int32_t smoothing;                      /* even channels' low-pass coefficient */
    int32_t one_minus_smoothing;
    int32_t alternate_smoothing;            /* odd channels' */
    int32_t alternate_one_minus_smoothing;
    int32_t min_signal_remaining;           /* the output never drops below input * this */
    int32_t smoothing_bits;                 /* extra fraction bits of the noise estimate */
    int32_t spectral_subtraction_bits;
    int32_t clamping;                       /* 1: the estimate drops to the signal where it exceeds it */
} tg_spectral_subtraction_params_t;

/* state: the noise estimate (num_channels uint32), carried over from one invocation to the next,
 * zeros after tg_noise_estimate_reset_u32. Updates it from input and writes a copy to estimate. */
void tg_noise_estimate_u32(const tg_spectral_subtraction_params_t *p, const uint32_t *input, uint32_t *state,
                           uint32_t *estimate);
void tg_noise_estimate_reset_u32(const tg_spectral_subtraction_params_t *p, uint32_t *state);

/* output = (input << smoothing_bits) less min(estimate, that), shifted back, and at least
 * input * min_signal_remaining; estimate: tg_noise_estimate_u32's of this invocation. */
void tg_spectral_subtraction_u32(const tg_spectral_subtraction_params_t *p, const uint32_t *input,
                                 const uint32_t *estimate, uint32_t *output);

/* SignalPCAN (per-channel amplitude normalization) */
typedef struct {
    int32_t num_channels;
    int32_t snr_shift;
} tg_pcan_params_t;

/* output[i] = shrink((input[i] * gain(noise[i])) >> snr_shift): gain from gain_lut (an int16
 * per noise level x <= 2, then three coefficients for each power of two, 4 * 32 - 3 entries for
 * any uint32 noise), shrink the signal library's x^2 / 4 below 2, x - 1 above (Q12 in, Q6 out). */
void tg_pcan_u32(const tg_pcan_params_t *p, const uint32_t *input, const uint32_t *noise,
                 const int16_t *gain_lut, uint32_t *output);

/* SignalFilterBankLog */
typedef struct {
    int32_t num_channels;
    int32_t output_scale;
    int32_t correction_bits;
} tg_filter_bank_log_params_t;

/* output[i] = min(ln(input[i] << correction_bits) * output_scale, 32767) in the signal
 * library's fixed point (a Q16 log2 corrected by log_lut: log2(1 + i / 128) - i / 128 in Q16 for
 * i = 0..128 and a last 0, tinygen.ref.signal_bank.LOG_LUT); 0 where the shifted input is 0 or 1. */
void tg_filter_bank_log_u32_s16(const tg_filter_bank_log_params_t *p, const uint32_t *input, const uint16_t *log_lut,
                                int16_t *output);

#ifdef __cplusplus
}
#endif

#endif /* TG_KERNELS_SIGNAL_BANK_H */
