/*
 * The ring of widened input rows of tg_depthwise_conv2d_gated_s8_dsp's 3x3 path
 * (tg_depthwise_conv2d_3x3_gated_s8_dsp.h): every channel widened with the input offset
 * into int16 column pairs as tg_dw3_gather does (tg_depthwise_conv2d_3x3_s8_dsp.h), 8
 * channels per step where the channels are a multiple of 8 and the row word-aligned (the
 * pairs wholly inside the input in one loop over the row, the edge pairs alone), the
 * padding rows and columns zeroed 32 bytes per STM (tg_dw3g_fill, which also fills the
 * output's dropped channels).
 *
 * Needs __ARM_FEATURE_DSP (-mcpu=cortex-m4 / cortex-m7).
 */
#ifndef TG_DEPTHWISE_CONV2D_3X3_GATED_RING_S8_DSP_H
#define TG_DEPTHWISE_CONV2D_3X3_GATED_RING_S8_DSP_H

#include "tg_depthwise_conv2d_3x3_s8_dsp.h"

/*
 * One edge column pair of a ring row, 8 channels per step (tg_dw3_gather_pair's words): one
 * LDRD for the column inside the input (lo, a constant where inlined: the first column, else
 * the second; the padding column is 8 zero-point bytes), PKHTB /
 * PKHBT and four SXTAB16 per 4 channels, their 4 words one STM. x, x + channels and d
 * word-aligned, channels a multiple of 8.
 */
#define TG_DW3G_WIDEN4(a, b)                                           \
    "pkhtb  %[w3], %[" #b "], %[" #a "], asr #16\n\t"                \
    "pkhbt  %[w0], %[" #a "], %[" #b "], lsl #16\n\t"                \
    "sxtab16 %[w1], %[off], %[w0], ror #8\n\t"                       \
    "sxtab16 %[w0], %[off], %[w0]\n\t"                               \
    "sxtab16 %[w2], %[off], %[w3]\n\t"                               \
    "sxtab16 %[w3], %[off], %[w3], ror #8\n\t"                       \
    "stmia  %[d]!, {%[w0], %[w1], %[w2], %[w3]}\n\t"
#define TG_DW3G_PAIR8_OPERANDS                                                                         \
    : [x] "+&r"(x), [xb] "+&r"(xb), [d] "+&r"(d), [a0] "+&r"(a0), [a1] "+&r"(a1), [b0] "+&r"(b0),     \
      [b1] "+&r"(b1), [w0] "=&r"(w0), [w1] "=&r"(w1), [w2] "=&r"(w2), [w3] "=&r"(w3)                  \
    : [off] "r"(offset2), [end] "r"(end)                                                               \
    : "memory", "cc"

static inline __attribute__((always_inline)) void
tg_dw3g_gather_pair8(const int8_t *x, int32_t channels, int32_t offset2, int32_t zero_point4, int32_t lo, int32_t *d)
{
    const int8_t *xb = x + channels;
    const int8_t *const end = lo ? xb : xb + channels;     /* where the loaded pointer stops */
    register int32_t w0 __asm__("r4");
    register int32_t w1 __asm__("r5");
    register int32_t w2 __asm__("r6");
    register int32_t w3 __asm__("r8");
    int32_t a0 = zero_point4, a1 = zero_point4, b0 = zero_point4, b1 = zero_point4;
    if (lo) {
        __asm__ volatile(
            "1:\n\t"
            "ldrd   %[a0], %[a1], [%[x]], #8\n\t"
            TG_DW3G_WIDEN4(a0, b0)
            TG_DW3G_WIDEN4(a1, b1)
            "cmp    %[x], %[end]\n\t"
            "bne    1b\n\t"
            TG_DW3G_PAIR8_OPERANDS);
    } else {
        __asm__ volatile(
            "1:\n\t"
            "ldrd   %[b0], %[b1], [%[xb]], #8\n\t"
            TG_DW3G_WIDEN4(a0, b0)
            TG_DW3G_WIDEN4(a1, b1)
            "cmp    %[xb], %[end]\n\t"
            "bne    1b\n\t"
            TG_DW3G_PAIR8_OPERANDS);
    }
}
/* tg_dw3g_gather_pair8 for an edge pair: lo, the first column inside (else the second). */
static __attribute__((noinline)) void
tg_dw3g_gather_edge8(const int8_t *x, int32_t channels, int32_t offset2, int32_t lo, int32_t *d)
{
    const int32_t zero_point4 = (int32_t)((uint32_t)(-(int16_t)offset2 & 0xFF) * 0x01010101u);
    if (lo) {
        tg_dw3g_gather_pair8(x, channels, offset2, zero_point4, 1, d);
    } else {
        tg_dw3g_gather_pair8(x, channels, offset2, zero_point4, 0, d);
    }
}

/*
 * pairs (>= 1) consecutive column pairs wholly inside the input, one loop over the row:
 * x channel 0 of the first pair's first column, d its ring word; per pair the 8-channel
 * steps of tg_dw3g_gather_pair8 (lo and hi), then x on to the pair after (xb's end) and xb
 * a column past it, 6 instructions. The row's end lives in memory (13 registers taken).
 */
#define TG_DW3G_INSIDE8_OPERANDS                                                                       \
    : [x] "+&r"(x), [xb] "+&r"(xb), [d] "+&r"(d), [a0] "=&r"(a0), [a1] "=&r"(a1), [b0] "=&r"(b0),     \
      [b1] "=&r"(b1), [w0] "=&r"(w0), [w1] "=&r"(w1), [w2] "=&r"(w2), [w3] "=&r"(w3), [end] "=&r"(end) \
    : [off] "r"(offset2), [row_end] "m"(row_end)                                                       \
    : "memory", "cc"

static __attribute__((noinline)) void
tg_dw3g_gather_inside8(const int8_t *x, int32_t channels, int32_t pairs, int32_t offset2, int32_t *d)
{
    const int8_t *xb = x + channels, *end;
    const int8_t *const row_end = x + 2 * pairs * channels;     /* x after the last pair */
    register int32_t w0 __asm__("r4");
    register int32_t w1 __asm__("r5");
    register int32_t w2 __asm__("r6");
    register int32_t w3 __asm__("r8");
    int32_t a0, a1, b0, b1;
    __asm__ volatile(
        "2:\n\t"
        "mov    %[end], %[xb]\n\t"
        "1:\n\t"
        "ldrd   %[a0], %[a1], [%[x]], #8\n\t"
        "ldrd   %[b0], %[b1], [%[xb]], #8\n\t"
        TG_DW3G_WIDEN4(a0, b0)
        TG_DW3G_WIDEN4(a1, b1)
        "cmp    %[x], %[end]\n\t"
        "bne    1b\n\t"
        "sub    %[a0], %[xb], %[x]\n\t"
        "mov    %[x], %[xb]\n\t"
        "add    %[xb], %[xb], %[a0]\n\t"
        "ldr    %[a0], %[row_end]\n\t"
        "cmp    %[x], %[a0]\n\t"
        "bne    2b\n\t"
        TG_DW3G_INSIDE8_OPERANDS);
}
#undef TG_DW3G_INSIDE8_OPERANDS
#undef TG_DW3G_PAIR8_OPERANDS
#undef TG_DW3G_WIDEN4

/*
 * tg_dw3_gather (input row src widened into ring row dst) 8 channels per step where the
 * channels are a multiple of 8 and the row word-aligned: the pairs wholly inside the input
 * in one run (tg_dw3g_gather_inside8), the edge pairs alone (tg_dw3g_gather_pair8);
 * otherwise tg_dw3_gather itself.
 */
static __attribute__((noinline)) void
tg_dw3g_gather(const int8_t *src, int32_t channels, int32_t in_w, int32_t pad_left, int32_t row_words,
               int32_t offset2, int32_t *dst)
{
    const int32_t first = (pad_left + 1) / 2;      /* the pairs wholly inside: [first, inside) */
    const int32_t inside = (in_w + pad_left) / 2 < row_words ? (in_w + pad_left) / 2 : row_words;
    int32_t k;
    if ((channels & 7) != 0 || ((uintptr_t)src & 3u) != 0) {
        tg_dw3_gather(src, channels, in_w, pad_left, row_words, offset2, dst);
        return;
    }
    if (pad_left & 1) {         /* pair first - 1: the padding column, then input column 0 */
        tg_dw3g_gather_edge8(src - channels, channels, offset2, 0, dst + (first - 1) * channels);
    }
    if (inside > first) {
        tg_dw3g_gather_inside8(src + (2 * first - pad_left) * channels, channels, inside - first, offset2,
                               dst + first * channels);
    }
    k = first > inside ? first : inside;
    if (k < row_words && 2 * k - pad_left + 1 == in_w) {   /* input column in_w - 1, then the padding */
        tg_dw3g_gather_edge8(src + (in_w - 1) * channels, channels, offset2, 1, dst + k * channels);
    }
}

/* count bytes of out set to value: to a word boundary, then 128 bytes per 4 STM of 8
   registers, 32 per STM, then the tail (newlib's memset stores 16 bytes in 7 instructions). */
static void tg_dw3g_fill(int8_t *out, int32_t count, int8_t value)
{
    register uint32_t v0 __asm__("r4") = (uint32_t)(uint8_t)value * 0x01010101u;
    register uint32_t v1 __asm__("r5") = v0;
    register uint32_t v2 __asm__("r6") = v0;
    register uint32_t v3 __asm__("r8") = v0;
    register uint32_t v4 __asm__("r9") = v0;
    register uint32_t v5 __asm__("r10") = v0;
    register uint32_t v6 __asm__("r11") = v0;
    register uint32_t v7 __asm__("r12") = v0;
    for (; count > 0 && ((uintptr_t)out & 3u) != 0; --count) {
        *out++ = value;
    }
    for (; count >= 128; count -= 128) {
        __asm__ volatile("stmia  %0!, {%1, %2, %3, %4, %5, %6, %7, %8}\n\t"
                         "stmia  %0!, {%1, %2, %3, %4, %5, %6, %7, %8}\n\t"
                         "stmia  %0!, {%1, %2, %3, %4, %5, %6, %7, %8}\n\t"
                         "stmia  %0!, {%1, %2, %3, %4, %5, %6, %7, %8}\n\t"
                         : "+r"(out)
                         : "r"(v0), "r"(v1), "r"(v2), "r"(v3), "r"(v4), "r"(v5), "r"(v6), "r"(v7)
                         : "memory");
    }
    for (; count >= 32; count -= 32) {
        __asm__ volatile("stmia  %0!, {%1, %2, %3, %4, %5, %6, %7, %8}\n\t"
                         : "+r"(out)
                         : "r"(v0), "r"(v1), "r"(v2), "r"(v3), "r"(v4), "r"(v5), "r"(v6), "r"(v7)
                         : "memory");
    }
    memset(out, (uint8_t)value, (size_t)count);
}

/* tg_dw3_ring_init with the zeroing by tg_dw3g_fill (STM): the ring's column pairs wholly in
   the padding zeroed once. */
static void tg_dw3g_ring_init(const tg_conv2d_params_t *p, int32_t *ring, int32_t row_step)
{
    const int32_t channels = p->out_c, bytes = channels * (int32_t)sizeof *ring;
    int32_t r, k;
    for (k = 0; k * channels < row_step; ++k) {
        const int32_t j = 2 * k - p->pad_left;      /* the pair's first input column */
        if (j + 1 < 0 || j >= p->in_w) {
            for (r = 0; r < 3; ++r) {
                tg_dw3g_fill((int8_t *)(void *)(ring + r * row_step + k * channels), bytes, 0);
            }
        }
    }
}

#endif /* TG_DEPTHWISE_CONV2D_3X3_GATED_RING_S8_DSP_H */
