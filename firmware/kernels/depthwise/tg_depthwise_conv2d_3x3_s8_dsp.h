/*
 * The 3x3 path of the ARMv7E-M depthwise convolution (3x3 windows, dilation 1, stride_w
 * 1 or 2, depth multiplier 1; see tg_depthwise_conv2d_s8_dsp.c for its method and loop
 * order), shared by tg_depthwise_conv2d_s8_dsp (which takes it where its records were
 * packed) and tg_depthwise_conv2d_3x3_s8_dsp (the path alone: the records are all its
 * constants, so the layer's plain weights, biases and requantization stay out of flash).
 *
 * Needs __ARM_FEATURE_DSP (-mcpu=cortex-m4 / cortex-m7).
 */
#ifndef TG_DEPTHWISE_CONV2D_3X3_S8_DSP_H
#define TG_DEPTHWISE_CONV2D_3X3_S8_DSP_H

#include <arm_acle.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "tg_dsp_s8.h"
#include "tg_kernels.h"
#include "tg_depthwise_conv2d_3x3_rows_s8_dsp.h"

/* ------------------------------------------------------------------------ */
/* 3x3 windows, dilation 1, stride_w 1 or 2: widened column pairs, SMLAD    */
/* ------------------------------------------------------------------------ */

/* Words per channel in a ring row: column pairs (2k, 2k + 1) of the padded input row
   (column pad_left is input column 0), as far as the loads reach. */
static int32_t tg_dw3_row_words(const tg_conv2d_params_t *p)
{
    const int32_t loads = (p->out_w - 1) * p->stride_w + 4;    /* columns a row's loads reach */
    const int32_t padded = p->pad_left + p->in_w;
    return ((loads > padded ? loads : padded) + 1) / 2;
}

/* lo and hi as the two int16 halves of a word */
static inline int32_t tg_dw3_pack(int32_t lo, int32_t hi)
{
    return (int32_t)(((uint32_t)lo & 0xFFFFu) | ((uint32_t)hi << 16));
}

/* Two words to a word-aligned address: STRD. */
static inline void tg_dw3_store2(int32_t *d, int32_t a, int32_t b)
{
    __asm__("strd %1, %2, %0" : "=m"(*(int64_t *)(void *)d) : "r"(a), "r"(b));
}

/*
 * One column pair of a ring row, 4 channels at a time: x points at channel 0 of the
 * pair's first input column, lo / hi (constants where inlined) say whether the first /
 * second column lies inside the input; a padding column reads as 4 zero-point bytes,
 * which the offset turns into 0. PKHBT puts channels 0, 1 of both columns in
 * one word, so SXTAB16 and its rotated form give channel 0's and channel 1's pairs
 * directly (PKHTB likewise for channels 2, 3). Not unrolled: it serves the edge pairs
 * only (1 or 2 per row), where code size counts more than a branch per block.
 */
static inline __attribute__((always_inline)) int32_t
tg_dw3_gather_pair(const int8_t *x, int32_t channels, int32_t offset2, int32_t zero_point4, int32_t lo,
                   int32_t hi, int32_t *d)
{
    int32_t c;
#pragma GCC unroll 1
    for (c = 0; c + 4 <= channels; c += 4) {
        const int32_t va = lo ? tg_dsp_load_s8x4(x + c) : zero_point4;
        const int32_t vb = hi ? tg_dsp_load_s8x4(x + channels + c) : zero_point4;
        const int32_t t01 = tg_dsp_pkhbt(va, vb), t23 = tg_dsp_pkhtb(vb, va);
        tg_dw3_store2(d + c, __sxtab16(offset2, t01), tg_dsp_sxtab16_odd(offset2, t01));
        tg_dw3_store2(d + c + 2, __sxtab16(offset2, t23), tg_dsp_sxtab16_odd(offset2, t23));
    }
    return c;
}

/*
 * One column pair of a ring row at input column j (the pair's first half), one or both of
 * its columns outside the input: the blocks of 4 channels by tg_dw3_gather_pair, the rest
 * one at a time. Words with no input column are left as they are (zero).
 */
static __attribute__((noinline, unused)) void
tg_dw3_gather_edge(const int8_t *src, int32_t channels, int32_t in_w, int32_t j, int32_t offset2, int32_t *d)
{
    const int32_t offset = (int16_t)offset2;
    const int32_t zero_point4 = (int32_t)((uint32_t)(-offset & 0xFF) * 0x01010101u);
    const int8_t *const x = src + j * channels;
    const int32_t lo = j >= 0 && j < in_w, hi = j + 1 >= 0 && j + 1 < in_w;
    int32_t c;
    if (!lo && !hi) {
        return;
    }
    c = tg_dw3_gather_pair(x, channels, offset2, zero_point4, lo, hi, d);
    for (; c < channels; ++c) {     /* the channels after the last block of 4 */
        d[c] = tg_dw3_pack(lo ? x[c] + offset : 0, hi ? x[channels + c] + offset : 0);
    }
}

/*
 * pairs column pairs with both columns inside the input, from x (channel 0 of the first
 * pair's first column) on, widened into d (the first pair's word for channel 0): per block
 * of 4 channels 2 loads, PKHBT / PKHTB, 4 SXTAB16 and one STM (9 instructions for 8
 * values, 11 with the loop), each further channel as LDRB, LDRB, ORR, SXTAB16, STR. The
 * STM's registers are fixed (r4..r7, ascending as the words they store).
 */
#define TG_DW3_GATHER4                                  \
    "ldr     %[vb], [%[x], %[n]]\n\t"                     \
    "ldr     %[va], [%[x]], #4\n\t"                       \
    "pkhbt   %[q1], %[va], %[vb], lsl #16\n\t"            \
    "pkhtb   %[q3], %[vb], %[va], asr #16\n\t"            \
    "sxtab16 %[q0], %[off], %[q1]\n\t"                    \
    "sxtab16 %[q1], %[off], %[q1], ror #8\n\t"            \
    "sxtab16 %[q2], %[off], %[q3]\n\t"                    \
    "sxtab16 %[q3], %[off], %[q3], ror #8\n\t"            \
    "stmia   %[d]!, {%[q0], %[q1], %[q2], %[q3]}\n\t"

/*
 * tg_dw3_gather_inside where the channel count is a multiple of 8 and TG_DW3_CHANNEL_PAIRS=1 (the
 * F446's cflags, tg_depthwise_conv2d_3x3_rows_s8_dsp.h): two blocks of 4 channels a pass and the
 * loop over the pairs in the same asm, no channel after the blocks: per pair one taken branch
 * fewer per 8 channels, and none of the C loop's tests.
 */
static inline __attribute__((always_inline)) void
tg_dw3_gather_inside8(const int8_t *x, int32_t channels, int32_t pairs, int32_t offset2, int32_t *d)
{
    const int8_t *const end = x + 2 * pairs * channels;
    register int32_t q0 __asm__("r4"), q1 __asm__("r5"), q2 __asm__("r6"), q3 __asm__("r7");
    int32_t va, vb;
    const int8_t *xe;
    __asm__ volatile(
        "0:\n\t"
        "add     %[xe], %[x], %[n]\n\t"
        "1:\n\t"
        TG_DW3_GATHER4
        TG_DW3_GATHER4
        "cmp     %[x], %[xe]\n\t"
        "bne     1b\n\t"
        "add     %[x], %[x], %[n]\n\t"
        "cmp     %[x], %[end]\n\t"
        "bne     0b\n\t"
        : [x] "+r"(x), [d] "+r"(d), [va] "=&r"(va), [vb] "=&r"(vb), [q0] "=&r"(q0), [q1] "=&r"(q1),
          [q2] "=&r"(q2), [q3] "=&r"(q3), [xe] "=&r"(xe)
        : [n] "r"(channels), [off] "r"(offset2), [end] "r"(end)
        : "memory", "cc");
}

static __attribute__((noinline, unused)) void
tg_dw3_gather_inside(const int8_t *x, int32_t channels, int32_t pairs, int32_t offset2, int32_t *d)
{
    const int8_t *const end = x + 2 * pairs * channels;
    const int32_t body = channels & ~3;
#if defined(TG_DW3_CHANNEL_PAIRS) && TG_DW3_CHANNEL_PAIRS
    if ((channels & 7) == 0) {
        if (pairs > 0) {
            tg_dw3_gather_inside8(x, channels, pairs, offset2, d);
        }
        return;
    }
#endif
    while (x != end) {
        const int8_t *const xt = x + channels;
        if (body != 0) {
            register int32_t q0 __asm__("r4"), q1 __asm__("r5"), q2 __asm__("r6"), q3 __asm__("r7");
            const int8_t *const xe = x + body;
            int32_t va, vb;
            __asm__ volatile(
                "1:\n\t"
                TG_DW3_GATHER4
                "cmp     %[x], %[xe]\n\t"
                "bne     1b\n\t"
                : [x] "+r"(x), [d] "+r"(d), [va] "=&r"(va), [vb] "=&r"(vb), [q0] "=&r"(q0), [q1] "=&r"(q1),
                  [q2] "=&r"(q2), [q3] "=&r"(q3)
                : [n] "r"(channels), [off] "r"(offset2), [xe] "r"(xe)
                : "memory", "cc");
        }
        while (x != xt) {
            const uint8_t *const u = (const uint8_t *)x;
            *d++ = __sxtab16(offset2, (int32_t)(u[0] | (uint32_t)u[channels] << 16));
            ++x;
        }
        x += channels;
    }
}

/*
 * Input row src (channel 0 of its first pixel) widened with the input offset into a
 * ring row: word k * channels + c holds channel c at padded columns 2k and 2k + 1.
 * Words with no input column are left as they are (zero). The pairs wholly inside the
 * input (k in [ceil(pad_left / 2), (in_w + pad_left) / 2)) in one run, the others alone.
 */
static __attribute__((noinline, unused)) void
tg_dw3_gather(const int8_t *src, int32_t channels, int32_t in_w, int32_t pad_left, int32_t row_words,
              int32_t offset2, int32_t *dst)
{
    const int32_t first = (pad_left + 1) / 2;
    const int32_t inside = (in_w + pad_left) / 2 < row_words ? (in_w + pad_left) / 2 : row_words;
    int32_t k;
    for (k = 0; k < first && k < row_words; ++k) {
        tg_dw3_gather_edge(src, channels, in_w, 2 * k - pad_left, offset2, dst + k * channels);
    }
    if (inside > k) {
        tg_dw3_gather_inside(src + (2 * k - pad_left) * channels, channels, inside - k, offset2,
                             dst + k * channels);
        k = inside;
    }
    for (; k < row_words; ++k) {
        tg_dw3_gather_edge(src, channels, in_w, 2 * k - pad_left, offset2, dst + k * channels);
    }
}

/* count output bytes clamped to [act_min, act_max], 4 at a time with SIMD (SSUB8 sets a
   GE flag per byte, SEL picks by them). */
static void tg_dw3_clamp(int8_t *out, int32_t count, int32_t lo, int32_t hi)
{
    int32_t i;
    for (i = 0; i + 4 <= count; i += 4) {
        uint32_t v = (uint32_t)tg_dsp_load_s8x4(out + i);
        (void)__ssub8((int8x4_t)v, (int8x4_t)lo);
        v = __sel((uint8x4_t)v, (uint8x4_t)lo);
        (void)__ssub8((int8x4_t)hi, (int8x4_t)v);
        v = __sel((uint8x4_t)v, (uint8x4_t)hi);
        memcpy(out + i, &v, sizeof v);
    }
    for (; i < count; ++i) {
        out[i] = (int8_t)(out[i] < (lo >> 24) ? lo >> 24 : out[i] > (hi >> 24) ? hi >> 24 : out[i]);
    }
}

/*
 * Input row src widened into ring row dst (row_words column pairs of out_c words; words
 * with no input column left as they are): tg_dw3_gather for depth multiplier 1, or
 * tg_depthwise_conv2d_3x3_dm_s8_dsp's, which repeats each input channel's word
 * depth_multiplier times (output channel oc reads input channel oc / depth_multiplier).
 */
typedef void (*tg_dw3_gather_fn)(const tg_conv2d_params_t *p, const int8_t *src, int32_t row_words,
                                 int32_t offset2, int32_t *dst);

static inline void tg_dw3_gather_dm1(const tg_conv2d_params_t *p, const int8_t *src, int32_t row_words,
                                     int32_t offset2, int32_t *dst)
{
    tg_dw3_gather(src, p->in_c, p->in_w, p->pad_left, row_words, offset2, dst);
}

/*
 * The 3x3 path. rec: the records (after the packed header word), one per output channel.
 * Scratch: a ring of 3 widened rows (input row r in ring row r mod 3; padding rows and
 * columns zero), one word per output channel and column pair, filled by gather. Output
 * rows in increasing order; per output row, the input rows its windows need that are not
 * yet in the ring are read (all channels) first, then the row's outputs are computed and
 * written.
 */
/* The ring's column pairs wholly in the padding, zeroed once (gather never writes them). */
static inline __attribute__((always_inline)) void
tg_dw3_ring_init(const tg_conv2d_params_t *p, int32_t *ring, int32_t row_step)
{
    const int32_t channels = p->out_c;
    int32_t r;
    for (r = 0; r < 3 * row_step; r += channels) {
        const int32_t j = 2 * (r % row_step / channels) - p->pad_left;
        if (j + 1 < 0 || j >= p->in_w) {
            memset(ring + r, 0, (size_t)channels * sizeof *ring);
        }
    }
}

/* Output row out_y's input rows put in the ring: those its windows need that are not yet
   there (*next_row: the first input row not yet in the ring) read, all channels, padding
   rows zero. Returns the input row of its kernel row 0 (top; ring row (top + 3) % 3). */
static inline __attribute__((always_inline)) int32_t
tg_dw3_ring_advance(const tg_conv2d_params_t *p, const int8_t *input, int32_t *ring, int32_t row_step,
                    int32_t out_y, int32_t offset2, int32_t *next_row, tg_dw3_gather_fn gather)
{
    const int32_t top = out_y * p->stride_h - p->pad_top;
    int32_t r;
    for (r = *next_row > top ? *next_row : top; r < top + 3; ++r) {
        int32_t *const row = ring + (r + 3) % 3 * row_step;
        if (r >= 0 && r < p->in_h) {
            gather(p, input + r * p->in_w * p->in_c, row_step / p->out_c, offset2, row);
        } else {
            memset(row, 0, (size_t)row_step * sizeof *row);
        }
    }
    *next_row = top + 3;
    return top;
}

static inline void tg_dw3_run_with(const tg_conv2d_params_t *p, const int8_t *input, const int32_t *rec,
                                   int8_t *scratch, int8_t *output, tg_dw3_gather_fn gather)
{
    const int32_t channels = p->out_c, out_w = p->out_w;
    const int32_t offset2 = (int32_t)(((uint32_t)p->input_offset & 0xFFFFu) * 0x00010001u);
    const int32_t act_min4 = (int32_t)((uint32_t)(p->act_min & 0xFF) * 0x01010101u);
    const int32_t act_max4 = (int32_t)((uint32_t)(p->act_max & 0xFF) * 0x01010101u);
    const int32_t row_step = tg_dw3_row_words(p) * channels;   /* words per ring row */
    const int32_t k = 1 + 2 * p->output_offset;                /* R = k << (n - 1) */
    int32_t *const ring = (int32_t *)(void *)scratch;
    int32_t out_y, next_row = -p->pad_top;      /* the first input row not yet in the ring */

    tg_dw3_ring_init(p, ring, row_step);
    for (out_y = 0; out_y < p->out_h; ++out_y) {
        const int32_t top = tg_dw3_ring_advance(p, input, ring, row_step, out_y, offset2, &next_row, gather);
        int8_t *const out_row = output + out_y * out_w * channels;
        tg_dw3_row_any(rec, ring + (top + 3) % 3 * row_step, ring + (top + 4) % 3 * row_step,
                       ring + (top + 5) % 3 * row_step, channels, out_w, p->stride_w, k, out_row);
        if (act_min4 != (int32_t)0x80808080u || act_max4 != 0x7F7F7F7F) {
            tg_dw3_clamp(out_row, out_w * channels, act_min4, act_max4);
        }
    }
}

/* The 3x3 path with depth multiplier 1. */
static inline void tg_dw3_run(const tg_conv2d_params_t *p, const int8_t *input, const int32_t *rec, int8_t *scratch,
                              int8_t *output)
{
    tg_dw3_run_with(p, input, rec, scratch, output, tg_dw3_gather_dm1);
}

#endif /* TG_DEPTHWISE_CONV2D_3X3_S8_DSP_H */
