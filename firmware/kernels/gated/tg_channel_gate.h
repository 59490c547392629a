/*
 * What tg_channel_gate_s8 and tg_channel_gate_s8_dsp share: the top-k's last pass, once
 * the k-th largest value is known.
 */
#ifndef TG_CHANNEL_GATE_H
#define TG_CHANNEL_GATE_H

#include "tg_kernels_gating.h"

/* Top-k with t the k-th largest value and ties the number of values == t to keep (the first
   ones in channel order): output[c] = saliency[c] for every value > t and those ties, the
   zero point elsewhere (and for a kept value at the zero point). Returns the number kept. */
static inline int32_t tg_channel_gate_topk_select(const tg_channel_gate_params_t *p, const int8_t *saliency,
                                                  int32_t t, int32_t ties, int8_t *output)
{
    const int32_t n = p->channels, zp = p->zero_point;
    int32_t c, kept = 0;
    for (c = 0; c < n; ++c) {
        const int32_t s = saliency[c];
        int32_t keep = s > t;
        if (s == t && ties > 0) {
            keep = 1;
            --ties;
        }
        keep = keep && s != zp;
        output[c] = keep ? (int8_t)s : (int8_t)zp;
        kept += keep;
    }
    return kept;
}

/* Channel counts the histogram top-k serves: its bins count in uint8. */
#define TG_CHANNEL_GATE_HIST_MAX 255

/*
 * The top-k's threshold from the histogram's byte view at code 0 (count[v] values == v),
 * k in [1, n]: the k-th largest value t, and *ties = k - count(values > t), scanning down
 * from code `from` (above: the count of the values above `from`).
 */
static inline int32_t tg_channel_gate_hist_threshold(const uint8_t *count, int32_t k, int32_t from, int32_t above,
                                                     int32_t *ties)
{
    int32_t t = from;
    while (above + count[t] < k) {      /* count(>= -128) = n >= k: stops */
        above += count[t];
        --t;
    }
    *ties = k - above;
    return t;
}

#endif /* TG_CHANNEL_GATE_H */
