/*
 * tg_noise_estimate_reset_u32: a spectral subtraction layer's noise estimate back to zeros
 * (TFLite Micro's reset of SignalFilterBankSpectralSubtraction; tg_model_reset_state).
 */
#include "tg_kernels_signal_bank.h"

void tg_noise_estimate_reset_u32(const tg_spectral_subtraction_params_t *p, uint32_t *state)
{
    int32_t i;

    for (i = 0; i < p->num_channels; ++i) {
        state[i] = 0u;
    }
}
