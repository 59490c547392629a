/*
 * tg_spectral_subtraction_u32: the first output of TFLite Micro's
 * SignalFilterBankSpectralSubtraction from the signal and this invocation's noise estimate
 * (tg_noise_estimate_u32): the signal scaled up by smoothing_bits less the estimate (never more
 * than the signal), scaled back, and never below input * min_signal_remaining. uint32 values,
 * 64-bit products, wrapping as in C.
 * numpy twin: tinygen.ref.signal_bank.spectral_subtraction_u32.
 */
#include "tg_kernels_signal_bank.h"

void tg_spectral_subtraction_u32(const tg_spectral_subtraction_params_t *p, const uint32_t *input,
                                 const uint32_t *estimate, uint32_t *output)
{
    const uint32_t sb = (uint32_t)p->smoothing_bits;
    const uint32_t ssb = (uint32_t)p->spectral_subtraction_bits;
    int32_t i;

    for (i = 0; i < p->num_channels; ++i) {
        const uint32_t scaled = input[i] << sb;
        const uint32_t taken = estimate[i] < scaled ? estimate[i] : scaled;
        const uint32_t floor_value = (uint32_t)(((uint64_t)input[i] * (uint32_t)p->min_signal_remaining) >> ssb);
        const uint32_t subtracted = (scaled - taken) >> sb;
        output[i] = subtracted > floor_value ? subtracted : floor_value;
    }
}
