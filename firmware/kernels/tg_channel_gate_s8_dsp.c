/*
 * tg_channel_gate_s8_dsp: tg_channel_gate_s8 for ARMv7E-M, same arguments and results
 * (see tg_kernels_gating.h). The top-k's binary search counts the values >= t four at a
 * time: SSUB8 sets a GE flag per byte where the value >= t (the signed difference, exact),
 * SEL turns the flags into bytes 0 / 1, USADA8 adds the four bytes to the count. The
 * last pass (ties in channel order) is tg_channel_gate_topk_select; a threshold gate is
 * tg_channel_gate_s8's. numpy twin: tinygen.gating.ref.channel_gate_s8.
 *
 * Needs __ARM_FEATURE_DSP (-mcpu=cortex-m4 / cortex-m7).
 */
#include <arm_acle.h>

#include "tg_channel_gate.h"
#include "tg_dsp_s8.h"
#include "tg_kernels_gating.h"

/* How many of s[0..n) are >= t. */
static int32_t tg_cg_count_at_least(const int8_t *s, int32_t n, int32_t t)
{
    const int8x4_t t4 = (int8x4_t)((uint32_t)(t & 0xFF) * 0x01010101u);
    uint32_t count = 0;
    int32_t c;
#pragma GCC unroll 4
    for (c = 0; c + 4 <= n; c += 4) {
        (void)__ssub8((int8x4_t)tg_dsp_load_s8x4(s + c), t4);
        count = __usada8(__sel(0x01010101u, 0u), 0u, count);
    }
    for (; c < n; ++c) {
        count += s[c] >= t;
    }
    return (int32_t)count;
}

int32_t tg_channel_gate_s8_dsp(const tg_channel_gate_params_t *p, const int8_t *saliency, int8_t *output)
{
    const int32_t n = p->channels;
    int32_t lo = -128, hi = 127;    /* count(>= lo) >= k always; find the largest such t */
    if (p->k == 0) {
        return tg_channel_gate_s8(p, saliency, output);
    }
    while (lo < hi) {
        const int32_t mid = lo + (hi - lo + 1) / 2;
        if (tg_cg_count_at_least(saliency, n, mid) >= p->k) {
            lo = mid;
        } else {
            hi = mid - 1;
        }
    }
    return tg_channel_gate_topk_select(p, saliency, lo,
                                       p->k - (lo < 127 ? tg_cg_count_at_least(saliency, n, lo + 1) : 0), output);
}
