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
 * position takes W' against the words from p - 1. At stride 1 four outputs (positions
 * 2m .. 2m + 3 of a phase) read the same words, each loaded once: per tap pair one LDRD
 * of (W, W'), one input load and four SMLADs (TG_DW_KX1_QUAD); at stride 2 with
 * dilation 1 two outputs (positions 2m, 2m + 2) the same way with W alone. Kernels of 10 taps
 * or more at stride 1 take the same four-output step with the pairs counted at run time
 * (tg_dw_kx1_quad_loop); other strides, and such kernels at stride 2, go one output at a
 * time. The
 * requantization keeps the channel's multiplier, shift and rounding term in registers
 * across the whole sequence (4 instructions per output, see tg_dw_kx1_requant).
 *
 * Where tg_depthwise_conv2d_kx1_raw_s8_dsp serves a layer (stride 1 with 2 or 3 taps and
 * act_max 127; 4 or 5 taps, no clamp, at stride 1 or at stride 2 with dilation 1:
 * depthwise_kx1_dsp.raw_path)
 * it is preferred, faster, with a padded copy of the whole input as scratch; this kernel
 * serves every layer along one axis with a block's widened sequences as scratch, and
 * tinygen/passes/lower_peak.py takes it where that copy sets the arena's peak.
 *
 * Scratch: 4 channels x dilation phases x tg_dw_kx1_phase_words words
 * (depthwise_kx1_dsp.kx1_scratch), 4-byte aligned; the channels' words interleave
 * (word j of channel k's phase r at (r * words + j) * 4 + k), so widening stores a
 * pixel pair's 4 channels with one STM.
 *
 * Loop order: channel blocks in increasing order; each block reads its channels'
 * bytes of every input pixel, then writes its channels' outputs. The output must not
 * overlap the input (tinygen/passes/inplace.py does not list this kernel).
 *
 * Needs __ARM_FEATURE_DSP (-mcpu=cortex-m4 / cortex-m7).
 */
#include <arm_acle.h>
#include <stdint.h>

#include "tg_depthwise_conv2d_kx1_s8_dsp.h"
#include "tg_depthwise_conv2d_kx1_widen_s8_dsp.h"
#include "tg_dsp_s8.h"
#include "tg_kernels.h"

/* Words of a channel's record before its weight pairs: bias2, multiplier, n, R (after
   them: fbias2, read by tg_depthwise_conv2d_kx1_raw_s8_dsp only). */
#define TG_DW_KX1_HEAD 4

/* One channel's constants (its packed record, TG_DW_KX1_HEAD words before the weight pairs). */
typedef struct {
    int32_t bias2;          /* the bias, doubled */
    int32_t multiplier;     /* >= 0 */
    int32_t shift;          /* the right shift n = -shift, 1 <= n <= 31 */
    int32_t round;          /* (1 + 2 * output_offset) << (n - 1) */
    int32_t act_min, act_max;
} tg_dw_kx1_quant_t;

/*
 * tg_requantize(acc, multiplier, shift) + output_offset saturated to int8 from
 * acc2 = 2 * acc, for multiplier >= 0, n = -shift >= 1 and |acc| < 2^30: the 3x3 depthwise
 * path's identity (TG_DW3_REQUANT in tg_depthwise_conv2d_3x3_s8_dsp.h, proved there):
 * SMMLAR(acc2, multiplier, R) + (acc2 >> 31), ASR by n, SSAT; 4 instructions.
 */
static inline __attribute__((always_inline)) int32_t tg_dw_kx1_requant(int32_t acc2, const tg_dw_kx1_quant_t *q)
{
    return tg_dsp_ssat8((tg_dsp_smmlar(acc2, q->multiplier, q->round) + (acc2 >> 31)) >> q->shift);
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
 * The tap pairs of outputs at phase positions 2m, 2m + 1, 2m + 2, 2m + 3 (full = 1:
 * a0..a3) or at 2m and 2m + 2 (full = 0: a0 and a2, stride 2): a0 += x[j] . W[j],
 * a1 += x[j] . W'[j], a2 += x[j + 1] . W[j], a3 += x[j + 1] . W'[j] for j < pairs (a
 * constant), x's words 4 apart (the block's channels interleave), W and W'
 * interleaved in w (one LDRD per j). Each input word is loaded once, two registers
 * taking turns; the first SMLADs start from the bias.
 */
#define TG_DW_KX1_QUAD(pairs, full, x, w, bias2, a0, a1, a2, a3)                          \
    do {                                                                                \
        int32_t w0_, w1_, xa_, xb_;                                                     \
        __asm__("ldr %[xa], [%[x]]\n\t"                                                 \
                "ldr %[xb], [%[x], #16]\n\t"                                            \
                "ldrd %[w0], %[w1], [%[w]]\n\t"                                         \
                "smlad %[a0], %[xa], %[w0], %[b]\n\t"                                   \
                "smlad %[a2], %[xb], %[w0], %[b]\n\t"                                   \
                ".if %c[f]\n\t"                                                         \
                "smlad %[a1], %[xa], %[w1], %[b]\n\t"                                   \
                "smlad %[a3], %[xb], %[w1], %[b]\n\t"                                   \
                ".endif\n\t"                                                            \
                ".set tg_j, 1\n\t"                                                      \
                ".rept (%c[n] - 1) / 2\n\t"                                             \
                "ldr %[xa], [%[x], #16 * (tg_j + 1)]\n\t"                               \
                "ldrd %[w0], %[w1], [%[w], #8 * tg_j]\n\t"                              \
                "smlad %[a0], %[xb], %[w0], %[a0]\n\t"                                  \
                "smlad %[a2], %[xa], %[w0], %[a2]\n\t"                                  \
                ".if %c[f]\n\t"                                                         \
                "smlad %[a1], %[xb], %[w1], %[a1]\n\t"                                  \
                "smlad %[a3], %[xa], %[w1], %[a3]\n\t"                                  \
                ".endif\n\t"                                                            \
                "ldr %[xb], [%[x], #16 * (tg_j + 2)]\n\t"                               \
                "ldrd %[w0], %[w1], [%[w], #8 * (tg_j + 1)]\n\t"                        \
                "smlad %[a0], %[xa], %[w0], %[a0]\n\t"                                  \
                "smlad %[a2], %[xb], %[w0], %[a2]\n\t"                                  \
                ".if %c[f]\n\t"                                                         \
                "smlad %[a1], %[xa], %[w1], %[a1]\n\t"                                  \
                "smlad %[a3], %[xb], %[w1], %[a3]\n\t"                                  \
                ".endif\n\t"                                                            \
                ".set tg_j, tg_j + 2\n\t"                                               \
                ".endr\n\t"                                                             \
                ".if (%c[n] - 1) %% 2\n\t"                                               \
                "ldr %[xa], [%[x], #16 * (tg_j + 1)]\n\t"                               \
                "ldrd %[w0], %[w1], [%[w], #8 * tg_j]\n\t"                              \
                "smlad %[a0], %[xb], %[w0], %[a0]\n\t"                                  \
                "smlad %[a2], %[xa], %[w0], %[a2]\n\t"                                  \
                ".if %c[f]\n\t"                                                         \
                "smlad %[a1], %[xb], %[w1], %[a1]\n\t"                                  \
                "smlad %[a3], %[xa], %[w1], %[a3]\n\t"                                  \
                ".endif\n\t"                                                            \
                ".endif"                                                                \
                : [a0] "=&r"(a0), [a1] "=&r"(a1), [a2] "=&r"(a2), [a3] "=&r"(a3),       \
                  [w0] "=&r"(w0_), [w1] "=&r"(w1_), [xa] "=&r"(xa_), [xb] "=&r"(xb_)    \
                : [x] "r"(x), [w] "r"(w), [b] "r"(bias2), [n] "i"(pairs), [f] "i"(full) \
                : "memory");                                                            \
    } while (0)

#define TG_DW_KX1_OUT(o, acc) ((o) = tg_dw_kx1_clamp(tg_dw_kx1_requant((acc), &q), &q, clamp))

/*
 * TG_DW_KX1_QUAD's four sums (full = 1) over a run-time count of tap pairs, lp >= 2: an odd
 * first pair, then two pairs an iteration with x's two registers taking turns, as in the
 * unrolled form: per pair one post-indexed LDR, one post-indexed LDRD and four SMLADs, and per
 * two pairs a SUBS and a branch (7 instructions a pair). One copy of code serves every kernel
 * of 10 taps or more at stride 1.
 */
static inline __attribute__((always_inline)) void
tg_dw_kx1_quad_loop(const int32_t *x, const int32_t *w, int32_t lp, int32_t bias2, int32_t *s0, int32_t *s1,
                    int32_t *s2, int32_t *s3)
{
    int32_t a0 = bias2, a1 = bias2, a2 = bias2, a3 = bias2, xa = x[0], xb, w0, w1;
    int32_t twice = lp >> 1;
    if (lp & 1) {
        xb = x[4];
        a0 = __smlad(xa, w[0], a0);
        a1 = __smlad(xa, w[1], a1);
        a2 = __smlad(xb, w[0], a2);
        a3 = __smlad(xb, w[1], a3);
        xa = xb;
        x += 4;
        w += 2;
    }
    x += 4;                 /* the next word to load: x's word 1 of the remaining pairs */
    __asm__("1:\n\t"
            "ldr %[xb], [%[x]], #16\n\t"
            "ldrd %[w0], %[w1], [%[w]], #8\n\t"
            "smlad %[a0], %[xa], %[w0], %[a0]\n\t"
            "smlad %[a1], %[xa], %[w1], %[a1]\n\t"
            "smlad %[a2], %[xb], %[w0], %[a2]\n\t"
            "smlad %[a3], %[xb], %[w1], %[a3]\n\t"
            "ldr %[xa], [%[x]], #16\n\t"
            "ldrd %[w0], %[w1], [%[w]], #8\n\t"
            "smlad %[a0], %[xb], %[w0], %[a0]\n\t"
            "smlad %[a1], %[xb], %[w1], %[a1]\n\t"
            "smlad %[a2], %[xa], %[w0], %[a2]\n\t"
            "smlad %[a3], %[xa], %[w1], %[a3]\n\t"
            "subs %[n], %[n], #1\n\t"
            "bne 1b"
            : [a0] "+&r"(a0), [a1] "+&r"(a1), [a2] "+&r"(a2), [a3] "+&r"(a3), [xa] "+&r"(xa), [xb] "=&r"(xb),
              [w0] "=&r"(w0), [w1] "=&r"(w1), [x] "+&r"(x), [w] "+&r"(w), [n] "+&r"(twice)
            :
            : "cc", "memory");
    *s0 = a0;
    *s1 = a1;
    *s2 = a2;
    *s3 = a3;
}

/* TG_DW_KX1_QUAD (full) for a constant count of pairs, tg_dw_kx1_quad_loop for pairs 0 (lp at run time). */
#define TG_DW_KX1_QUAD_ANY(pairs, lp, x, w, bias2, a0, a1, a2, a3)                          \
    do {                                                                                    \
        if ((pairs) == 0) {                                                                 \
            tg_dw_kx1_quad_loop((x), (w), (lp), (bias2), &(a0), &(a1), &(a2), &(a3));       \
        } else {                                                                            \
            TG_DW_KX1_QUAD(pairs, 1, x, w, bias2, a0, a1, a2, a3);                          \
        }                                                                                   \
    } while (0)

/*
 * One channel, one phase, stride 1: n outputs at phase positions 0, 1, 2, ... from
 * the words at x, out[i * step] for the i-th; four at a time, then 2 and 1 (the
 * unused accumulators of the last step are computed and dropped). pairs a constant
 * (0: lp pairs, counted at run time).
 */
static inline __attribute__((always_inline)) void
tg_dw_kx1_phase(const int32_t *x, const int32_t *w, int32_t pairs, int32_t lp, int32_t n, int8_t *out,
                int32_t step, const tg_dw_kx1_quant_t *qp, int32_t clamp)
{
    const tg_dw_kx1_quant_t q = *qp;
    const int32_t *const end = x + 8 * (n / 4);
    int32_t a0, a1, a2, a3;
    for (; x != end; x += 8) {
        /* the pointer stepped after each store: one register for the output, one for step */
        TG_DW_KX1_QUAD_ANY(pairs, lp, x, w, q.bias2, a0, a1, a2, a3);
        TG_DW_KX1_OUT(*out, a0);
        out += step;
        TG_DW_KX1_OUT(*out, a1);
        out += step;
        TG_DW_KX1_OUT(*out, a2);
        out += step;
        TG_DW_KX1_OUT(*out, a3);
        out += step;
    }
    if (n & 3) {
        TG_DW_KX1_QUAD_ANY(pairs, lp, x, w, q.bias2, a0, a1, a2, a3);
        TG_DW_KX1_OUT(out[0], a0);
        if ((n & 3) >= 2) {
            TG_DW_KX1_OUT(out[step], a1);
        }
        if ((n & 3) == 3) {
            TG_DW_KX1_OUT(out[2 * step], a2);
        }
    }
}

/* One channel, stride 2, dilation 1: n outputs at positions 0, 2, 4, ..., two at a time. */
static inline __attribute__((always_inline)) void
tg_dw_kx1_stride2(const int32_t *x, const int32_t *w, int32_t pairs, int32_t n, int8_t *out, int32_t step,
                  const tg_dw_kx1_quant_t *qp, int32_t clamp)
{
    const tg_dw_kx1_quant_t q = *qp;
    const int32_t *const end = x + 8 * (n / 2);
    int32_t a0, a1, a2, a3;
    for (; x != end; x += 8, out += 2 * step) {
        TG_DW_KX1_QUAD(pairs, 0, x, w, q.bias2, a0, a1, a2, a3);
        TG_DW_KX1_OUT(out[0], a0);
        TG_DW_KX1_OUT(out[step], a2);
    }
    if (n & 1) {
        TG_DW_KX1_QUAD(pairs, 0, x, w, q.bias2, a0, a1, a2, a3);
        TG_DW_KX1_OUT(out[0], a0);
    }
    (void)a1;
    (void)a3;
}

/* One output: pairs tap pairs from x (words 4 apart), weights w (W, or W' one word on). */
static inline __attribute__((always_inline)) int8_t
tg_dw_kx1_one(const int32_t *x, const int32_t *w, int32_t pairs, const tg_dw_kx1_quant_t *q, int32_t clamp)
{
    int32_t a = q->bias2, j;
    for (j = 0; j < pairs; ++j) {
        a = __smlad(x[4 * j], w[2 * j], a);
    }
    return tg_dw_kx1_clamp(tg_dw_kx1_requant(a, q), q, clamp);
}

/* A block's channels (up to 4) of a layer at stride 1, or stride 2 with dilation 1. */
typedef struct {
    const int32_t *wide;    /* channel 0's phase 0 (the channels' words interleave) */
    const int32_t *rec;     /* channel 0's record, record words per channel */
    int32_t record, n;
    int32_t phases;         /* dilation at stride 1; 1 at stride 2 */
    int32_t phase_words;    /* words of one channel between phases (4 * phase words) */
    int32_t out_len;        /* outputs */
    int32_t channels;       /* bytes between output pixels */
    int32_t act_min, act_max;
    int8_t *out;            /* channel 0's first output */
} tg_dw_kx1_block_t;

/* Every channel and phase of a block; pairs, stride2 and clamp constants where inlined (pairs 0:
   stride 1, lp pairs counted at run time). */
static inline __attribute__((always_inline)) void tg_dw_kx1_block(const tg_dw_kx1_block_t *b, int32_t pairs,
                                                                  int32_t lp, int32_t stride2, int32_t clamp)
{
    const int32_t *rec = b->rec;
    int32_t k, r;
    for (k = 0; k < b->n; ++k, rec += b->record) {
        const tg_dw_kx1_quant_t q = {rec[0], rec[1], rec[2], rec[3], b->act_min, b->act_max};
        const int32_t *const w = rec + TG_DW_KX1_HEAD;
        if (stride2) {
            tg_dw_kx1_stride2(b->wide + k, w, pairs, b->out_len, b->out + k, b->channels, &q, clamp);
            continue;
        }
        /* phase r holds outputs r, r + d, ...: positions 2m, 2m + 1 of it share their words */
        for (r = 0; r < b->phases && r < b->out_len; ++r) {
            tg_dw_kx1_phase(b->wide + k + r * b->phase_words, w, pairs, lp, (b->out_len - r + b->phases - 1) / b->phases,
                            b->out + k + r * b->channels, b->phases * b->channels, &q, clamp);
        }
    }
}

/*
 * The cases of tg_dw_kx1_run this build links, one bit each, TG_DW_KX1_BIT(slot, stride2, clamp):
 * slot the unrolled tap-pair count 1..5, or 0 for the pairs counted at run time (10 taps or more at
 * stride 1). The generated build defines it from the model's layers (tinygen/codegen/kx1_cases.py:
 * depthwise_kx1_dsp.kx1_case), so that an image links the few inlined copies its layers run, not
 * all 24 (about 12 KB on the Cortex-M7); left undefined, every case links. A case left out runs
 * one output at a time (tg_dw_kx1_channel): equal bit for bit, slower.
 */
#ifndef TG_DW_KX1_CASES
#define TG_DW_KX1_CASES 0xFFFFFFu
#endif
#define TG_DW_KX1_BIT(slot, stride2, clamp) (4 * (slot) + 2 * (stride2) + (clamp))
#define TG_DW_KX1_HAS(slot, stride2, clamp) ((((uint32_t)(TG_DW_KX1_CASES)) >> TG_DW_KX1_BIT(slot, stride2, clamp)) & 1u)

/* tg_dw_kx1_block with the constants of one case where the build links it; 0 where it does not. */
#define TG_DW_KX1_BLOCK(slot, pairs, lp, stride2, clamp)                             \
    (TG_DW_KX1_HAS(slot, stride2, clamp) ? (tg_dw_kx1_block(b, pairs, lp, stride2, clamp), 1) : 0)

#define TG_DW_KX1_CASE(n)                                                           \
    case n:                                                                         \
        return clamp ? TG_DW_KX1_BLOCK(n, n, n, 0, 1) : TG_DW_KX1_BLOCK(n, n, n, 0, 0); \
    case -(n):                                                                      \
        return clamp ? TG_DW_KX1_BLOCK(n, n, n, 1, 1) : TG_DW_KX1_BLOCK(n, n, n, 1, 0)

/*
 * tg_dw_kx1_block with the tap-pair counts of kernels of 1 to 9 taps unrolled (stride2:
 * tg_dw_kx1_stride2, else tg_dw_kx1_phase), and at stride 1 longer kernels with the pairs
 * counted at run time (tg_dw_kx1_quad_loop: one copy of code for every length); 0 for a
 * kernel of 10 taps or more at stride 2, and for a case the build leaves out (TG_DW_KX1_CASES).
 * The long kernels are the temporal layers of
 * streaming keyword spotters, e.g. MLPerf Tiny's streaming wake word network (10 and 15 taps
 * over 24 and 15 frames): one output at a time they take about 3 times the instructions.
 */
static __attribute__((noinline)) int32_t tg_dw_kx1_run(const tg_dw_kx1_block_t *b, int32_t pairs, int32_t stride2)
{
    const int32_t clamp = b->act_min > -128 || b->act_max < 127;
    switch (stride2 ? -pairs : pairs) {
    TG_DW_KX1_CASE(1);
    TG_DW_KX1_CASE(2);
    TG_DW_KX1_CASE(3);
    TG_DW_KX1_CASE(4);
    TG_DW_KX1_CASE(5);
    default:
        if (stride2) {
            return 0;
        }
        /* 10 taps or more: the pairs counted at run time */
        return clamp ? TG_DW_KX1_BLOCK(0, 0, pairs, 0, 1) : TG_DW_KX1_BLOCK(0, 0, pairs, 0, 0);
    }
}

/* One channel's outputs, one at a time: any stride and dilation, any kernel. */
static void tg_dw_kx1_channel(const int32_t *wide, const int32_t *rec, const tg_dw_kx1_geom_t *g,
                              int32_t channels, int32_t act_min, int32_t act_max, int8_t *out)
{
    const int32_t words = tg_dw_kx1_phase_words(g), pairs = g->kernel / 2 + 1;
    const int32_t clamp = act_min > -128 || act_max < 127;
    const tg_dw_kx1_quant_t q = {rec[0], rec[1], rec[2], rec[3], act_min, act_max};
    const int32_t *const w = rec + TG_DW_KX1_HEAD;
    int32_t t;
    for (t = 0; t < g->out; ++t) {
        const int32_t i = t * g->stride, pos = i / g->dilation;
        const int32_t *x = wide + 4 * ((i - pos * g->dilation) * words + pos / 2);
        out[t * channels] = tg_dw_kx1_one(x, w + (pos & 1), pairs, &q, clamp);
    }
}

void tg_depthwise_conv2d_kx1_s8_dsp(const tg_conv2d_params_t *p, const int8_t *input, const int32_t *packed,
                                    int8_t *scratch, int8_t *output)
{
    tg_dw_kx1_geom_t g;
    const int32_t channels = p->in_c;
    const int32_t record = TG_DW_KX1_HEAD + 2 * (p->kernel_h * p->kernel_w / 2 + 1) + 1;
    /* the arena places scratch buffers 16-byte aligned (LDRD needs 4) */
    int32_t *const wide = (int32_t *)(void *)scratch;
    const int32_t offset2 = (int32_t)(((uint32_t)p->input_offset & 0xFFFFu) * 0x00010001u);
    const int32_t zp4 = (int32_t)(((uint32_t)-p->input_offset & 0xFFu) * 0x01010101u);
    int32_t c, k, stride2;

    tg_dw_kx1_geometry(p, &g);
    stride2 = g.stride == 2 && g.dilation == 1;
    for (c = 0; c < channels; c += 4) {
        const int32_t n = channels - c < 4 ? channels - c : 4;
        const tg_dw_kx1_block_t b = {wide, packed + 1 + c * record, record, n, g.dilation,
                                     4 * tg_dw_kx1_phase_words(&g), g.out, channels, p->act_min, p->act_max,
                                     output + c};
        tg_dw_kx1_widen(input + c, &g, channels, n, zp4, offset2, wide);
        if ((g.stride == 1 || stride2) && tg_dw_kx1_run(&b, g.kernel / 2 + 1, stride2)) {
            continue;
        }
        for (k = 0; k < n; ++k) {
            tg_dw_kx1_channel(wide + k, packed + 1 + (c + k) * record, &g,
                              channels, p->act_min, p->act_max, output + c + k);
        }
    }
}
