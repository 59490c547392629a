/*
 * Helpers of tg_depthwise_conv2d_kx1_s8_dsp, included by that file only: the layer as
 * one sequence, the widening of its general path (see the .c file), and its stride-1
 * path for kernels of 2 or 3 taps with no upper clamp (act_max 127), described here:
 * no widened scratch, every channel of one dilation phase in one call, two outputs per
 * step, all in registers.
 *
 * The input is first copied into scratch with its padding rows (tg_dw_kx1_k3):
 * padded position i of channel c at pad + i * C + c, padding rows holding the input
 * zero point, so that x + input_offset is 0 there. The input offset is folded into the
 * bias (the record's last word, fbias2 = 2 * (bias + input_offset * sum w), built by
 * tinygen/kernels/depthwise_kx1_dsp.py), so the raw int8 values are multiplied: the
 * sum is the same. In phase r of dilation d the positions r, r + d, ... are S = d * C
 * bytes apart, and so are the phase's outputs. With X_m = (x[2m], x[2m + 1]) of the
 * phase (two LDRSB and a PKHBT) and the doubled weights W[0] = (w0 w1), W'[1] = (w1 w2):
 *   output 2m     = fbias2 + X_m . (w0 w1) + bottom(X_{m+1}) * w2     SMLAD, SMLABT
 *   output 2m + 1 = fbias2 + top(X_m) * w0 + X_{m+1} . (w1 w2)        SMLATB, SMLAD
 * The requantization is the file's tg_dw_kx1_requant (SMMLAR with R, ADD of the sign,
 * ASR by n, SSAT); with a lower clamp SSUB8 and SEL take max(y, act_min) on the bottom
 * byte, the only one stored. n shares the pair counter's register (ASR by register
 * reads its bottom byte), the odd count's flag the clamp's (bit 8; SEL's upper bytes
 * are not stored). 21 instructions per two outputs (25 with the clamp), 18 per channel
 * and phase around them.
 *
 * Registers: r0 x, r1 out, r2 S, r3 pairs << 8 | n, r4 the sum, r5 multiplier,
 * r6 act_min | odd << 8, r7 R, r8 W[0], r9 / r10 X_m / X_{m+1} taking turns,
 * r11 W'[1], r12 fbias2, lr y. The record (bias2, multiplier, n, R, W[0], W'[0], W[1],
 * W'[1], fbias2) loads with one LDM into r4 .. r12 (bias2, W'[0], W[1] overwritten).
 * Stack, per call: [sp] record, [sp, 4] pairs << 8, [sp, 8] act_min | odd << 8,
 * [sp, 12] x, [sp, 16] out of the next channel, [sp, 20] channels left.
 */
#ifndef TG_DEPTHWISE_CONV2D_KX1_S8_DSP_H
#define TG_DEPTHWISE_CONV2D_KX1_S8_DSP_H

#include <arm_acle.h>
#include <stdint.h>

#include "tg_dsp_s8.h"
#include "tg_kernels.h"

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

/* The 4 channels of pixel t (channels c.. of a block of n), or the zero point's bytes outside 0..L-1. */
static inline int32_t tg_dw_kx1_pixel(const int8_t *in, int32_t t, int32_t len, int32_t channels, int32_t n, int32_t zp4)
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

/* Two pixels' 4 channels as int16 (+ input offset), pixel a low, b high: the 4 channels' words. */
static void tg_dw_kx1_put(int32_t *dst, int32_t va, int32_t vb, int32_t offset2)
{
    const int32_t a02 = __sxtab16(offset2, va), a13 = tg_dsp_sxtab16_odd(offset2, va);
    const int32_t b02 = __sxtab16(offset2, vb), b13 = tg_dsp_sxtab16_odd(offset2, vb);
    dst[0] = tg_dsp_pkhbt(a02, b02);
    dst[1] = tg_dsp_pkhbt(a13, b13);
    dst[2] = tg_dsp_pkhtb(b02, a02);
    dst[3] = tg_dsp_pkhtb(b13, a13);
}

/*
 * count words of 4 channels, each from the pixels at in and in + step bytes, the next
 * 2 * step bytes on: per word two loads, SXTAB16 (input offset added) and PKHBT / PKHTB
 * to pair the pixels per channel, one STM of the 4 channels' words.
 */
static void tg_dw_kx1_widen_run(const int8_t *in, int32_t step, int32_t count, int32_t offset2, int32_t *dst)
{
    int32_t va, vb, t;
    if (count <= 0) {
        return;
    }
    __asm__ volatile("1:\n\t"
                     "ldr %[va], [%[in]]\n\t"
                     "ldr %[vb], [%[in], %[step]]\n\t"
                     "add %[in], %[in], %[step], lsl #1\n\t"
                     "sxtab16 %[t], %[off], %[va]\n\t"
                     "sxtab16 %[va], %[off], %[va], ror #8\n\t"
                     "sxtab16 r10, %[off], %[vb]\n\t"
                     "sxtab16 %[vb], %[off], %[vb], ror #8\n\t"
                     "pkhbt r8, %[t], r10, lsl #16\n\t"
                     "pkhtb r10, r10, %[t], asr #16\n\t"
                     "pkhbt r9, %[va], %[vb], lsl #16\n\t"
                     "pkhtb r11, %[vb], %[va], asr #16\n\t"
                     "stmia %[dst]!, {r8, r9, r10, r11}\n\t"
                     "subs %[count], %[count], #1\n\t"
                     "bne 1b"
                     : [in] "+r"(in), [dst] "+r"(dst), [count] "+r"(count), [va] "=&r"(va), [vb] "=&r"(vb),
                       [t] "=&r"(t)
                     : [step] "r"(step), [off] "r"(offset2)
                     : "r8", "r9", "r10", "r11", "cc", "memory");
}

/*
 * The block's channels widened into scratch: word j of phase r at
 * wide + (r * words + j) * 4 + k for channel k, words = tg_dw_kx1_phase_words, holding
 * the padded positions r + 2jd and r + (2j + 1)d, i.e. input pixels (those minus pad).
 */
static void tg_dw_kx1_widen(const int8_t *in, const tg_dw_kx1_geom_t *g, int32_t channels, int32_t n,
                            int32_t zp4, int32_t offset2, int32_t *wide)
{
    const int32_t words = tg_dw_kx1_phase_words(g), d = g->dilation;
    int32_t r, j;
    for (r = 0; r < d; ++r) {
        int32_t *dst = wide + 4 * r * words;
        int32_t t = r - g->pad;
        j = 0;
        /* pairs with a pixel before the sequence */
        for (; j < words && t < 0; ++j, t += 2 * d) {
            tg_dw_kx1_put(dst + 4 * j, tg_dw_kx1_pixel(in, t, g->len, channels, n, zp4),
                          tg_dw_kx1_pixel(in, t + d, g->len, channels, n, zp4), offset2);
        }
        if (n == 4) {
            /* pairs of pixels both inside the sequence */
            int32_t count = t + d < g->len ? (g->len - 1 - t - d) / (2 * d) + 1 : 0;
            count = count < words - j ? count : words - j;
            tg_dw_kx1_widen_run(in + t * channels, d * channels, count, offset2, dst + 4 * j);
            j += count;
            t += 2 * d * count;
        }
        for (; j < words && t < g->len; ++j, t += 2 * d) {
            tg_dw_kx1_put(dst + 4 * j, tg_dw_kx1_pixel(in, t, g->len, channels, n, zp4),
                          tg_dw_kx1_pixel(in, t + d, g->len, channels, n, zp4), offset2);
        }
        /* both pixels after the sequence: zero */
        for (; j < words; ++j) {
            dst[4 * j] = dst[4 * j + 1] = dst[4 * j + 2] = dst[4 * j + 3] = 0;
        }
    }
}

/* One phase of a layer for tg_dw_kx1_k3_phase: its first channel's x, out. */
typedef struct {
    const int32_t *rec;     /* channel 0's record */
    int32_t pairs;          /* (outputs / 2) << 8 */
    int32_t tail;           /* (outputs & 1) << 8 | (act_min & 0xFF) */
    const int8_t *x;        /* channel 0's first position of the phase in the padded copy */
    int8_t *out;            /* channel 0's first output of the phase */
    int32_t channels;       /* >= 1 */
    int32_t step;           /* S = dilation * channels */
} tg_dw_kx1_k3_t;

/* X = (x[0], x[S]) from r0, r0 two positions on; lr a temporary. */
#define TG_DW_KX1_K3_LOAD(x)                         \
    "ldrsb  " x ", [r0]\n\t"                         \
    "ldrsb  lr, [r0, r2]\n\t"                        \
    "add    r0, r0, r2, lsl #1\n\t"                  \
    "pkhbt  " x ", " x ", lr, lsl #16\n\t"

/* One output from the sum in r4 to the byte at [r1, off]; clamp: max with r6. */
#define TG_DW_KX1_K3_OUT(clamp, off)                 \
    "smmlar lr, r4, r5, r7\n\t"                      \
    "add    lr, lr, r4, asr #31\n\t"                 \
    "asr    lr, lr, r3\n\t"                          \
    "ssat   lr, #8, lr\n\t"                          \
    ".if " #clamp "\n\t"                             \
    "ssub8  r4, lr, r6\n\t"                          \
    "sel    lr, lr, r6\n\t"                          \
    ".endif\n\t"                                     \
    "strb   lr, [r1" off "]\n\t"

/* Output 2m from X_m in a, X_{m+1} loaded into b. */
#define TG_DW_KX1_K3_EVEN(clamp, a, b)               \
    TG_DW_KX1_K3_LOAD(b)                             \
    "smlad  r4, " a ", r8, r12\n\t"                  \
    "smlabt r4, " b ", r11, r4\n\t"                  \
    TG_DW_KX1_K3_OUT(clamp, "")

/* Outputs 2m, 2m + 1; out two steps on, the pair counted. */
#define TG_DW_KX1_K3_PAIR(clamp, a, b)               \
    TG_DW_KX1_K3_EVEN(clamp, a, b)                   \
    "smlatb r4, " a ", r8, r12\n\t"                  \
    "smlad  r4, " b ", r11, r4\n\t"                  \
    TG_DW_KX1_K3_OUT(clamp, ", r2")                  \
    "add    r1, r1, r2, lsl #1\n\t"                  \
    "subs   r3, r3, #256\n\t"

/* After the pairs, X_m in a: the odd count's last output, then the next channel. */
#define TG_DW_KX1_K3_TAIL(clamp, a, b)               \
    "tst    r6, #256\n\t"                            \
    "beq    5f\n\t"                                  \
    TG_DW_KX1_K3_EVEN(clamp, a, b)                   \
    "b      5f\n\t"

#define TG_DW_KX1_K3_BODY(clamp)                     \
    __asm__("push   {r4-r11, lr}\n\t"                \
            "ldr    r2, [r0, #24]\n\t"               \
            "ldm    r0, {r0, r1, r3, r4, r5, r6}\n\t" \
            "push   {r0, r1, r3, r4, r5, r6}\n\t"    \
            "0:\n\t"                                 \
            "ldr    lr, [sp]\n\t"                    \
            "ldmia  lr!, {r4-r12}\n\t"               \
            "str    lr, [sp]\n\t"                    \
            "ldr    r3, [sp, #4]\n\t"                \
            "orr    r3, r3, r6\n\t"                  \
            "ldrd   r6, r0, [sp, #8]\n\t"            \
            "ldr    r1, [sp, #16]\n\t"               \
            "add    r9, r0, #1\n\t"                  \
            "add    r10, r1, #1\n\t"                 \
            "strd   r9, r10, [sp, #12]\n\t"          \
            TG_DW_KX1_K3_LOAD("r9")                  \
            "subs   r3, r3, #256\n\t"                \
            "bmi    3f\n\t"                          \
            "1:\n\t"                                 \
            TG_DW_KX1_K3_PAIR(clamp, "r9", "r10")    \
            "bmi    4f\n\t"                          \
            TG_DW_KX1_K3_PAIR(clamp, "r10", "r9")    \
            "bpl    1b\n\t"                          \
            "3:\n\t"                                 \
            TG_DW_KX1_K3_TAIL(clamp, "r9", "r10")    \
            "4:\n\t"                                 \
            TG_DW_KX1_K3_TAIL(clamp, "r10", "r9")    \
            "5:\n\t"                                 \
            "ldr    lr, [sp, #20]\n\t"               \
            "subs   lr, lr, #1\n\t"                  \
            "str    lr, [sp, #20]\n\t"               \
            "bne    0b\n\t"                          \
            "add    sp, sp, #24\n\t"                 \
            "pop    {r4-r11, pc}")

/* Every channel's outputs of one phase (tg_dw_kx1_k3_t); _relu: max(y, act_min). */
__attribute__((naked, noinline)) static void tg_dw_kx1_k3_phase(const tg_dw_kx1_k3_t *a __attribute__((unused)))
{
    TG_DW_KX1_K3_BODY(0);
}

__attribute__((naked, noinline)) static void
tg_dw_kx1_k3_phase_relu(const tg_dw_kx1_k3_t *a __attribute__((unused)))
{
    TG_DW_KX1_K3_BODY(1);
}

/* Whether a layer (tg_dw_kx1_geometry) takes this path: stride 1, 2 or 3 taps, act_max 127. */
static inline int32_t tg_dw_kx1_k3_serves(const tg_dw_kx1_geom_t *g, int32_t act_max)
{
    return g->stride == 1 && (g->kernel == 2 || g->kernel == 3) && act_max == 127;
}

/* Rows of the padded copy: every position a phase's loads reach (2 past its last output's
   first tap), and the input. */
static inline int32_t tg_dw_kx1_k3_rows(const tg_dw_kx1_geom_t *g)
{
    const int32_t reach = g->out + 3 * g->dilation, input = g->pad + g->len;
    return reach > input ? reach : input;
}

/* count bytes of v4's (replicated) byte from dst, by words from the first aligned one. */
static void tg_dw_kx1_fill(int8_t *dst, int32_t count, int32_t v4)
{
    int32_t i;
    for (i = 0; i < count && ((uintptr_t)(dst + i) & 3u) != 0; ++i) {
        dst[i] = (int8_t)v4;
    }
    for (; i + 4 <= count; i += 4) {
        *(int32_t *)(void *)(dst + i) = v4;
    }
    for (; i < count; ++i) {
        dst[i] = (int8_t)v4;
    }
}

/* count bytes from src to dst; dst word aligned, 16 bytes per LDM / STM where src is too. */
static void tg_dw_kx1_copy(int8_t *dst, const int8_t *src, int32_t count)
{
    int32_t i = 0;
    if (((uintptr_t)src & 3u) == 0) {
        int32_t blocks = count / 16;
        const int8_t *s = src;
        int8_t *d = dst;
        if (blocks > 0) {
            __asm__ volatile("1:\n\t"
                             "ldmia %[s]!, {r4, r5, r6, r7}\n\t"
                             "stmia %[d]!, {r4, r5, r6, r7}\n\t"
                             "subs  %[n], %[n], #1\n\t"
                             "bne   1b"
                             : [s] "+r"(s), [d] "+r"(d), [n] "+r"(blocks)
                             :
                             : "r4", "r5", "r6", "r7", "cc", "memory");
        }
        i = count & ~15;
    }
    for (; i < count; ++i) {
        dst[i] = src[i];
    }
}

/*
 * The layer on this path: the input copied with its padding rows (the zero point) into
 * scratch, the copy's input rows word aligned; then per dilation phase every channel in
 * tg_dw_kx1_k3_phase. rec: channel 0's record (9 words per channel).
 */
static void tg_dw_kx1_k3(const tg_dw_kx1_geom_t *g, const tg_conv2d_params_t *p, const int8_t *input,
                         const int32_t *rec, int8_t *scratch, int8_t *output)
{
    const int32_t c = p->in_c, d = g->dilation, rows = tg_dw_kx1_k3_rows(g);
    const int32_t zp4 = (int32_t)(((uint32_t)-p->input_offset & 0xFFu) * 0x01010101u);
    int8_t *const copy = scratch + ((uint32_t)-(g->pad * c) & 3u);
    int32_t r;
    tg_dw_kx1_fill(scratch, (int32_t)(copy - scratch) + g->pad * c, zp4);
    tg_dw_kx1_copy(copy + g->pad * c, input, g->len * c);
    tg_dw_kx1_fill(copy + (g->pad + g->len) * c, (rows - g->pad - g->len) * c, zp4);
    for (r = 0; r < d && r < g->out; ++r) {
        const int32_t n = (g->out - r + d - 1) / d;
        const tg_dw_kx1_k3_t a = {rec, (n >> 1) << 8, ((n & 1) << 8) | (p->act_min & 0xFF),
                                  copy + r * c, output + r * c, c, d * c};
        if (p->act_min > -128) {
            tg_dw_kx1_k3_phase_relu(&a);
        } else {
            tg_dw_kx1_k3_phase(&a);
        }
    }
}

#endif
