/*
 * tg_filter_bank_u32_u64: portable SignalFilterBank (TFLite Micro's signal library). Each
 * input bin between two channel centres counts toward both: weighted toward the upper channel,
 * "unweighted" toward the lower one. One pass over the table entries c = 0..num_channels
 * accumulates both sums of band c; the upper sum finishes output c - 1 (entry 0 only starts
 * output 0's unweighted part). uint64 arithmetic, wrapping as in C.
 * numpy twin: tinygen.ref.signal_bank.filter_bank_u32_u64.
 */
#include "tg_kernels_signal_bank.h"

void tg_filter_bank_u32_u64(const tg_filter_bank_params_t *p, const uint32_t *input, const int16_t *weights,
                            const int16_t *unweights, const int16_t *freq_starts, const int16_t *weight_starts,
                            const int16_t *widths, uint64_t *output)
{
    uint64_t carried = 0u;      /* band c - 1's unweighted sum */
    int32_t c, j;

    for (c = 0; c <= p->num_channels; ++c) {
        const uint32_t *bins = input + freq_starts[c];
        const int16_t *w = weights + weight_starts[c];
        const int16_t *u = unweights + weight_starts[c];
        uint64_t weighted = carried;
        uint64_t unweighted = 0u;
        for (j = 0; j < widths[c]; ++j) {
            weighted += (uint64_t)(int64_t)w[j] * bins[j];
            unweighted += (uint64_t)(int64_t)u[j] * bins[j];
        }
        if (c > 0) {
            output[c - 1] = weighted;
        }
        carried = unweighted;
    }
}
