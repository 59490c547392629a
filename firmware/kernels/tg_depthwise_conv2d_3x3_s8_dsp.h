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

/* ------------------------------------------------------------------------ */
/* 3x3 windows, dilation 1, stride_w 1 or 2: widened column pairs, SMLAD    */
/* ------------------------------------------------------------------------ */

/*
 * The 3x3 path's per-channel records, packed at build time after a header word
 * (tinygen/kernels/depthwise_dsp.py, depthwise_dsp_records) and walked by one pointer,
 * 8 words with the weights doubled, as int16 halves (lo | hi << 16):
 *   0: the doubled bias        1: w[0][0] | w[0][1]     2: w[0][2] | w[1][2]
 *   3: w[1][0] | w[1][1]       4: w[2][0] | w[2][1]     5: n | w[2][2]
 *   6: the multiplier          7: R = (1 + 2 * output_offset) << (n - 1)
 * (n = -shift; see TG_DW3_REQUANT). Per kernel row one LDRD takes its column pair's
 * weights (one SMLAD against a column pair) and the word holding w[r][2], which the
 * halfword multiplies read from the bottom (row 0) or the top half (rows 1, 2): row 1's
 * LDRD loads words 2, 3 into w1, w0. ASR by register reads only the bottom byte, so n
 * shares word 5. The header word is the channel count where the layer's shape and
 * constants let the 3x3 path serve it, 0 otherwise.
 */
#define TG_DW3_RECORD_WORDS 8

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
 * directly (PKHTB likewise for channels 2, 3).
 */
static inline __attribute__((always_inline)) int32_t
tg_dw3_gather_pair(const int8_t *x, int32_t channels, int32_t offset2, int32_t zero_point4, int32_t lo,
                   int32_t hi, int32_t *d)
{
    int32_t c;
#pragma GCC unroll 2
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
 * Input row src (channel 0 of its first pixel) widened with the input offset into a
 * ring row: word k * channels + c holds channel c at padded columns 2k and 2k + 1.
 * Words with no input column are left as they are (zero).
 */
static __attribute__((noinline, unused)) void
tg_dw3_gather(const int8_t *src, int32_t channels, int32_t in_w, int32_t pad_left, int32_t row_words,
              int32_t offset2, int32_t *dst)
{
    const int32_t offset = (int16_t)offset2;
    const int32_t zero_point4 = (int32_t)((uint32_t)(-offset & 0xFF) * 0x01010101u);
    int32_t k;
    for (k = 0; k < row_words; ++k) {
        const int32_t j = 2 * k - pad_left;        /* the input column of the pair's first half */
        const int8_t *const x = src + j * channels;
        int32_t *const d = dst + k * channels;
        int32_t c;
        if (j >= 0 && j + 1 < in_w) {
            c = tg_dw3_gather_pair(x, channels, offset2, zero_point4, 1, 1, d);
        } else if (j + 1 == 0) {
            c = tg_dw3_gather_pair(x, channels, offset2, zero_point4, 0, 1, d);
        } else if (j + 1 == in_w) {
            c = tg_dw3_gather_pair(x, channels, offset2, zero_point4, 1, 0, d);
        } else {
            continue;
        }
        for (; c < channels; ++c) {     /* the channels after the last block of 4 */
            const int32_t lo = j >= 0 ? x[c] + offset : 0;
            const int32_t hi = j + 1 < in_w ? x[channels + c] + offset : 0;
            d[c] = tg_dw3_pack(lo, hi);
        }
    }
}

/*
 * The requantization, in the loops below: tg_dw_requant_small (tg_depthwise_conv2d_s8_dsp.c)
 * with the output offset folded in, 4 instructions per output. With x = SMMULR(acc2, multiplier) (|x| < 2^30)
 * and n = -shift, tg_dw_requant_small is
 *   SSAT8(floor((floor((x - [x < 0]) / 2^(n-1)) + 1 + 2 * output_offset) / 2))
 *   = SSAT8(floor((x - [x < 0] + R) / 2^n)),   R = (1 + 2 * output_offset) * 2^(n-1)
 * (nested floors of divisions by powers of two combine, and R is a multiple of
 * 2^(n-1)). SMMLAR(acc2, multiplier, R) gives x + R in one instruction. [x < 0] may be
 * replaced by [acc2 < 0] (the multiplier is >= 0, so x has acc2's sign or is 0, and
 * for x == 0 both give the output offset as R / 2^(n-1) is odd). The records are
 * packed only where the sum stays inside int32 (depthwise_dsp.py checks
 * |x| + |R| + 1 < 2^31 per channel). Then ASR by n and SSAT.
 *
 * Registers of the loops: rec walks the records (post-incremented by the first load,
 * the rest addressed below it), a, b, c the ring rows of kernel rows 0..2 (one word
 * per channel, post-incremented), n the channel count (the next column pair is
 * n words on, the step's second output pixel n bytes on), out the output (post-
 * incremented). s0, s1 are the sums, x0, x1 column pairs, w0, w1 record words.
 */
#define TG_DW3_REQUANT(dst, sum)                           \
    "smmlar %[" #dst "], %[" #sum "], %[w0], %[x0]\n\t"   \
    "add    %[" #dst "], %[" #dst "], %[" #sum "], asr #31\n\t" \
    "asr    %[" #dst "], %[" #dst "], %[w1]\n\t"           \
    "ssat   %[" #dst "], #8, %[" #dst "]\n\t"

#define TG_DW3_OPERANDS                                                                          \
    : [rec] "+r"(rec), [a] "+r"(a), [b] "+r"(b), [c] "+r"(c), [out] "+r"(out), [s0] "=&r"(s0), \
      [s1] "=&r"(s1), [x0] "=&r"(x0), [x1] "=&r"(x1), [w0] "=&r"(w0), [w1] "=&r"(w1)            \
    : [n] "r"(channels), [end] "r"(rec_end)                                                      \
    : "memory", "cc"

/* Bytes from one record to the next, as the loops' immediates: the row macros address a
   record's words below rec, which the record's first load has moved TG_DW3_STEP bytes on.
   tg_depthwise_conv2d_3x3_gated_s8_dsp.h redefines it for its longer records after including
   this header (a macro expands where it is used). */
#define TG_DW3_STEP "32"

/* The weights of kernel row 0, 1 or 2 (record words 1, 2; 3, 2; 4, 5; rec one record on),
   and the half of w1 holding w[r][2] (b or t, the last letter of a halfword multiply). */
#define TG_DW3_LOAD_0 "ldrd   %[w0], %[w1], [%[rec], #4-" TG_DW3_STEP "]\n\t"
#define TG_DW3_LOAD_1 "ldrd   %[w1], %[w0], [%[rec], #8-" TG_DW3_STEP "]\n\t"
#define TG_DW3_LOAD_2 "ldrd   %[w0], %[w1], [%[rec], #16-" TG_DW3_STEP "]\n\t"
#define TG_DW3_HALF_0 "b"
#define TG_DW3_HALF_1 "t"
#define TG_DW3_HALF_2 "t"

/* Kernel row k at pointer r, stride 1: output 0 takes columns 0, 1 (SMLAD) and 2; output 1
   columns 1, 2, 3 (three halfword products). s1in is s1, or s0 (the bias) in the first row. */
#define TG_DW3_ROW_S1(r, k, s1in)                              \
    TG_DW3_LOAD_##k                                            \
    "ldr    %[x1], [%[" #r "], %[n], lsl #2]\n\t"              \
    "ldr    %[x0], [%[" #r "]], #4\n\t"                        \
    "smlatb %[s1], %[x0], %[w0], %[" #s1in "]\n\t"             \
    "smlad  %[s0], %[x0], %[w0], %[s0]\n\t"                    \
    "smlab" TG_DW3_HALF_##k " %[s0], %[x1], %[w1], %[s0]\n\t"  \
    "smlabt %[s1], %[x1], %[w0], %[s1]\n\t"                    \
    "smlat" TG_DW3_HALF_##k " %[s1], %[x1], %[w1], %[s1]\n\t"

/* Kernel row, stride 2: output 0 takes columns 0, 1 and 2; output 1 columns 2, 3 and 4. */
#define TG_DW3_ROW_S2(r, k, s1in)                              \
    TG_DW3_LOAD_##k                                            \
    "ldr    %[x1], [%[" #r "], %[n], lsl #2]\n\t"              \
    "ldr    %[x0], [%[" #r "], %[n], lsl #3]\n\t"              \
    "smlad  %[s1], %[x1], %[w0], %[" #s1in "]\n\t"             \
    "smlab" TG_DW3_HALF_##k " %[s0], %[x1], %[w1], %[s0]\n\t"  \
    "smlab" TG_DW3_HALF_##k " %[s1], %[x0], %[w1], %[s1]\n\t"  \
    "ldr    %[x0], [%[" #r "]], #4\n\t"                        \
    "smlad  %[s0], %[x0], %[w0], %[s0]\n\t"

/* Kernel row, one output: columns 0, 1 and 2. */
#define TG_DW3_ROW_1(r, k)                                     \
    TG_DW3_LOAD_##k                                            \
    "ldr    %[x1], [%[" #r "], %[n], lsl #2]\n\t"              \
    "ldr    %[x0], [%[" #r "]], #4\n\t"                        \
    "smlad  %[s0], %[x0], %[w0], %[s0]\n\t"                    \
    "smlab" TG_DW3_HALF_##k " %[s0], %[x1], %[w1], %[s0]\n\t"

/* The requantization constants of the record just walked past (words 5, 6, 7 below rec). */
#define TG_DW3_CONSTANTS                                       \
    "ldr    %[w1], [%[rec], #20-" TG_DW3_STEP "]\n\t"          \
    "ldrd   %[w0], %[x0], [%[rec], #24-" TG_DW3_STEP "]\n\t"

/* A record's first load: the bias into s0, rec on to the next record. */
#define TG_DW3_FIRST "ldr    %[s0], [%[rec]], #" TG_DW3_STEP "\n\t"

/* Both outputs requantized and stored, out on to the next channel. */
#define TG_DW3_PAIR_OUT                                        \
    TG_DW3_CONSTANTS                                           \
    TG_DW3_REQUANT(x1, s0)                                     \
    TG_DW3_REQUANT(s0, s1)                                     \
    "strb   %[s0], [%[out], %[n]]\n\t"                         \
    "strb   %[x1], [%[out]], #1\n\t"

#define TG_DW3_STORE2                                          \
    TG_DW3_PAIR_OUT                                            \
    "cmp    %[rec], %[end]\n\t"                                \
    "bne    1b\n\t"

/*
 * Two adjacent output pixels of a row, every channel (stride 1 or 2), written to out
 * (the first pixel's channel 0); a, b, c at the first window's column pair.
 */
static inline __attribute__((always_inline)) void
tg_dw3_pairs(const int32_t *rec, const int32_t *rec_end, const int32_t *a, const int32_t *b, const int32_t *c,
             int32_t channels, int32_t stride, int8_t *out)
{
    int32_t s0, s1, x0, x1, w0, w1;
    if (stride == 1) {
        __asm__ volatile(
            "1:\n\t"
            TG_DW3_FIRST
            TG_DW3_ROW_S1(a, 0, s0)
            TG_DW3_ROW_S1(b, 1, s1)
            TG_DW3_ROW_S1(c, 2, s1)
            TG_DW3_STORE2
            TG_DW3_OPERANDS);
    } else {
        __asm__ volatile(
            "1:\n\t"
            TG_DW3_FIRST
            TG_DW3_ROW_S2(a, 0, s0)
            TG_DW3_ROW_S2(b, 1, s1)
            TG_DW3_ROW_S2(c, 2, s1)
            TG_DW3_STORE2
            TG_DW3_OPERANDS);
    }
}

/* Kernel row, stride 1, four outputs: columns 0..5 as three column pairs (p23 and p45
   first, from the row's pointer before p01's post-increment). s0in is s0 or, in the
   first row, s0 for all four sums (the bias, before s0 takes its first product). */
#define TG_DW3_ROW_Q(r, k, s1in, s2in, s3in)                   \
    TG_DW3_LOAD_##k                                            \
    "ldr    %[x1], [%[" #r "], %[n], lsl #2]\n\t"              \
    "ldr    %[x0], [%[" #r "], %[n], lsl #3]\n\t"              \
    "smlad  %[s2], %[x1], %[w0], %[" #s2in "]\n\t"             \
    "smlatb %[s3], %[x1], %[w0], %[" #s3in "]\n\t"             \
    "smlabt %[s1], %[x1], %[w0], %[" #s1in "]\n\t"             \
    "smlab" TG_DW3_HALF_##k " %[s2], %[x0], %[w1], %[s2]\n\t"  \
    "smlabt %[s3], %[x0], %[w0], %[s3]\n\t"                    \
    "smlat" TG_DW3_HALF_##k " %[s3], %[x0], %[w1], %[s3]\n\t"  \
    "smlat" TG_DW3_HALF_##k " %[s1], %[x1], %[w1], %[s1]\n\t"  \
    "smlab" TG_DW3_HALF_##k " %[s0], %[x1], %[w1], %[s0]\n\t"  \
    "ldr    %[x0], [%[" #r "]], #4\n\t"                        \
    "smlad  %[s0], %[x0], %[w0], %[s0]\n\t"                    \
    "smlatb %[s1], %[x0], %[w0], %[s1]\n\t"

/* A record's four sums over the window (bias included). */
#define TG_DW3_QUAD_SUMS                                       \
    TG_DW3_FIRST                                               \
    TG_DW3_ROW_Q(a, 0, s0, s0, s0)                             \
    TG_DW3_ROW_Q(b, 1, s1, s2, s3)                             \
    TG_DW3_ROW_Q(c, 2, s1, s2, s3)

/* The four outputs requantized and stored, out on to the next channel. */
#define TG_DW3_QUAD_OUT                                        \
    TG_DW3_CONSTANTS                                           \
    TG_DW3_REQUANT(x1, s0)                                     \
    TG_DW3_REQUANT(s0, s1)                                     \
    TG_DW3_REQUANT(s1, s2)                                     \
    TG_DW3_REQUANT(s2, s3)                                     \
    "strb   %[s0], [%[out], %[n]]\n\t"                         \
    "strb   %[s1], [%[out], %[n], lsl #1]\n\t"                 \
    "add    %[s3], %[out], %[n], lsl #1\n\t"                   \
    "strb   %[s2], [%[s3], %[n]]\n\t"                          \
    "strb   %[x1], [%[out]], #1\n\t"

#define TG_DW3_QUAD_OPERANDS                                                                      \
    : [rec] "+r"(rec), [a] "+r"(a), [b] "+r"(b), [c] "+r"(c), [out] "+r"(out), [s0] "=&r"(s0),  \
      [s1] "=&r"(s1), [s2] "=&r"(s2), [s3] "=&r"(s3), [x0] "=&r"(x0), [x1] "=&r"(x1), [w0] "=&r"(w0), \
      [w1] "=&r"(w1)                                                                              \
    : [n] "r"(channels), [end] "m"(rec_end)                                                       \
    : "memory", "cc"

/*
 * Four adjacent output pixels of a stride-1 row, every channel: 69 instructions per
 * channel for 36 MACs. The loop end lives in memory: all 14 registers are taken.
 */
static inline __attribute__((always_inline)) void
tg_dw3_quads(const int32_t *rec, const int32_t *rec_end, const int32_t *a, const int32_t *b, const int32_t *c,
             int32_t channels, int8_t *out)
{
    int32_t s0, s1, s2, s3, x0, x1, w0, w1;
    __asm__ volatile(
        "1:\n\t"
        TG_DW3_QUAD_SUMS
        TG_DW3_QUAD_OUT
        "ldr    %[x0], %[end]\n\t"
        "cmp    %[rec], %[x0]\n\t"
        "bne    1b\n\t"
        TG_DW3_QUAD_OPERANDS);
}

/* One output pixel, every channel (the last of an odd row). */
static __attribute__((unused)) void
tg_dw3_single(const int32_t *rec, const int32_t *rec_end, const int32_t *a, const int32_t *b, const int32_t *c,
              int32_t channels, int8_t *out)
{
    int32_t s0, s1, x0, x1, w0, w1;
    __asm__ volatile(
        "1:\n\t"
        TG_DW3_FIRST
        TG_DW3_ROW_1(a, 0)
        TG_DW3_ROW_1(b, 1)
        TG_DW3_ROW_1(c, 2)
        TG_DW3_CONSTANTS
        TG_DW3_REQUANT(x1, s0)
        "strb   %[x1], [%[out]], #1\n\t"
        "cmp    %[rec], %[end]\n\t"
        "bne    1b\n\t"
        TG_DW3_OPERANDS);
    (void)s1;
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

/* One output row, all channels, from the ring rows of kernel rows 0..2 (a, b, c: word 0
   is channel 0's pair of columns 0, 1): two output pixels per step, then an odd last one.
   stride is a constant where inlined. */
static inline __attribute__((always_inline)) void
tg_dw3_row(const int32_t *rec, const int32_t *a, const int32_t *b, const int32_t *c, int32_t channels,
           int32_t out_w, int32_t stride, int8_t *out)
{
    const int32_t *const rec_end = rec + channels * TG_DW3_RECORD_WORDS;
    const int32_t step = stride * channels;     /* words between the column pairs of two steps */
    int32_t x = 0;
    if (stride == 1) {
        for (; x + 4 <= out_w; x += 4, a += 2 * channels, b += 2 * channels, c += 2 * channels,
             out += 4 * channels) {
            tg_dw3_quads(rec, rec_end, a, b, c, channels, out);
        }
    }
    for (; x + 2 <= out_w; x += 2, a += step, b += step, c += step, out += 2 * channels) {
        tg_dw3_pairs(rec, rec_end, a, b, c, channels, stride, out);
    }
    if (x < out_w) {
        tg_dw3_single(rec, rec_end, a, b, c, channels, out);
    }
}

/* tg_dw3_row for stride_w 1 or 2. */
static __attribute__((noinline, unused)) void
tg_dw3_row_any(const int32_t *rec, const int32_t *a, const int32_t *b, const int32_t *c, int32_t channels,
               int32_t out_w, int32_t stride, int8_t *out)
{
    if (stride == 1) {
        tg_dw3_row(rec, a, b, c, channels, out_w, 1, out);
    } else {
        tg_dw3_row(rec, a, b, c, channels, out_w, 2, out);
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
    int32_t *const ring = (int32_t *)(void *)scratch;
    int32_t out_y, next_row = -p->pad_top;      /* the first input row not yet in the ring */

    tg_dw3_ring_init(p, ring, row_step);
    for (out_y = 0; out_y < p->out_h; ++out_y) {
        const int32_t top = tg_dw3_ring_advance(p, input, ring, row_step, out_y, offset2, &next_row, gather);
        int8_t *const out_row = output + out_y * out_w * channels;
        tg_dw3_row_any(rec, ring + (top + 3) % 3 * row_step, ring + (top + 4) % 3 * row_step,
                       ring + (top + 5) % 3 * row_step, channels, out_w, p->stride_w, out_row);
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
