/*
 * tg_signal_energy_s16_u32: TFLite Micro's SignalEnergy, the power of each bin of a spectrum of
 * (real, imag) int16 pairs. numpy twin: tinygen.ref.signal.signal_energy_s16_u32.
 */
#include "tg_kernels.h"

void tg_signal_energy_s16_u32(const tg_signal_energy_params_t *p, const int16_t *input, uint32_t *output)
{
    int32_t i;

    for (i = 0; i < p->bins; ++i) {
        uint32_t e = 0;
        if (i >= p->start_index && i < p->end_index) {
            int32_t re = input[2 * i];
            int32_t im = input[2 * i + 1];
            /* each square fits an int32; their sum may reach 2^31, so add as unsigned */
            e = (uint32_t)(re * re) + (uint32_t)(im * im);
        }
        output[i] = e;
    }
}
