/*
 * The 3x3 path of tg_depthwise_conv2d_gated_s8_dsp: tg_depthwise_conv2d_s8_dsp's 3x3 loops
 * (tg_depthwise_conv2d_3x3_s8_dsp.h) run over the kept channels only, addressed in place:
 * no gathered input, no compact result. The ring of widened input rows holds every
 * channel (its SIMD gather, 8 channels per LDRD pair and STM where the channels are a
 * multiple of 8, costs about 1.6 instructions per input byte, padding columns included);
 * the records hold the kept channels only, in channel order, each with a ninth word, the
 * ring bytes from this kept channel's slot to the next one's minus 4
 * (4 * (kept[j+1] - kept[j] - 1); -4 for the last record: the carry of the output
 * pointer's add ends the loops), which the loops add to the ring pointers a, b, c (and a
 * quarter of it to the output pointer) after each record; a 0 loops straight back.
 * The output is filled with the dropped channels' value first (STM, 32 bytes per
 * instruction); the loops overwrite the kept channels. A clamp other than SSAT's (the
 * folded ReLU) is one SIMD pass per output row, as in the dense kernel (where there is none,
 * it costs nothing; in the loops it would cost every layer 2 instructions per output).
 * The dense header's macros are used as they are; TG_DW3_STEP is redefined for the longer
 * records, and the loop ends (TG_DW3G_SKIP_LOOP), the gather (tg_dw3g_gather) and the
 * ring's zeroing (tg_dw3g_ring_advance) are this header's own.
 *
 * Needs __ARM_FEATURE_DSP (-mcpu=cortex-m4 / cortex-m7).
 */
#ifndef TG_DEPTHWISE_CONV2D_3X3_GATED_S8_DSP_H
#define TG_DEPTHWISE_CONV2D_3X3_GATED_S8_DSP_H

#include "tg_depthwise_conv2d_3x3_s8_dsp.h"

/* words per record: tg_depthwise_conv2d_3x3_s8_dsp.h's 8, then the skip to the next kept channel */
#define TG_DW3G_RECORD_WORDS 9
#undef TG_DW3_STEP
#define TG_DW3_STEP "36"

/* The loop's end: a skip word of 0 (the next kept channel is the next channel) goes
   straight back (CBNZ not taken, B; x0 a low register); otherwise the ring and output
   pointers move past the dropped channels up to the next kept one. The last record's skip
   word, -4, takes the output pointer 1 back: that add (ADDS, the word / 4) carries, a
   forward skip's cannot (the output ends below 2^32), so carry clear loops back (the
   pointers moved after the last record are never read). */
#define TG_DW3G_SKIP_LOOP                                      \
    "ldr    %[x0], [%[rec], #32-" TG_DW3_STEP "]\n\t"          \
    "cbnz   %[x0], 2f\n\t"                                    \
    "b      1b\n\t"                                           \
    "2:\n\t"                                                  \
    "add    %[a], %[a], %[x0]\n\t"                             \
    "add    %[b], %[b], %[x0]\n\t"                             \
    "add    %[c], %[c], %[x0]\n\t"                             \
    "adds   %[out], %[out], %[x0], asr #2\n\t"                \
    "bcc    1b\n\t"

/* Two adjacent output pixels of a row (stride 1 or 2), the kept channels (tg_dw3_pairs). */
static inline __attribute__((always_inline)) void
tg_dw3g_pairs(const int32_t *rec, const int32_t *rec_end, const int32_t *a, const int32_t *b, const int32_t *c,
              int32_t channels, int32_t stride, int8_t *out)
{
    int32_t s0, s1, x1, w0, w1;
    register int32_t x0 __asm__("r3");    /* CBZ */
#define TG_DW3G_STORE2                                         \
    TG_DW3_PAIR_OUT                                            \
    TG_DW3G_SKIP_LOOP
    if (stride == 1) {
        __asm__ volatile(
            "1:\n\t"
            TG_DW3_FIRST
            TG_DW3_ROW_S1(a, 0, s0)
            TG_DW3_ROW_S1(b, 1, s1)
            TG_DW3_ROW_S1(c, 2, s1)
            TG_DW3G_STORE2
            TG_DW3_OPERANDS);
    } else {
        __asm__ volatile(
            "1:\n\t"
            TG_DW3_FIRST
            TG_DW3_ROW_S2(a, 0, s0)
            TG_DW3_ROW_S2(b, 1, s1)
            TG_DW3_ROW_S2(c, 2, s1)
            TG_DW3G_STORE2
            TG_DW3_OPERANDS);
    }
#undef TG_DW3G_STORE2
}

/*
 * quads (>= 1) times four adjacent output pixels of a stride-1 row, the kept channels
 * (tg_dw3_quads_row): after the last kept channel the ring pointers stand 4 * span bytes
 * past their start and out span bytes (span: the last kept channel - the first; the last
 * record's skip, -4, took them one channel back), so they go on by 8 * channels - 4 * span
 * and 4 * channels - span to the next 4 pixels, rec back to the first record; the count of
 * 4-pixel steps left and the steps live in memory (all 14 registers are taken): 12
 * instructions per 4 pixels.
 */
static inline __attribute__((always_inline)) void
tg_dw3g_quads_row(const int32_t *rec, const int32_t *a, const int32_t *b, const int32_t *c, int32_t channels,
                  int32_t quads, int32_t span, int8_t *out)
{
    const int32_t *const rec0 = rec;
    const int32_t ring_on = 8 * channels - 4 * span, out_on = 4 * channels - span;
    int32_t s0, s1, s2, s3, x1, w0, w1;
    register int32_t x0 __asm__("r3");    /* CBNZ */
    __asm__ volatile(
        "1:\n\t"
        TG_DW3_QUAD_SUMS
        TG_DW3_QUAD_OUT
        TG_DW3G_SKIP_LOOP
        "ldr    %[x0], %[ring_on]\n\t"
        "add    %[a], %[a], %[x0]\n\t"
        "add    %[b], %[b], %[x0]\n\t"
        "add    %[c], %[c], %[x0]\n\t"
        "ldr    %[x0], %[out_on]\n\t"
        "add    %[out], %[out], %[x0]\n\t"
        "ldr    %[rec], %[rec0]\n\t"
        "ldr    %[x0], %[quads]\n\t"
        "subs   %[x0], %[x0], #1\n\t"
        "str    %[x0], %[quads]\n\t"
        "bne    1b\n\t"
        : TG_DW3_QUAD_REGS, [quads] "+m"(quads)
        : [n] "r"(channels), [ring_on] "m"(ring_on), [out_on] "m"(out_on), [rec0] "m"(rec0)
        : "memory", "cc");
}

/* One output pixel, the kept channels (tg_dw3_single). */
static void tg_dw3g_single(const int32_t *rec, const int32_t *rec_end, const int32_t *a, const int32_t *b,
                           const int32_t *c, int32_t channels, int8_t *out)
{
    int32_t s0, s1, x1, w0, w1;
    register int32_t x0 __asm__("r3");    /* CBZ */
    __asm__ volatile(
        "1:\n\t"
        TG_DW3_FIRST
        TG_DW3_ROW_1(a, 0)
        TG_DW3_ROW_1(b, 1)
        TG_DW3_ROW_1(c, 2)
        TG_DW3_CONSTANTS
        TG_DW3_REQUANT(x1, s0)
        "strb   %[x1], [%[out]], #1\n\t"
        TG_DW3G_SKIP_LOOP
        TG_DW3_OPERANDS);
    (void)s1;
}

/* One output row, the kept channels (tg_dw3_row): a, b, c and out at the first kept channel,
   span the last kept channel - the first. */
static __attribute__((noinline)) void
tg_dw3g_row(const int32_t *rec, const int32_t *rec_end, const int32_t *a, const int32_t *b, const int32_t *c,
            int32_t channels, int32_t out_w, int32_t stride, int32_t span, int8_t *out)
{
    const int32_t step = stride * channels;
    int32_t x = 0;
    if (stride == 1) {
        const int32_t quads = out_w / 4;
        if (quads > 0) {
            tg_dw3g_quads_row(rec, a, b, c, channels, quads, span, out);
            x = 4 * quads;
            a += 2 * quads * channels;
            b += 2 * quads * channels;
            c += 2 * quads * channels;
            out += 4 * quads * channels;
        }
        for (; x + 2 <= out_w; x += 2, a += step, b += step, c += step, out += 2 * channels) {
            tg_dw3g_pairs(rec, rec_end, a, b, c, channels, 1, out);
        }
    } else {
        for (; x + 2 <= out_w; x += 2, a += step, b += step, c += step, out += 2 * channels) {
            tg_dw3g_pairs(rec, rec_end, a, b, c, channels, 2, out);
        }
    }
    if (x < out_w) {
        tg_dw3g_single(rec, rec_end, a, b, c, channels, out);
    }
}

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

/* tg_dw3_ring_init and tg_dw3_ring_advance with the zeroing by tg_dw3g_fill (STM) and the
   gather tg_dw3g_gather: the ring's column pairs wholly in the padding zeroed once. */
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

/*
 * The gated 3x3 path: p the layer over every channel (requantization from the records),
 * rec the n kept channels' records (TG_DW3G_RECORD_WORDS words), first and last the lowest
 * and highest kept channel; scratch tg_dw3_scratch's ring for every channel. The output's dropped channels
 * must already hold their value (which lies inside [act_min, act_max]). Input row r lives
 * in ring row (r + 3) % 3 (pad_top <= 2), as in the dense kernel; the ring rows of the
 * output row's top input row and of the next row to read are counted along, not divided.
 */
static void tg_dw3g_run(const tg_conv2d_params_t *p, const int8_t *input, const int32_t *rec, int32_t n,
                        int32_t first, int32_t last, int8_t *scratch, int8_t *output)
{
    const int32_t channels = p->out_c, out_w = p->out_w, in_h = p->in_h, stride_h = p->stride_h;
    const int32_t offset2 = (int32_t)(((uint32_t)p->input_offset & 0xFFFFu) * 0x00010001u);
    const int32_t act_min4 = (int32_t)((uint32_t)(p->act_min & 0xFF) * 0x01010101u);
    const int32_t act_max4 = (int32_t)((uint32_t)(p->act_max & 0xFF) * 0x01010101u);
    const int32_t clamp = act_min4 != (int32_t)0x80808080u || act_max4 != 0x7F7F7F7F;
    const int32_t row_words = tg_dw3_row_words(p), row_step = row_words * channels;   /* words per ring row */
    const int32_t in_row = p->in_w * p->in_c;
    const int32_t *const rec_end = rec + n * TG_DW3G_RECORD_WORDS;
    int32_t *const ring = (int32_t *)(void *)scratch;
    int32_t *const rows[5] = {ring, ring + row_step, ring + 2 * row_step, ring, ring + row_step};  /* i % 3 */
    int32_t top = -p->pad_top, slot = (3 - p->pad_top) % 3;     /* the output row's top input row, its ring row */
    int32_t next_row = top, next_slot = slot;                   /* the first input row not yet in the ring */
    int8_t *out_row = output;
    int32_t out_y, r;

    tg_dw3g_ring_init(p, ring, row_step);
    for (out_y = 0; out_y < p->out_h; ++out_y, top += stride_h, out_row += out_w * channels) {
        if (next_row < top) {
            next_row = top;
            next_slot = slot;
        }
        for (r = next_row; r < top + 3; ++r) {
            if (r >= 0 && r < in_h) {
                tg_dw3g_gather(input + r * in_row, p->in_c, p->in_w, p->pad_left, row_words, offset2,
                               rows[next_slot]);
            } else {
                tg_dw3g_fill((int8_t *)(void *)rows[next_slot], row_step * (int32_t)sizeof(int32_t), 0);
            }
            next_slot = next_slot == 2 ? 0 : next_slot + 1;
        }
        next_row = top + 3;
        tg_dw3g_row(rec, rec_end, rows[slot] + first, rows[slot + 1] + first, rows[slot + 2] + first, channels, out_w,
                    p->stride_w, last - first, out_row + first);
        if (clamp) {
            tg_dw3_clamp(out_row, out_w * channels, act_min4, act_max4);
        }
        slot += stride_h;
        while (slot >= 3) {
            slot -= 3;
        }
    }
}

#endif /* TG_DEPTHWISE_CONV2D_3X3_GATED_S8_DSP_H */
