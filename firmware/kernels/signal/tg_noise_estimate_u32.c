/*
 * tg_noise_estimate_u32: the noise estimate of TFLite Micro's SignalFilterBankSpectralSubtraction
 * (its second output), kept as the layer's state across invocations. Per channel a low-pass
 * filter toward the signal scaled up by smoothing_bits (even and odd channels may have
 * different coefficients); with clamping the estimate drops to that signal where it exceeds
 * it. uint32 values, 64-bit products, wrapping as in C.
 * numpy twin: tinygen.ref.signal_bank.noise_estimate_u32.
 */
#include "tg_kernels_signal_bank.h"

void tg_noise_estimate_u32(const tg_spectral_subtraction_params_t *p, const uint32_t *input, uint32_t *state,
                           uint32_t *estimate)
{
    const uint32_t sb = (uint32_t)p->smoothing_bits;
    const uint32_t ssb = (uint32_t)p->spectral_subtraction_bits;
    int32_t i;

    for (i = 0; i < p->num_channels; ++i) {
        const int32_t odd = i & 1;
        const uint64_t s = (uint32_t)(odd ? p->alternate_smoothing : p->smoothing);
        const uint64_t oms = (uint32_t)(odd ? p->alternate_one_minus_smoothing : p->one_minus_smoothing);
        const uint32_t scaled = input[i] << sb;
        uint32_t value = (uint32_t)(((uint64_t)scaled * s + (uint64_t)state[i] * oms) >> ssb);
        if (p->clamping && value > scaled) {
            value = scaled;
        }
        state[i] = value;
        estimate[i] = value;
    }
}
