/*
 * tg_conv2d_slide_pair_s8_dsp's 3-pixel block (tg_conv2d_slide_pair_s8_dsp.h), on the cores that load each
 * word by its own LDR (TG_SLIDE_LDR: the Cortex-M7 and M33): 3 output pixels of one row x one channel pair,
 * where the 2-pixel block takes 2. Per kernel row ky and plane (a group) it reads the 5 ring words at the
 * block's columns (pixel i at tap kx reads word i + kx) and the 3 taps' weight words, and makes 18 SMLAD:
 * 8 loads per 36 multiply-accumulates, where the 2-pixel block makes 7 per 24. Each word is read once and
 * serves every tap that needs it.
 *
 * Registers (14): the 6 sums, the ring words in 3 registers (word 3 takes word 0's once tap 0 is done, word 4
 * word 1's once tap 1 is), 2 weight words (tap kx + 1's loaded while tap kx runs), the ring and weight
 * pointers, the loop's end. Each load and SXTB16 sits beside an SMLAD and none is read by the next
 * instruction: on the Cortex-M7 every one issues with an SMLAD (18 cycles a group by tinygen.cycles.cortex_m7).
 * The next group's words are loaded by this one's tap 2, into the registers it frees, so the names rotate
 * (ring words every group by one, weight words every group by two): a pass of the loop is 6 groups, and the
 * 3 (in_c / 4) x 2 groups of a block are at least 2 passes (tg_slide3_on: in_c >= 8).
 *
 * The sums: as the 2-pixel block's, S_B = (acc_H - S_A) >> 8; each output requantized as TG_SLIDE_OUT, pixel
 * 2's 2 out_c (+ 1) bytes on: within a STRB's 12-bit offset, as tg_rows4_on (3 out_c + 1 < 4096) holds.
 */
#ifndef TG_SLIDE3_BLOCK_DSP_H
#define TG_SLIDE3_BLOCK_DSP_H

#include <stdint.h>

#include "tg_conv2d_rows4_w16_s8_dsp.h"

/* Tap 0: words pa, pb, pc with weight word wa; loads tap 1's weight word (wb), word 3 (into pa). */
#define TG_SLIDE3_TAP0(pa, pb, pc, wa, wb)                              \
    "smlad  %[h0], %[" pa "], %[" wa "], %[h0]\n\t"                     \
    "ldr    %[" wb "], [%[w], #4]\n\t"                                  \
    "smlad  %[h1], %[" pb "], %[" wa "], %[h1]\n\t"                     \
    "smlad  %[h2], %[" pc "], %[" wa "], %[h2]\n\t"                     \
    "sxtb16 %[" wa "], %[" wa "]\n\t"                                   \
    "smlad  %[a0], %[" pa "], %[" wa "], %[a0]\n\t"                     \
    "ldr    %[" pa "], [%[x], #12]\n\t"                                 \
    "smlad  %[a1], %[" pb "], %[" wa "], %[a1]\n\t"                     \
    "smlad  %[a2], %[" pc "], %[" wa "], %[a2]\n\t"                     \
    "ldr    %[" wa "], [%[w], #8]\n\t"
/* Tap 1: words pb, pc, pa (word 3) with wb; loads word 4 (into pb) and, where NEXT, the next group's tap 0
   weight word (into wb, w moved on a group), else w moved on. */
#define TG_SLIDE3_TAP1(pa, pb, pc, wb, NEXTW)                           \
    "smlad  %[h0], %[" pb "], %[" wb "], %[h0]\n\t"                     \
    "smlad  %[h1], %[" pc "], %[" wb "], %[h1]\n\t"                     \
    "smlad  %[h2], %[" pa "], %[" wb "], %[h2]\n\t"                     \
    "sxtb16 %[" wb "], %[" wb "]\n\t"                                   \
    "smlad  %[a0], %[" pb "], %[" wb "], %[a0]\n\t"                     \
    "ldr    %[" pb "], [%[x], #16]\n\t"                                 \
    "smlad  %[a1], %[" pc "], %[" wb "], %[a1]\n\t"                     \
    "smlad  %[a2], %[" pa "], %[" wb "], %[a2]\n\t"                     \
    NEXTW
/* Tap 2: words pc, pa, pb with wa; CMP beside its first SMLAD; NEXT0..NEXT2 beside its last three. */
#define TG_SLIDE3_TAP2(pa, pb, pc, wa, CMP, NEXT0, NEXT1, NEXT2)        \
    "smlad  %[h0], %[" pc "], %[" wa "], %[h0]\n\t"                     \
    CMP                                                                 \
    "smlad  %[h1], %[" pa "], %[" wa "], %[h1]\n\t"                     \
    "smlad  %[h2], %[" pb "], %[" wa "], %[h2]\n\t"                     \
    "sxtb16 %[" wa "], %[" wa "]\n\t"                                   \
    "smlad  %[a0], %[" pc "], %[" wa "], %[a0]\n\t"                     \
    NEXT0                                                               \
    "smlad  %[a1], %[" pa "], %[" wa "], %[a1]\n\t"                     \
    NEXT1                                                               \
    "smlad  %[a2], %[" pb "], %[" wa "], %[a2]\n\t"                     \
    NEXT2

/* A group that loads the next one's words: it leaves words 0..2 of the next plane in pc, pa, pb, its tap 0
   weight word in wb (the next group's names: pc, pa, pb, wb, wa). CMP: the loop's compare, or nothing. */
#define TG_SLIDE3_GROUP(pa, pb, pc, wa, wb, CMP)                        \
    TG_SLIDE3_TAP0(pa, pb, pc, wa, wb)                                  \
    TG_SLIDE3_TAP1(pa, pb, pc, wb, "ldr    %[" wb "], [%[w], #12]!\n\t") \
    TG_SLIDE3_TAP2(pa, pb, pc, wa, CMP,                                 \
                   "ldr    %[" pc "], [%[x], #%c[stride]]!\n\t",        \
                   "ldr    %[" pa "], [%[x], #4]\n\t",                  \
                   "ldr    %[" pb "], [%[x], #8]\n\t")
/* The block's last group: nothing of a next one loaded, w moved past its weights. */
#define TG_SLIDE3_LAST(pa, pb, pc, wa, wb)                              \
    TG_SLIDE3_TAP0(pa, pb, pc, wa, wb)                                  \
    TG_SLIDE3_TAP1(pa, pb, pc, wb, "add    %[w], %[w], #12\n\t")        \
    TG_SLIDE3_TAP2(pa, pb, pc, wa, "", "", "", "")

/* 6 groups: the names back where they started. The pass before the last ends with the loop's compare. */
#define TG_SLIDE3_PASS(CMP)                                             \
    TG_SLIDE3_GROUP("x0", "x1", "x2", "v0", "v1", "")                   \
    TG_SLIDE3_GROUP("x2", "x0", "x1", "v1", "v0", "")                   \
    TG_SLIDE3_GROUP("x1", "x2", "x0", "v0", "v1", "")                   \
    TG_SLIDE3_GROUP("x0", "x1", "x2", "v1", "v0", "")                   \
    TG_SLIDE3_GROUP("x2", "x0", "x1", "v0", "v1", "")                   \
    TG_SLIDE3_GROUP("x1", "x2", "x0", "v1", "v0", CMP)
#define TG_SLIDE3_FINAL                                                 \
    TG_SLIDE3_GROUP("x0", "x1", "x2", "v0", "v1", "")                   \
    TG_SLIDE3_GROUP("x2", "x0", "x1", "v1", "v0", "")                   \
    TG_SLIDE3_GROUP("x1", "x2", "x0", "v0", "v1", "")                   \
    TG_SLIDE3_GROUP("x0", "x1", "x2", "v1", "v0", "")                   \
    TG_SLIDE3_GROUP("x2", "x0", "x1", "v0", "v1", "")                   \
    TG_SLIDE3_LAST("x1", "x2", "x0", "v1", "v0")

/* One output, the 2-pixel block's too: the doubled sum in register a requantized into y (multiplier x0, R x1,
   n x2), stored at d bytes from the outputs' pointer x3. */
#define TG_SLIDE_OUT(y, a, d)                                           \
    "smmlar %[" y "], %[" a "], %[x0], %[x1]\n\t"                     \
    TG_ROWS3_SIGN(y, a)                                                 \
    "asr    %[" y "], %[" y "], %[x2]\n\t"                              \
    TG_ROWS3_SAT(y)                                                     \
    "strb   %[" y "], [%[x3], #" d "]\n\t"

/* A channel pair's requantization record at x: channel A's multiplier, R and n into x0, x1, x2
 * (TG_SLIDE_CHANNEL_A), then channel B's (TG_SLIDE_CHANNEL_B), for TG_SLIDE_OUT. */
#define TG_SLIDE_CHANNEL_A                                              \
    "ldr    %[x0], [%[x], #8]\n\t"                                      \
    "ldr    %[x1], [%[x], #16]\n\t"                                     \
    "ldr    %[x2], [%[x], #24]\n\t"
#define TG_SLIDE_CHANNEL_B                                              \
    "ldr    %[x0], [%[x], #12]\n\t"                                     \
    "ldr    %[x1], [%[x], #20]\n\t"                                     \
    "ldr    %[x2], [%[x], #28]\n\t"
/* After a block's outputs: the output and the record pointers (in op, rec) moved on to the next channel
 * pair, and the loop back to the next pair unless channel B's record word n carries TG_PAIRS_LAST. */
#define TG_SLIDE_NEXT                                                   \
    "adds   %[x3], %[x3], #2\n\t"                                       \
    "str    %[x3], %[op]\n\t"                                           \
    "adds   %[x], %[x], #32\n\t"                                        \
    "str    %[x], %[rec]\n\t"                                           \
    "tst    %[x2], #" TG_ROWS3_STR(TG_PAIRS_LAST) "\n\t"                \
    "beq    1b\n\t"

/* Whether a layer's blocks may be 3 pixels: at least 2 passes of 6 groups (in_c >= 8). */
static inline int32_t tg_slide3_on(int32_t in_c)
{
    return in_c >= 8;
}

/* Output pixels of a row that the 3-pixel blocks take (the rest, 2, 4 or none, in 2-pixel blocks). */
static inline int32_t tg_slide3_pixels(int32_t out_w, int32_t in_c)
{
    const int32_t r = out_w % 3;
    return !tg_slide3_on(in_c) ? 0 : r == 0 ? out_w : r == 1 ? out_w - 4 : out_w - 2;
}

/*
 * The channel pairs of one 3-pixel block: rows the ring's 3 rows of kernel rows 0..2 at the block's first
 * column (a plane stride bytes apart); weights: the packed pairs; rec: the records (tg_pairs_records_of); op:
 * pixel 0's outputs, pixel i's i gap bytes on. planes: in_c / 2 (tg_slide3_on).
 */
static inline __attribute__((always_inline)) void tg_slide3_block_asm(const int32_t *rows, int32_t planes,
                                                                     int32_t stride, const int16_t *weights,
                                                                     const int32_t *rec, int8_t *op, int32_t gap,
                                                                     int32_t lo, int32_t hi, int32_t ub,
                                                                     int32_t pos)
{
    const int32_t *recm = rec;
    int8_t *opm = op;
    const int16_t *wr = weights;
    const int32_t *xr;
    int32_t e, p0, p1, p2, v0, v1, h0, h1, h2, a0, a1, a2;
    __asm__ volatile(
        "1:\n\t"
        "ldr    %[x0], %[rec]\n\t" /* S_A from bias_A, 256 S_B + S_A from both */
        "ldrd   %[a0], %[h0], [%[x0]]\n\t"
        "ldr    %[x], %[rows]\n\t"
        "add    %[h0], %[a0], %[h0], lsl #8\n\t"
        "ldr    %[v0], [%[w]]\n\t"
        "mov    %[a1], %[a0]\n\t"
        "ldr    %[x0], [%[x]]\n\t"
        "mov    %[h1], %[h0]\n\t"
        "ldr    %[x1], [%[x], #4]\n\t"
        "mov    %[a2], %[a0]\n\t"
        "ldr    %[x2], [%[x], #8]\n\t"
        "mov    %[h2], %[h0]\n\t"
        "add    %[x3], %[x], #%c[loopbytes]\n\t"
        "2:\n\t"
        TG_SLIDE3_PASS("cmp    %[x], %[x3]\n\t")
        "bne    2b\n\t"
        TG_SLIDE3_FINAL
        "sub    %[h0], %[h0], %[a0]\n\t"
        "sub    %[h1], %[h1], %[a1]\n\t"
        "asr    %[h0], %[h0], #8\n\t"
        "asr    %[h1], %[h1], #8\n\t"
        "sub    %[h2], %[h2], %[a2]\n\t"
        "ldr    %[x], %[rec]\n\t"
        "asr    %[h2], %[h2], #8\n\t"
        "ldr    %[x3], %[op]\n\t"
        TG_SLIDE_CHANNEL_A
        TG_SLIDE_OUT("v0", "a0", "0")
        TG_SLIDE_OUT("v1", "a1", "%c[gap]")
        TG_SLIDE_OUT("v0", "a2", "2*%c[gap]")
        TG_SLIDE_CHANNEL_B
        TG_SLIDE_OUT("v0", "h0", "1")
        TG_SLIDE_OUT("v1", "h1", "%c[gap]+1")
        TG_SLIDE_OUT("v0", "h2", "2*%c[gap]+1")
        TG_SLIDE_NEXT
        : [x] "=&r"(xr), [x3] "=&r"(e), [w] "+r"(wr), [h0] "=&r"(h0), [a0] "=&r"(a0), [h1] "=&r"(h1),
          [a1] "=&r"(a1), [h2] "=&r"(h2), [a2] "=&r"(a2), [x0] "=&r"(p0), [x1] "=&r"(p1), [x2] "=&r"(p2),
          [v0] "=&r"(v0), [v1] "=&r"(v1), [rec] "+m"(recm), [op] "+m"(opm)
        : [rows] "m"(rows), [stride] "i"(stride), [loopbytes] "i"((3 * planes - 7) * stride), [gap] "i"(gap),
          [lo] "i"(lo), [hi] "i"(hi), [ub] "i"(ub), [pos] "i"(pos != 0)
        : "memory", "cc");
}

#endif /* TG_SLIDE3_BLOCK_DSP_H */
