/*
 * tg_depthwise_conv2d_kx1_s8_dsp: depthwise convolution along one axis (a temporal
 * k x 1 kernel over an input of width 1, or a 1 x k kernel over an input of height 1:
 * both are a length-L sequence of C-channel pixels in NHWC), depth multiplier 1, any
 * stride, dilation and padding, any channel count, for ARMv7E-M (Cortex-M4/M7 DSP
 * extension), int8 in/out, per-channel requantization. Equals tg_depthwise_conv2d_s8
 * bit for bit on the layers it serves (tinygen/kernels/depthwise_kx1_dsp.py decides).
 * numpy twin: tinygen.ref.kernels.depthwise_conv2d_s8.
 *
 * Per block of 4 channels (the last block may hold fewer), each channel's sequence is
 * copied into scratch as int16 with the input offset added (padding: 0) and split by
 * dilation d into d phases (phase r holds the padded positions r, r + d, r + 2d, ...):
 * then the K taps of every output are K adjacent int16 of one phase, and a word holds
 * two consecutive taps, so one SMLAD does 2 MACs. The packed records hold each
 * channel's doubled weights twice, as int16 pairs starting at an even position,
 * W = (w0 w1)(w2 w3)... and shifted by one, W' = (0 w0)(w1 w2)...: an output whose
 * taps start at an even position p takes W against the words from p, one at an odd
 * position takes W' against the words from p - 1. At stride 1 two outputs (positions
 * p and p + 1 of a phase) read the same words, loaded once: per pair of outputs and
 * tap pair one LDRD of (W, W') and two SMLADs, one LDRD of inputs per two tap pairs.
 * The requantization keeps the channel's multiplier, shift and rounding term in
 * registers across the whole sequence (5 instructions per output, see
 * tg_dw_kx1_requant).
 *
 * Loop order: channel blocks in increasing order; each block reads its channels'
 * bytes of every input pixel, then writes its channels' outputs. The output must not
 * overlap the input (tinygen/passes/inplace.py does not list this kernel).
 *
 * Needs __ARM_FEATURE_DSP (-mcpu=cortex-m4 / cortex-m7).
 */
#include <arm_acle.h>
#include <stdint.h>
#include <string.h>

#include "tg_dsp_s8.h"
#include "tg_kernels.h"

/* Words of a channel's record before its weight pairs: bias2, multiplier, n - 1, R. */
#define TG_DW_KX1_HEAD 4

/* The layer as one sequence (tinygen/kernels/depthwise_kx1_dsp.py: kx1_geometry). */
typedef struct {
    int32_t len, kernel, stride, dilation, pad, out;
} tg_dw_kx1_geom_t;

static void tg_dw_kx1_geometry(const tg_conv2d_params_t *p, tg_dw_kx1_geom_t *g)
{
    if (p->kernel_w == 1 && p->in_w == 1) {     /* k x 1 over width 1 */
        g->len = p->in_h; g->kernel = p->kernel_h; g->stride = p->stride_h;
        g->dilation = p->dilation_h; g->pad = p->pad_top; g->out = p->out_h;
    } else {                                    /* 1 x k over height 1 */
        g->len = p->in_w; g->kernel = p->kernel_w; g->stride = p->stride_w;
        g->dilation = p->dilation_w; g->pad = p->pad_left; g->out = p->out_w;
    }
}

/*
 * Words per phase: the padded sequence (the last output's last tap + 1 positions) split
 * into d phases, plus what the last word pair reads past a phase's end (the zero tap
 * of W or W', and a whole zero pair of W for even kernels).
 */
static inline int32_t tg_dw_kx1_phase_words(const tg_dw_kx1_geom_t *g)
{
    const int32_t padded = g->stride * (g->out - 1) + (g->kernel - 1) * g->dilation + 1;
    const int32_t phase_len = (padded + g->dilation - 1) / g->dilation;
    return (phase_len + 3) / 2;
}

/* One channel's constants (its packed record, TG_DW_KX1_HEAD words before the weight pairs). */
typedef struct {
    int32_t bias2;          /* the bias, doubled */
    int32_t multiplier;     /* >= 0 */
    int32_t shift1;         /* n - 1 for the right shift n = -shift, 1 <= n <= 31 */
    int32_t round;          /* (1 + 2 * output_offset) << (n - 1) */
    int32_t act_min, act_max;
} tg_dw_kx1_quant_t;

/*
 * tg_requantize(acc, multiplier, shift) + output_offset saturated to int8 from
 * acc2 = 2 * acc, for multiplier >= 0, n = -shift >= 1 and |acc| < 2^30 (the proof is
 * tg_dw_requant_small's in tg_depthwise_conv2d_s8_dsp.c, R being q->round): SMMULR,
 * x - [x < 0] and R in two ADDs, the shift by n - 1, then SSAT's ASR #1 halves and
 * saturates.
 */
static inline __attribute__((always_inline)) int32_t tg_dw_kx1_requant(int32_t acc2, const tg_dw_kx1_quant_t *q)
{
    const int32_t x = tg_dsp_smmulr(acc2, q->multiplier);
    return tg_dsp_ssat8_asr1((x + (x >> 31) + q->round) >> q->shift1);
}

static inline __attribute__((always_inline)) int8_t tg_dw_kx1_clamp(int32_t v, const tg_dw_kx1_quant_t *q,
                                                                    int32_t clamp)
{
    if (clamp) {
        v = v < q->act_min ? q->act_min : v;
        v = v > q->act_max ? q->act_max : v;
    }
    return (int8_t)v;
}

/*
 * count pairs of outputs of one channel at stride 1, the first pair's taps from the
 * word-aligned x (phase position p, even: W; p + 1: W'), the next pair's 2 positions
 * on; outputs out[0] and out[partner], the next pair 2 * partner bytes on. pairs tap
 * pairs, a constant where inlined, so the tap loop unrolls.
 */
static inline __attribute__((always_inline)) void
tg_dw_kx1_pairs(const int32_t *x, const int32_t *w, int32_t pairs, int32_t count, int8_t *out,
                int32_t partner, const tg_dw_kx1_quant_t *qp, int32_t clamp)
{
    const tg_dw_kx1_quant_t q = *qp;
    int32_t i, j;
    for (i = 0; i < count; ++i, ++x, out += 2 * partner) {
        int32_t a0 = q.bias2, a1 = q.bias2;
#pragma GCC unroll 8
        for (j = 0; j < pairs; ++j) {
            const int32_t xv = x[j];
            a0 = __smlad(xv, w[2 * j], a0);
            a1 = __smlad(xv, w[2 * j + 1], a1);
        }
        out[0] = tg_dw_kx1_clamp(tg_dw_kx1_requant(a0, &q), &q, clamp);
        out[partner] = tg_dw_kx1_clamp(tg_dw_kx1_requant(a1, &q), &q, clamp);
    }
}

/* One output: pairs tap pairs from the word-aligned x, weights w (W, or W' one word on). */
static inline __attribute__((always_inline)) int8_t
tg_dw_kx1_one(const int32_t *x, const int32_t *w, int32_t pairs, const tg_dw_kx1_quant_t *q, int32_t clamp)
{
    int32_t a = q->bias2, j;
    for (j = 0; j < pairs; ++j) {
        a = __smlad(x[j], w[2 * j], a);
    }
    return tg_dw_kx1_clamp(tg_dw_kx1_requant(a, q), q, clamp);
}

#define TG_DW_KX1_PAIRS_CASE(n)                                                     \
    case n:                                                                         \
        if (clamp) {                                                                \
            tg_dw_kx1_pairs(x, w, n, count, out, partner, q, 1);                    \
        } else {                                                                    \
            tg_dw_kx1_pairs(x, w, n, count, out, partner, q, 0);                    \
        }                                                                           \
        break

/* tg_dw_kx1_pairs with the common tap-pair counts (kernels of 1 to 9 taps) unrolled. */
static __attribute__((noinline)) void tg_dw_kx1_run(const int32_t *x, const int32_t *w, int32_t pairs,
                                                    int32_t count, int8_t *out, int32_t partner,
                                                    const tg_dw_kx1_quant_t *q, int32_t clamp)
{
    switch (pairs) {
    TG_DW_KX1_PAIRS_CASE(1);
    TG_DW_KX1_PAIRS_CASE(2);
    TG_DW_KX1_PAIRS_CASE(3);
    TG_DW_KX1_PAIRS_CASE(4);
    TG_DW_KX1_PAIRS_CASE(5);
    default:
        tg_dw_kx1_pairs(x, w, pairs, count, out, partner, q, clamp);
        break;
    }
}

/* The 4 channels of pixel t (channels c.. of a block of n), or the zero point's bytes outside 0..L-1. */
static inline int32_t tg_dw_kx1_pixel(const int8_t *in, int32_t t, int32_t len, int32_t channels, int32_t n,
                                      int32_t zp4)
{
    int32_t v = zp4, k;
    if ((uint32_t)t >= (uint32_t)len) {
        return zp4;
    }
    if (n == 4) {
        return tg_dsp_load_s8x4(in + t * channels);
    }
    for (k = 0; k < n; ++k) {
        v = (int32_t)(((uint32_t)v & ~(0xFFu << (8 * k))) | ((uint32_t)(uint8_t)in[t * channels + k] << (8 * k)));
    }
    return v;
}

/* Two pixels' 4 channels as int16 (+ input offset), pixel a low, b high, into the 4 phases' words. */
static inline __attribute__((always_inline)) void tg_dw_kx1_put(int32_t *dst, int32_t step, int32_t va,
                                                                int32_t vb, int32_t offset2)
{
    const int32_t a02 = __sxtab16(offset2, va), a13 = tg_dsp_sxtab16_odd(offset2, va);
    const int32_t b02 = __sxtab16(offset2, vb), b13 = tg_dsp_sxtab16_odd(offset2, vb);
    dst[0] = tg_dsp_pkhbt(a02, b02);
    dst[step] = tg_dsp_pkhbt(a13, b13);
    dst[2 * step] = tg_dsp_pkhtb(b02, a02);
    dst[3 * step] = tg_dsp_pkhtb(b13, a13);
}

/*
 * The block's channels widened into scratch: channel k's phase r at
 * wide + (k * d + r) * words, words = tg_dw_kx1_phase_words; word j of a phase holds
 * padded positions r + 2jd and r + (2j + 1)d, i.e. input pixels (those minus pad).
 */
static void tg_dw_kx1_widen(const int8_t *in, const tg_dw_kx1_geom_t *g, int32_t channels, int32_t n,
                            int32_t zp4, int32_t offset2, int32_t *wide)
{
    const int32_t words = tg_dw_kx1_phase_words(g), step = g->dilation * words;
    int32_t r, j;
    for (r = 0; r < g->dilation; ++r) {
        int32_t *dst = wide + r * words;
        int32_t t = r - g->pad;
        j = 0;
        /* pairs with a pixel before the sequence */
        for (; j < words && t < 0; ++j, t += 2 * g->dilation) {
            tg_dw_kx1_put(dst + j, step, tg_dw_kx1_pixel(in, t, g->len, channels, n, zp4),
                          tg_dw_kx1_pixel(in, t + g->dilation, g->len, channels, n, zp4), offset2);
        }
        if (n == 4) {
            /* pairs of pixels both inside the sequence */
            for (; j < words && t + g->dilation < g->len; ++j, t += 2 * g->dilation) {
                tg_dw_kx1_put(dst + j, step, tg_dsp_load_s8x4(in + t * channels),
                              tg_dsp_load_s8x4(in + (t + g->dilation) * channels), offset2);
            }
        }
        for (; j < words; ++j, t += 2 * g->dilation) {
            tg_dw_kx1_put(dst + j, step, tg_dw_kx1_pixel(in, t, g->len, channels, n, zp4),
                          tg_dw_kx1_pixel(in, t + g->dilation, g->len, channels, n, zp4), offset2);
        }
    }
}

/* One channel's outputs from its widened phases and record. */
static void tg_dw_kx1_channel(const int32_t *wide, const int32_t *rec, const tg_dw_kx1_geom_t *g,
                              int32_t channels, int32_t act_min, int32_t act_max, int8_t *out)
{
    const int32_t words = tg_dw_kx1_phase_words(g), pairs = g->kernel / 2 + 1;
    const int32_t clamp = act_min > -128 || act_max < 127;
    const tg_dw_kx1_quant_t q = {rec[0], rec[1], rec[2], rec[3], act_min, act_max};
    const int32_t *const w = rec + TG_DW_KX1_HEAD;
    int32_t t, r;

    if (g->stride == 1) {
        /* phase r holds outputs r, r + d, ...: pairs (2m, 2m + 1) of them share their words */
        for (r = 0; r < g->dilation && r < g->out; ++r) {
            const int32_t n_out = (g->out - r + g->dilation - 1) / g->dilation;
            const int32_t partner = g->dilation * channels;
            const int32_t *x = wide + r * words;
            int8_t *o = out + r * channels;
            tg_dw_kx1_run(x, w, pairs, n_out / 2, o, partner, &q, clamp);
            if (n_out & 1) {
                o[(n_out - 1) * partner] = tg_dw_kx1_one(x + (n_out - 1) / 2, w, pairs, &q, clamp);
            }
        }
        return;
    }
    for (t = 0; t < g->out; ++t) {
        const int32_t i = t * g->stride, pos = i / g->dilation;
        const int32_t *x = wide + (i - pos * g->dilation) * words + pos / 2;
        out[t * channels] = tg_dw_kx1_one(x, w + (pos & 1), pairs, &q, clamp);
    }
}

void tg_depthwise_conv2d_kx1_s8_dsp(const tg_conv2d_params_t *p, const int8_t *input, const int32_t *packed,
                                    int8_t *scratch, int8_t *output)
{
    tg_dw_kx1_geom_t g;
    const int32_t channels = p->in_c;
    const int32_t record = TG_DW_KX1_HEAD + 2 * (p->kernel_h * p->kernel_w / 2 + 1);
    /* the arena places scratch buffers 16-byte aligned (LDRD needs 4) */
    int32_t *const wide = (int32_t *)(void *)scratch;
    const int32_t offset2 = (int32_t)(((uint32_t)p->input_offset & 0xFFFFu) * 0x00010001u);
    const int32_t zp4 = (int32_t)(((uint32_t)-p->input_offset & 0xFFu) * 0x01010101u);
    int32_t c, k;

    tg_dw_kx1_geometry(p, &g);
    for (c = 0; c < channels; c += 4) {
        const int32_t n = channels - c < 4 ? channels - c : 4;
        tg_dw_kx1_widen(input + c, &g, channels, n, zp4, offset2, wide);
        for (k = 0; k < n; ++k) {
            tg_dw_kx1_channel(wide + k * g.dilation * tg_dw_kx1_phase_words(&g), packed + 1 + (c + k) * record, &g,
                              channels, p->act_min, p->act_max, output + c + k);
        }
    }
}
