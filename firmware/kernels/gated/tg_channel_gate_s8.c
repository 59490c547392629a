/*
 * tg_channel_gate_s8: a run-time channel gate (see tg_kernels_gating.h).
 * Top-k without sorting: the k-th largest value t from a histogram of the codes (up to
 * TG_CHANNEL_GATE_HIST_MAX channels; more: a binary search for the largest t with at
 * least k values >= t), then every value > t and the first values == t in channel order.
 * numpy twin: tinygen.gating.ref.channel_gate_s8.
 */
#include "tg_channel_gate.h"
#include "tg_kernels_gating.h"

/*
 * The histogram of the codes (n <= TG_CHANNEL_GATE_HIST_MAX): hist (64 words, any content)
 * gets count[v + 128] for every code v as its bytes. Returns its byte view at code 0.
 */
static uint8_t *tg_channel_gate_hist(const int8_t *saliency, int32_t n, uint32_t *hist)
{
    uint8_t *const count = (uint8_t *)hist + 128;      /* count[v], v in [-128, 127] */
    int32_t c;
    for (c = 0; c < 64; ++c) {
        hist[c] = 0;
    }
    for (c = 0; c < n; ++c) {
        ++count[saliency[c]];
    }
    return count;
}

static int32_t tg_count_at_least(const int8_t *s, int32_t n, int32_t t)
{
    int32_t c, count = 0;
    for (c = 0; c < n; ++c) {
        count += s[c] >= t;
    }
    return count;
}

int32_t tg_channel_gate_s8(const tg_channel_gate_params_t *p, const int8_t *saliency, int8_t *output)
{
    const int32_t n = p->channels, zp = p->zero_point;
    int32_t c, kept = 0;

    if (p->k > 0 && n <= TG_CHANNEL_GATE_HIST_MAX) {
        uint32_t hist[64];
        int32_t ties;
        const uint8_t *const count = tg_channel_gate_hist(saliency, n, hist);
        const int32_t t = tg_channel_gate_hist_threshold(count, p->k < n ? p->k : n, 127, 0,
                                                         &ties);
        return tg_channel_gate_topk_select(p, saliency, t, ties, output);
    } else if (p->k > 0) {
        int32_t lo = -128, hi = 127;    /* count(>= lo) >= k always; find the largest such t */
        while (lo < hi) {
            const int32_t mid = lo + (hi - lo + 1) / 2;
            if (tg_count_at_least(saliency, n, mid) >= p->k) {
                lo = mid;
            } else {
                hi = mid - 1;
            }
        }
        return tg_channel_gate_topk_select(p, saliency, lo,
                                           p->k - (lo < 127 ? tg_count_at_least(saliency, n, lo + 1) : 0), output);
    } else {
        int32_t top = -128;
        for (c = 0; c < n; ++c) {
            top = saliency[c] > top ? saliency[c] : top;
        }
        for (c = 0; c < n; ++c) {
            const int32_t s = saliency[c];
            const int32_t keep = s != zp && (s - zp) * 256 >= p->threshold_q * (top - zp);
            output[c] = keep ? (int8_t)s : (int8_t)zp;
            kept += keep;
        }
    }
    return kept;
}
