/*
 * The body of tg_conv2d_slide_pair_s8_dsp and tg_conv2d_add_slide_pair_s8_dsp: a 3x3 stride-1 convolution
 * (padding 1, the output the input's size) whose input rows are widened once each, into a ring of 3 rows,
 * instead of every block's windows (tg_conv2d_rows4_w16_s8_dsp.h widens each input value once per window
 * that holds it: 9 times for a 3x3 layer).
 *
 * The ring: per row, per plane j = 2 m + eo (channels 4m..4m+3 of each pixel widened doubled with the input
 * offset added, tg_widen_doubled_s8x4: eo 0 the (c0, c2) pairs, eo 1 the (c1, c3) pairs), the row's pixels'
 * words side by side, a zero word each side (the padding columns: the zero point widens to 0), in_w + 2
 * words a plane. Rows outside the input are zero. Input row iy sits in ring row k = (iy + 1) % 3 and, where k is
 * 0 or 1, in row k + 3 too (5 rows), so that output row oy's 3 input rows are ring rows oy % 3 .. oy % 3 + 2 side
 * by side: a block walks its 3 kernel rows' planes at one stride, in one loop.
 *
 * A block: 2 output pixels of one row (out_w even) x one channel pair. Per kernel row ky and plane j one LDM
 * of the 4 words at the block's columns (pixel 0 at tap kx reads word kx, pixel 1 word kx + 1), one LDM of
 * the 3 weight words of the taps kx = 0..2 (the row-pair halfwords h = 256 b + a, tinygen's
 * tinygen.kernels.slide_dsp.slide_pair_weights: per pair, per ky, per plane, per kx), and per tap 2 SMLAD
 * with H (256 S_B + S_A), an SXTB16 of H in place (channel A's weights) and 2 SMLAD with them: 18
 * instructions and 2 loads per 24 multiply-accumulates. S_B = (acc_H - S_A) >> 8 exact where
 * tinygen.kernels.rows4_dsp.pair_exact holds; each output requantized as tg_pair3_loop_dsp.h's.
 * Where each word is loaded by its own LDR (TG_SLIDE_LDR: the Cortex-M7 and M33) and in_c >= 8, a row's
 * blocks are 3 pixels (tg_slide3_block_dsp.h: 8 loads per 36 multiply-accumulates), all but the last 2 or 4
 * pixels where out_w is not a multiple of 3 (tg_slide3_pixels), which take 2-pixel blocks.
 *
 * Loop order: output row oy is written after input row oy + 1 is widened, and input row oy + 1 is read
 * nowhere else: the output may not take its input's place (the planner never places it there), but it may
 * take the skip's (the fused add reads skip byte p just before writing output byte p).
 *
 * Scratch, 8-byte aligned: the ring (5 rows x in_c / 2 planes x (in_w + 2) words), the records (16 bytes a
 * channel); with the add, one output row of conv bytes and the add's tables (512 int32).
 *
 * Needs __ARM_FEATURE_DSP (-mcpu=cortex-m4 / cortex-m33 / cortex-m7).
 */
#ifndef TG_CONV2D_SLIDE_PAIR_S8_DSP_H
#define TG_CONV2D_SLIDE_PAIR_S8_DSP_H

#include <stdint.h>

#include "tg_conv2d_rows4_w16_s8_dsp.h"
#include "tg_slide3_block_dsp.h"

/* Whether a layer takes the slide: tg_rows4_on, and a 3x3 stride-1 dilation-1 kernel, padding 1 on top and
   left with the output the input's size, in_c a multiple of 4, an even output width, and the 3 kernel rows'
   planes (6 in_c (in_w + 2) bytes) within an ADDW's immediate (the block's loop end). */
static inline __attribute__((always_inline)) int32_t tg_slide_on(const tg_conv2d_params_t *p,
                                                                 const tg_mat_mult_quant_t *q)
{
    return tg_rows4_on(q, p->out_h * p->out_w, p->kernel_h * p->kernel_w * p->in_c, p->out_c) &&
           __builtin_constant_p(p->in_c) && __builtin_constant_p(p->in_w) && p->kernel_h == 3 &&
           p->kernel_w == 3 && p->stride_h == 1 && p->stride_w == 1 && p->dilation_h == 1 && p->dilation_w == 1 &&
           p->pad_top == 1 && p->pad_left == 1 && p->out_h == p->in_h && p->out_w == p->in_w &&
           p->in_c % 4 == 0 && p->out_w % 2 == 0 && 6 * p->in_c * (p->in_w + 2) < 4096;
}

/* Ring words a row: in_c / 2 planes of in_w + 2 words. */
static inline int32_t tg_slide_row_words(int32_t in_w, int32_t in_c)
{
    return (in_c / 2) * (in_w + 2);
}

/* Scratch bytes: the ring, the records; with the add one row of conv bytes and the tables. */
static inline int32_t tg_conv2d_slide_pair_s8_dsp_buffer_size(int32_t in_w, int32_t in_c, int32_t out_c, int32_t add)
{
    return 5 * 4 * tg_slide_row_words(in_w, in_c) + 16 * out_c +
           (add ? ((in_w * out_c + 7) & ~7) + 512 * (int32_t)sizeof(int32_t) : 0);
}

/* Input row iy widened into a ring row and its copy `copy` words on (3 rows; 0 where the row has no copy: each
   word stored twice in place), their padding words left as they are: zero. */
static inline __attribute__((always_inline)) void tg_slide_widen_row(const tg_conv2d_params_t *p,
                                                                    const int8_t *input, int32_t iy, int32_t *row,
                                                                    int32_t copy)
{
    const int32_t cols = p->in_w + 2, groups = p->in_c / 4;
    const int8_t *src = input + iy * p->in_w * p->in_c;
    int32_t x, m;
#pragma GCC unroll 1
    for (x = 0; x < p->in_w; ++x, src += p->in_c) {
        int32_t *d = row + x + 1;
        for (m = 0; m < groups; ++m, d += 2 * cols) {
            int32_t e, o;
            tg_widen_doubled_s8x4(tg_dsp_load_s8x4(src + 4 * m), p->input_offset, &e, &o);
            d[0] = e;
            d[cols] = o;
            d[copy] = e;
            d[copy + cols] = o;
        }
    }
}

static inline void tg_slide_zero(int32_t *w, int32_t n)
{
    int32_t k;
#pragma GCC unroll 1
    for (k = 0; k < n; ++k) {
        w[k] = 0;
    }
}

/* One (ky, plane): the 4 words at %[x], x stepped a plane on, the 3 taps' weight words, 12 SMLAD. */
#define TG_SLIDE_TAP(xa, xb, h)                                       \
    "smlad  %[h0p], %[" xa "], %[" h "], %[h0p]\n\t"                  \
    "smlad  %[h1p], %[" xb "], %[" h "], %[h1p]\n\t"                  \
    "sxtb16 %[" h "], %[" h "]\n\t"                                   \
    "smlad  %[a0p], %[" xa "], %[" h "], %[a0p]\n\t"                  \
    "smlad  %[a1p], %[" xb "], %[" h "], %[a1p]\n\t"
#define TG_SLIDE_GROUP                                                \
    "ldm    %[x], {%[x0], %[x1], %[x2], %[x3]}\n\t"                   \
    "add    %[x], %[x], #%c[stride]\n\t"                              \
    "ldm    %[w]!, {%[w0], %[w1], %[w2]}\n\t"                         \
    TG_SLIDE_TAP("x0", "x1", "w0")                                    \
    TG_SLIDE_TAP("x1", "x2", "w1")                                    \
    TG_SLIDE_TAP("x2", "x3", "w2")

/*
 * Where TG_SLIDE_LDR: each word by its own LDR, software pipelined. A group enters with its words x0, x1 and
 * its weight words w0, w1 loaded; its taps load its x2, x3 and w2 (tap 0: each freed by the previous group's
 * tap 2), then the next group's x0 and w0 (tap 1: freed by tap 0) and x1 and w1 (tap 2), x moving on a plane
 * and w a group. Each load and SXTB16 sits beside an SMLAD, and none is read by the next instruction: on
 * the Cortex-M7 every one issues with an SMLAD (12 cycles a group by tinygen.cycles.cortex_m7), on the M33
 * it takes a cycle and stalls nothing. NEXT: the slot after tap 2's last SMLAD (the loop's compare). The
 * last group (TG_SLIDE_LAST) loads nothing of a next one and moves w past its weights. TG_SLIDE_TAP0_LOADS: tap 0,
 * loading the group's x2, x3 and w2, the start of both.
 */
#define TG_SLIDE_TAP0_LOADS                                           \
    "smlad  %[h0p], %[x0], %[w0], %[h0p]\n\t"                          \
    "ldr    %[x2], [%[x], #8]\n\t"                                    \
    "smlad  %[h1p], %[x1], %[w0], %[h1p]\n\t"                          \
    "sxtb16 %[w0], %[w0]\n\t"                                         \
    "smlad  %[a0p], %[x0], %[w0], %[a0p]\n\t"                          \
    "ldr    %[x3], [%[x], #12]\n\t"                                   \
    "smlad  %[a1p], %[x1], %[w0], %[a1p]\n\t"                          \
    "ldr    %[w2], [%[w], #8]\n\t"
#define TG_SLIDE_PIPE(NEXT)                                           \
    TG_SLIDE_TAP0_LOADS                                               \
    "smlad  %[h0p], %[x1], %[w1], %[h0p]\n\t"                          \
    "ldr    %[x0], [%[x], #%c[stride]]\n\t"                           \
    "smlad  %[h1p], %[x2], %[w1], %[h1p]\n\t"                          \
    "sxtb16 %[w1], %[w1]\n\t"                                         \
    "smlad  %[a0p], %[x1], %[w1], %[a0p]\n\t"                          \
    "ldr    %[w0], [%[w], #12]!\n\t"                                  \
    "smlad  %[a1p], %[x2], %[w1], %[a1p]\n\t"                          \
    "add    %[x], %[x], #%c[stride]\n\t"                              \
    "smlad  %[h0p], %[x2], %[w2], %[h0p]\n\t"                          \
    "ldr    %[x1], [%[x], #4]\n\t"                                    \
    "smlad  %[h1p], %[x3], %[w2], %[h1p]\n\t"                          \
    "sxtb16 %[w2], %[w2]\n\t"                                         \
    "smlad  %[a0p], %[x2], %[w2], %[a0p]\n\t"                          \
    "ldr    %[w1], [%[w], #4]\n\t"                                    \
    "smlad  %[a1p], %[x3], %[w2], %[a1p]\n\t"                          \
    NEXT
#define TG_SLIDE_LAST                                                 \
    TG_SLIDE_TAP0_LOADS                                               \
    "smlad  %[h0p], %[x1], %[w1], %[h0p]\n\t"                          \
    "add    %[w], %[w], #12\n\t"                                      \
    "smlad  %[h1p], %[x2], %[w1], %[h1p]\n\t"                          \
    "sxtb16 %[w1], %[w1]\n\t"                                         \
    "smlad  %[a0p], %[x1], %[w1], %[a0p]\n\t"                          \
    "smlad  %[a1p], %[x2], %[w1], %[a1p]\n\t"                          \
    TG_SLIDE_TAP("x2", "x3", "w2")

/* The groups' loads: by LDR, software pipelined (TG_SLIDE_PIPE), on the Cortex-M7 (TG_DUAL_ISSUE: each load issues
   beside an SMLAD, where an LDM issues alone) and the M33 (an LDR a cycle, an LDM 1 + N); by LDM (TG_SLIDE_GROUP)
   on the Cortex-M4, whose LDR takes 2 cycles and its LDM 1 + N. */
#ifndef TG_SLIDE_LDR
#if (defined(TG_DUAL_ISSUE) && TG_DUAL_ISSUE) || defined(__ARM_ARCH_8M_MAIN__)
#define TG_SLIDE_LDR 1
#else
#define TG_SLIDE_LDR 0
#endif
#endif

#if TG_SLIDE_LDR
/* A pair's groups: the first group's x0, x1, w0, w1 loaded, the loop over chunks of `unroll` groups up to
   the last chunk (e: its first group's words), then the last chunk, its last group TG_SLIDE_LAST. */
#define TG_SLIDE_GROUPS                                               \
    "add    %[e], %[x], #%c[loopbytes]\n\t"                            \
    "ldr    %[x0], [%[x]]\n\t"                                        \
    "ldr    %[w0], [%[w]]\n\t"                                        \
    "ldr    %[x1], [%[x], #4]\n\t"                                    \
    "ldr    %[w1], [%[w], #4]\n\t"                                    \
    "2:\n\t"                                                         \
    ".rept  %c[unroll] - 1\n\t" TG_SLIDE_PIPE("") ".endr\n\t"         \
    TG_SLIDE_PIPE("cmp    %[x], %[e]\n\t")                             \
    "bne    2b\n\t"                                                   \
    ".rept  %c[unroll] - 1\n\t" TG_SLIDE_PIPE("") ".endr\n\t"         \
    TG_SLIDE_LAST
#else
#define TG_SLIDE_GROUPS                                               \
    "add    %[e], %[x], #%c[rowbytes]\n\t"                             \
    "2:\n\t"                                                         \
    ".rept  %c[unroll]\n\t" TG_SLIDE_GROUP ".endr\n\t"                \
    "cmp    %[x], %[e]\n\t"                                           \
    "bne    2b\n\t"
#endif


/* One output: TG_SLIDE_OUT (tg_slide3_block_dsp.h). */

/*
 * The channel pairs of one 2-pixel block: rows the ring's 3 rows of kernel rows 0..2 at the block's first
 * column (a plane stride bytes apart, the 3 rows' planes in order); weights: the packed pairs; rec: the records (tg_pairs_records_of); op: pixel 0's outputs, pixel 1's
 * gap bytes on.
 */
static inline __attribute__((always_inline)) void tg_slide_block_asm(const int32_t *rows, int32_t planes, int32_t stride,
                                                                    const int16_t *weights, const int32_t *rec,
                                                                    int8_t *op, int32_t gap, int32_t lo, int32_t hi,
                                                                    int32_t ub, int32_t pos)
{
    const int32_t *recm = rec;
    int8_t *opm = op;
    const int16_t *wr = weights;
    const int32_t *xr, *er;
    register int32_t x0 __asm__("r0");
    register int32_t x1 __asm__("r1");
    register int32_t x2 __asm__("r2");
    register int32_t x3 __asm__("r3");
    register int32_t w0 __asm__("r4");
    register int32_t w1 __asm__("r5");
    register int32_t w2 __asm__("r6");
    int32_t h0p, a0p, h1p, a1p;
    const int32_t unroll = (3 * planes) % 4 == 0 ? 4 : (3 * planes) % 2 == 0 ? 2 : 1;
    __asm__ volatile(
        "1:\n\t"
        "ldr    %[x0], %[rec]\n\t" /* S_A from bias_A, 256 S_B + S_A from both */
        "ldrd   %[a0p], %[h0p], [%[x0]]\n\t"
        "add    %[h0p], %[a0p], %[h0p], lsl #8\n\t"
        "mov    %[a1p], %[a0p]\n\t"
        "mov    %[h1p], %[h0p]\n\t"
        "ldr    %[x], %[rows]\n\t"
        TG_SLIDE_GROUPS
        "sub    %[h0p], %[h0p], %[a0p]\n\t"
        "asr    %[h0p], %[h0p], #8\n\t"
        "sub    %[h1p], %[h1p], %[a1p]\n\t"
        "asr    %[h1p], %[h1p], #8\n\t"
        "ldr    %[x], %[rec]\n\t"
        "ldr    %[x3], %[op]\n\t"
        TG_SLIDE_CHANNEL_A
        TG_SLIDE_OUT("w0", "a0p", "0")
        TG_SLIDE_OUT("w1", "a1p", "%c[gap]")
        TG_SLIDE_CHANNEL_B
        TG_SLIDE_OUT("w0", "h0p", "1")
        TG_SLIDE_OUT("w1", "h1p", "%c[gap]+1")
        TG_SLIDE_NEXT
        : [x] "=&r"(xr), [e] "=&r"(er), [w] "+r"(wr), [h0p] "=&r"(h0p), [a0p] "=&r"(a0p), [h1p] "=&r"(h1p),
          [a1p] "=&r"(a1p), [x0] "=&r"(x0), [x1] "=&r"(x1), [x2] "=&r"(x2), [x3] "=&r"(x3), [w0] "=&r"(w0),
          [w1] "=&r"(w1), [w2] "=&r"(w2), [rec] "+m"(recm), [op] "+m"(opm)
        : [rows] "m"(rows), [stride] "i"(stride), [rowbytes] "i"(3 * planes * stride),
          [unroll] "i"(unroll), [loopbytes] "i"((3 * planes - unroll) * stride), [gap] "i"(gap), [lo] "i"(lo),
          [hi] "i"(hi), [ub] "i"(ub), [pos] "i"(pos != 0)
        : "memory", "cc");
}

/*
 * The layer (tg_slide_on holds): the ring filled row by row, each output row's blocks, and with the add
 * (add, skip: NULL for a plain conv, a constant after inlining) the row's conv bytes held in scratch and
 * added in one call (tg_conv_add_block, epilogue mode amode).
 */
static inline __attribute__((always_inline)) void tg_conv2d_slide_pair_s8_dsp_rows(
    const tg_conv2d_params_t *p, const tg_mat_mult_quant_t *q, const int8_t *input, const int16_t *packed,
    const int32_t *bias, const int32_t *multiplier, const int8_t *shift, int8_t *scratch, int8_t *output,
    const tg_conv2d_add_params_t *add, const int8_t *skip, int32_t amode)
{
    const int32_t words = tg_slide_row_words(p->in_w, p->in_c), out_c = p->out_c, row_bytes = p->out_w * out_c;
    const int32_t pos = add != NULL ? 0 : TG_REQUANT_POS_OF(q->bounded);
    const int32_t lo = q->act_min, hi = q->act_max;
    int32_t *const ring = (int32_t *)__builtin_assume_aligned(scratch, 8);
    int32_t *const rec = ring + 5 * words;
    int8_t *const conv = (int8_t *)(void *)(rec + 4 * out_c);
    int32_t *const tab = (int32_t *)(void *)(conv + ((row_bytes + 7) & ~7));
    int32_t oy, ox;

    tg_pairs_records_of(q->bounded, out_c, bias, multiplier, shift, q->output_offset, rec);
    if (add != NULL) {
        tg_conv_add_tables(add, tab);
    }
    /* input row iy in ring row k = (iy + 1) % 3 and, where k < 2, k + 3: row -1 (zero) in 0 and 3, row 0 in 1 and
       4 */
    tg_slide_zero(ring, 5 * words);
    tg_slide_widen_row(p, input, 0, ring + words, 3 * words);
#pragma GCC unroll 1
    for (oy = 0; oy < p->out_h; ++oy) {
        const int32_t slot = (oy + 2) % 3, copy = slot < 2 ? 3 * words : 0;
        int32_t *const next = ring + slot * words;
        const int32_t *const rows = ring + (oy % 3) * words;
        int8_t *const dst = add != NULL ? conv : output + oy * row_bytes;
        if (oy + 1 < p->in_h) {
            tg_slide_widen_row(p, input, oy + 1, next, copy);
        } else {
            tg_slide_zero(next, words);
            tg_slide_zero(next + copy, words);
        }
        ox = 0;
#if TG_SLIDE_LDR
        /* The loops' bounds are constants, and GCC copies a loop of 1 or 2 trips, each copy a block's asm: the
           3-pixel loop's bound is hidden from it, and the 2-pixel loop's start where it has 2 trips. */
        if (tg_slide3_pixels(p->out_w, p->in_c) > 0) {
            int32_t threes = tg_slide3_pixels(p->out_w, p->in_c);
            __asm__("" : "+r"(threes));
#pragma GCC unroll 1
            for (; ox < threes; ox += 3) {
                tg_slide3_block_asm(rows + ox, p->in_c / 2, 4 * (p->in_w + 2), packed, rec, dst + ox * out_c, out_c,
                                    lo, hi, tg_rows3_usat_bits(lo, hi), pos);
            }
            ox = tg_slide3_pixels(p->out_w, p->in_c);
            if (p->out_w - ox > 2) {
                __asm__("" : "+r"(ox));
            }
        }
#endif
#pragma GCC unroll 1
        for (; ox < p->out_w; ox += 2) {
            tg_slide_block_asm(rows + ox, p->in_c / 2, 4 * (p->in_w + 2), packed, rec,
                               dst + ox * out_c, out_c, lo, hi, tg_rows3_usat_bits(lo, hi), pos);
        }
        if (add != NULL) {
            tg_conv_add_block(add, tab, conv, skip + oy * row_bytes, output + oy * row_bytes, row_bytes, amode);
        }
    }
}

/* The specialized layer: the slide where tg_slide_on holds, else every output alone (the rows4 kernels'
   per-output path, reading the slide's layout). */
static inline __attribute__((always_inline)) void tg_conv2d_slide_pair_s8_dsp_inline(
    const tg_conv2d_params_t *p, int32_t bounded, const int8_t *input, const int16_t *packed, const int32_t *bias,
    const int32_t *multiplier, const int8_t *shift, int8_t *scratch, int8_t *output)
{
    const tg_mat_mult_quant_t q = {p->input_offset, p->output_offset, p->act_min, p->act_max, bounded};
    if (tg_slide_on(p, &q)) {
        tg_conv2d_slide_pair_s8_dsp_rows(p, &q, input, packed, bias, multiplier, shift, scratch, output, NULL, NULL,
                                         0);
    } else {
        tg_conv2d_rows4_w16_s8_dsp_each(p, &q, input, packed, bias, multiplier, shift, scratch, output,
                                        TG_SLIDE_PAIR);
    }
}

static inline __attribute__((always_inline)) void tg_conv2d_add_slide_pair_s8_dsp_inline(
    const tg_conv2d_add_params_t *p, int32_t bounded, const int8_t *input, const int8_t *skip, const int16_t *packed,
    const int32_t *bias, const int32_t *multiplier, const int8_t *shift, int8_t *scratch, int8_t *output)
{
    const tg_conv2d_params_t cp = tg_rows4_conv_of(p);
    const tg_mat_mult_quant_t q = {p->input_offset, p->output_offset, p->act_min, p->act_max, bounded};
    if (tg_slide_on(&cp, &q) && tg_conv_add_fast_add(p)) {
        tg_conv2d_slide_pair_s8_dsp_rows(&cp, &q, input, packed, bias, multiplier, shift, scratch, output, p, skip,
                                         TG_CONV_ADD_BOUNDED | TG_REQUANT_POS_OF(bounded));
    } else {
        tg_conv2d_add_rows4_w16_s8_dsp_each(p, input, skip, packed, bias, multiplier, shift, scratch, output,
                                            TG_SLIDE_PAIR);
    }
}

#endif /* TG_CONV2D_SLIDE_PAIR_S8_DSP_H */
