/*
 * tg_channel_gate_s8_dsp: tg_channel_gate_s8 for ARMv7E-M, same arguments and results
 * (see tg_kernels_gating.h). Top-k, up to TG_CHANNEL_GATE_HIST_MAX channels: a histogram
 * of the codes (tg_cg_hist, one byte per code), scanned down from code 127 four
 * bins per word (USADA8 adds a word's 4 counts) to the word holding the k-th largest
 * value t, then bin by bin inside it; the output 4 channels per step (SSUB8 sets a GE
 * flag per byte where the value >= t, SEL keeps those bytes and puts the zero point
 * elsewhere; a kept value at the zero point is the zero point either way), past the
 * channel of the last value == t kept (the ties, first in channel order) against t + 1.
 * The number kept follows from the histogram. More channels: a binary search for t, its
 * counts 4 values per step (SSUB8, SEL, USADA8), and tg_channel_gate_topk_select. A
 * threshold gate is tg_channel_gate_s8's. numpy twin: tinygen.gating.ref.channel_gate_s8.
 *
 * Needs __ARM_FEATURE_DSP (-mcpu=cortex-m4 / cortex-m7).
 */
#include <arm_acle.h>

#include <string.h>

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

/* The bytes of t (an int8 code) in each lane. */
static inline uint32_t tg_cg_lanes(int32_t t)
{
    return (uint32_t)(t & 0xFF) * 0x01010101u;
}

/* output[c] = s[c] where s[c] >= t, the zero point elsewhere, for c in [from, to). */
static inline __attribute__((always_inline)) void tg_cg_select_at_least(const int8_t *s, int32_t from, int32_t to,
                                                                        int32_t t, int32_t zp, int8_t *output)
{
    const uint32_t t4 = tg_cg_lanes(t), zp4 = tg_cg_lanes(zp);
    int32_t c = from;
#pragma GCC unroll 4
    for (; c + 4 <= to; c += 4) {
        const uint32_t v = (uint32_t)tg_dsp_load_s8x4(s + c);
        uint32_t w;
        (void)__ssub8((int8x4_t)v, (int8x4_t)t4);
        w = __sel(v, zp4);
        memcpy(output + c, &w, sizeof w);
    }
    for (; c < to; ++c) {
        output[c] = s[c] >= t ? s[c] : (int8_t)zp;
    }
}

/* 1 in each byte of v equal to t (t4: tg_cg_lanes), 0 elsewhere: v XOR t4 is 0 there, where
   USUB8 clears GE. */
static inline uint32_t tg_cg_count_equal4(uint32_t v, uint32_t t4)
{
    (void)__usub8(v ^ t4, 0x01010101u);
    return __sel(0u, 0x01010101u);
}

/*
 * output[c] = s[c] where s[c] >= t, the zero point elsewhere, from channel 0 through the
 * ties-th value == t (ties >= 1 of them present); returns the channel after it.
 */
static int32_t tg_cg_select_ties(const int8_t *s, int32_t n, int32_t t, int32_t ties, int32_t zp, int8_t *output)
{
    const uint32_t t4 = tg_cg_lanes(t), zp4 = tg_cg_lanes(zp);
    uint32_t seen = 0;
    int32_t c = 0;
    for (; c + 4 <= n; c += 4) {      /* whole words while their equal values stay below ties */
        const uint32_t v = (uint32_t)tg_dsp_load_s8x4(s + c);
        const uint32_t e = __usada8(tg_cg_count_equal4(v, t4), 0u, seen);
        uint32_t w;
        if ((int32_t)e >= ties) {
            break;
        }
        (void)__ssub8((int8x4_t)v, (int8x4_t)t4);
        w = __sel(v, zp4);
        memcpy(output + c, &w, sizeof w);
        seen = e;
    }
    for (;; ++c) {
        output[c] = s[c] >= t ? s[c] : (int8_t)zp;
        seen += s[c] == t;
        if ((int32_t)seen == ties) {
            return c + 1;
        }
    }
}

/*
 * The histogram as tg_channel_gate_s8 builds it, with word loads: hist (64 words) cleared
 * two words per store (the empty asm keeps GCC from calling memset), then 4 codes per
 * load, each SXTB (with its rotation), LDRB, ADD, STRB. Returns the byte view at code 0.
 */
static inline uint8_t *tg_cg_hist(const int8_t *s, int32_t n, uint32_t *hist)
{
    uint8_t *const count = (uint8_t *)hist + 128;
    uint64_t *const h = (uint64_t *)(void *)hist;
    int32_t c;
    for (c = 0; c < 32; c += 4) {
        h[c] = 0;
        h[c + 1] = 0;
        h[c + 2] = 0;
        h[c + 3] = 0;
        __asm__("" : : : "memory");
    }
    for (c = 0; c + 4 <= n; c += 4) {
        const uint32_t v = (uint32_t)tg_dsp_load_s8x4(s + c);
        ++count[(int8_t)v];
        ++count[(int8_t)(v >> 8)];
        ++count[(int8_t)(v >> 16)];
        ++count[(int8_t)(v >> 24)];
    }
    for (; c < n; ++c) {
        ++count[s[c]];
    }
    return count;
}

/* Top-k by the histogram (k >= 1, n <= TG_CHANNEL_GATE_HIST_MAX). */
static int32_t tg_cg_topk_hist(const tg_channel_gate_params_t *p, const int8_t *saliency, int8_t *output)
{
    const int32_t n = p->channels, k = p->k < n ? p->k : n, zp = p->zero_point;
    uint64_t words[32];
    uint32_t *const hist = (uint32_t *)(void *)words;
    const uint8_t *const count = tg_cg_hist(saliency, n, hist);
    uint32_t above = 0, sum;
    int32_t j = 63, t, ties, dropped;
    /* words 63 down to 0: codes 4j - 128 .. 4j - 125 */
    while ((int32_t)(sum = __usada8(hist[j], 0u, above)) < k) {
        above = sum;
        --j;
    }
    t = tg_channel_gate_hist_threshold(count, k, 4 * j - 125, (int32_t)above, &ties);
    /* the ties, first in channel order: the values == t through the last one kept */
    if (ties == count[t]) {
        tg_cg_select_at_least(saliency, 0, n, t, zp, output);
    } else {
        const int32_t end = tg_cg_select_ties(saliency, n, t, ties, zp, output);
        if (t < 127) {
            tg_cg_select_at_least(saliency, end, n, t + 1, zp, output);
        } else {            /* nothing above 127: the rest dropped */
            memset(output + end, zp, (size_t)(n - end));
        }
    }
    /* kept values at the zero point are not counted */
    dropped = zp > t ? count[zp] : zp == t ? ties : 0;
    return k - dropped;
}

int32_t tg_channel_gate_s8_dsp(const tg_channel_gate_params_t *p, const int8_t *saliency, int8_t *output)
{
    const int32_t n = p->channels;
    int32_t lo = -128, hi = 127;    /* count(>= lo) >= k always; find the largest such t */
    if (p->k == 0) {
        return tg_channel_gate_s8(p, saliency, output);
    }
    if (n <= TG_CHANNEL_GATE_HIST_MAX) {
        return tg_cg_topk_hist(p, saliency, output);
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
