/*
 * The 3-pixel block's pair loop of tg_conv2d_rows4_pair_s8_dsp and tg_conv2d_add_rows4_pair_s8_dsp
 * (tg_conv2d_rows4_w16_s8_dsp.h), taken where TG_ROWS4_PAIR_TRIPLES is 1 (the F446's board file:
 * boards/nucleo-f446re.toml). The weights are the pair kernels' row-pair halfwords as they are
 * (h = 256 b + a per value of depth of channels A and B, tinygen.kernels.rows4_dsp.rows4_pair_weights:
 * per group of 4 values of depth, word 0 (v0, v2) then word 1 (v1, v3)); the block holds 3 pixels,
 * not 4, so that one LDM takes the 3 pixels' widened pairs of a value pair.
 *
 * One unit takes a group of 4 values of depth (2 steps): an LDRD of the group's 2 weight words (H0,
 * H1), per step an LDM of the 3 pixels' pairs, an SXTB16 of the step's H (channel A's 2 weights) and
 * 6 SMLAD (per pixel one with H: 256 S_B + S_A, one with A's weights: S_A): 17 instructions and 3
 * loads per 24 multiply-accumulates, where the 4-pixel block (tg_rows4_loop_dsp.h) takes 12
 * instructions and 3 loads (an LDR and 2 LDRD) per 16. By the Cortex-M4's Table 3-1 a unit is 25
 * cycles (LDRD 3, LDM of 3 registers 4), the 4-pixel block 34 for 32 MACs.
 *
 * Where the steps are a multiple of 3 (MLPerf IC's 3x3 convs: 72, 144 and 288 steps), a trio takes 3
 * steps from one LDM of their 3 weight words, each word's SXTB16 in place after its 3 SMLAD with H: 25
 * instructions and 4 loads per 36 MACs, 37 cycles by Table 3-1 against 37.5 for a unit and a half, and
 * one load fewer, which the fitted model prices at about a cycle (f446re IC: 18,638,738 -> 18,305,424
 * est. cycles).
 *
 * Registers: 6 accumulators, the 3 pixels' pairs (r0-r2: the LDM's list is in register order), the 2
 * weight words and A's weights (a trio's 3 weight words: r3-r5, for its LDM), the widened block's and
 * the weights' pointers: all 14. The records'
 * and outputs' pointers and the loop's end live in memory; the weights' pointer stays in its register
 * while a pair's 6 outputs are requantized (the weights of consecutive pairs are consecutive).
 *
 * The widened block's layout (tg_rows4_widen_run with 3 pixels): per group, the 3 pixels' (v0, v2)
 * pairs, then their (v1, v3) pairs, each doubled with the input offset added: 24 bytes a group.
 * After the steps S_B = (acc_H - S_A) >> 8, exact where tinygen.kernels.rows4_dsp.pair_exact holds
 * (the kernel is offered only there); each output requantized as TG_ROWS3_OUT3 computes it.
 *
 * Needs __ARM_FEATURE_DSP (-mcpu=cortex-m4 / cortex-m33 / cortex-m7).
 */
#ifndef TG_PAIR3_LOOP_DSP_H
#define TG_PAIR3_LOOP_DSP_H

#include <stdint.h>

#include "tg_mat_mult_rows3_s8_dsp.h"
#include "tg_rows4_loop_dsp.h"

/* One unit: 4 values of depth, the group's weight words at %[w], the 3 pixels' pairs at %[x]. */
#define TG_PAIR3_UNIT                                \
    "ldrd   %[h0], %[h1], [%[w]], #8\n\t"            \
    "ldm    %[x]!, {%[x0], %[x1], %[x2]}\n\t"        \
    "sxtb16 %[a], %[h0]\n\t"                         \
    "smlad  %[a0h], %[x0], %[h0], %[a0h]\n\t"        \
    "smlad  %[a0a], %[x0], %[a], %[a0a]\n\t"         \
    "smlad  %[a1h], %[x1], %[h0], %[a1h]\n\t"        \
    "smlad  %[a1a], %[x1], %[a], %[a1a]\n\t"         \
    "smlad  %[a2h], %[x2], %[h0], %[a2h]\n\t"        \
    "smlad  %[a2a], %[x2], %[a], %[a2a]\n\t"         \
    "ldm    %[x]!, {%[x0], %[x1], %[x2]}\n\t"        \
    "sxtb16 %[a], %[h1]\n\t"                         \
    "smlad  %[a0h], %[x0], %[h1], %[a0h]\n\t"        \
    "smlad  %[a0a], %[x0], %[a], %[a0a]\n\t"         \
    "smlad  %[a1h], %[x1], %[h1], %[a1h]\n\t"        \
    "smlad  %[a1a], %[x1], %[a], %[a1a]\n\t"         \
    "smlad  %[a2h], %[x2], %[h1], %[a2h]\n\t"        \
    "smlad  %[a2a], %[x2], %[a], %[a2a]\n\t"

/* Channel B's sum of pixel P: aPh (256 S_B + S_A) less aPa (S_A), shifted. */
#define TG_PAIR3_B(a, b)                             \
    "sub    %[" b "], %[" b "], %[" a "]\n\t"         \
    "asr    %[" b "], %[" b "], #8\n\t"

/* One output: the doubled sum in register a requantized into y (multiplier x0, R x1, n x2), stored
   at d (an offset from the outputs' pointer h0). y may be the register of the sum before it. */
#define TG_PAIR3_OUT(y, a, d)                                \
    "smmlar %[" y "], %[" a "], %[x0], %[x1]\n\t"            \
    TG_ROWS3_SIGN(y, a)                                      \
    "asr    %[" y "], %[" y "], %[x2]\n\t"                   \
    TG_ROWS3_SAT(y)                                          \
    "strb   %[" y "], [%[h0], #" d "]\n\t"

/* A channel's 3 outputs, its sums in a, b, c, at byte o of the pixels' outputs (gap bytes apart). */
#define TG_PAIR3_OUT3(a, b, c, o)                            \
    TG_PAIR3_OUT("h1", a, o)                                 \
    TG_PAIR3_OUT(a, b, "%c[gap]+" o)                         \
    TG_PAIR3_OUT(b, c, "2*%c[gap]+" o)

/* Up to this many units run unrolled whole; more in a loop of 4 or 2 units a pass. 7 (a first layer's
   3x3x3 depth, 27 rounded up to 28) would otherwise take a unit and 3 passes of 2. */
#define TG_PAIR3_WHOLE 7

/* A trio: 3 steps (6 values of depth) from one LDM of their 3 weight words (h0, h1 and a: registers in
   ascending order), each step an LDM of the 3 pixels' pairs, 3 SMLAD with H, an SXTB16 of H in place (A's
   weights) and 3 SMLAD with them: 25 instructions and 4 loads per 36 multiply-accumulates, 41 cycles by
   the Cortex-M4's model against 42 for a unit and a half (3 loads per 24). */
#define TG_PAIR3_TRIO_STEP(h)                        \
    "ldm    %[x]!, {%[x0], %[x1], %[x2]}\n\t"        \
    "smlad  %[a0h], %[x0], %[" h "], %[a0h]\n\t"     \
    "smlad  %[a1h], %[x1], %[" h "], %[a1h]\n\t"     \
    "smlad  %[a2h], %[x2], %[" h "], %[a2h]\n\t"     \
    "sxtb16 %[" h "], %[" h "]\n\t"                  \
    "smlad  %[a0a], %[x0], %[" h "], %[a0a]\n\t"     \
    "smlad  %[a1a], %[x1], %[" h "], %[a1a]\n\t"     \
    "smlad  %[a2a], %[x2], %[" h "], %[a2a]\n\t"
#define TG_PAIR3_TRIO                                \
    "ldm    %[w]!, {%[h0], %[h1], %[a]}\n\t"         \
    TG_PAIR3_TRIO_STEP("h0")                         \
    TG_PAIR3_TRIO_STEP("h1")                         \
    TG_PAIR3_TRIO_STEP("a")

/* Up to this many trios run unrolled whole; more in a loop of 6, 4, 3 or 2 trios a pass: 6 (600 bytes)
   only where a block has at least 16 channel pairs: with the block's other code the loop leaves the
   F446's 1 KB ART, and its lines missed once a block are then paid back. */
#define TG_PAIR3_TRIO_WHOLE 4

/* Whether a depth (a multiple of 4) runs as trios: its steps a multiple of 3 (their count is even, so the
   trios' is too: a loop of 2 a pass takes any count past the whole). */
#define TG_PAIR3_TRIOS_OF(depth) ((depth) % 6 == 0)

/*
 * The pair loop of one 3-pixel block as one asm block: per pair the records' doubled biases, the
 * passes of `body` (TG_PAIR3_UNIT or TG_PAIR3_TRIO) by the plan, then the 6 outputs, until the record
 * whose n carries TG_PAIRS_LAST. The operands are tg_pair3_loop_asm's.
 */
#define TG_PAIR3_LOOP(body)                                                                           \
    __asm__ volatile(                                                                                 \
        "1:\n\t"                                                                                      \
        "ldr    %[x], %[xbase]\n\t"                                                                   \
        "ldr    %[x0], %[rec]\n\t" /* S_A from bias_A, 256 S_B + S_A from both */                     \
        "ldrd   %[a0a], %[a0h], [%[x0]]\n\t"                                                          \
        "add    %[a0h], %[a0a], %[a0h], lsl #8\n\t"                                                   \
        "mov    %[a1a], %[a0a]\n\t"                                                                   \
        "mov    %[a1h], %[a0h]\n\t"                                                                   \
        "mov    %[a2a], %[a0a]\n\t"                                                                   \
        "mov    %[a2h], %[a0h]\n\t"                                                                   \
        ".rept  " TG_ROWS4_PRE "\n\t" body ".endr\n\t"                                                \
        ".if    " TG_ROWS4_LOOPS "\n\t"                                                               \
        "2:\n\t"                                                                                      \
        ".rept  " TG_ROWS4_UNROLL "\n\t" body ".endr\n\t"                                             \
        ".if    " TG_ROWS4_LOOPS " - 1\n\t"                                                           \
        "ldr    %[x0], %[xend]\n\t"                                                                   \
        "cmp    %[x], %[x0]\n\t"                                                                      \
        "bne    2b\n\t"                                                                               \
        ".endif\n\t"                                                                                  \
        ".endif\n\t"                                                                                  \
        TG_PAIR3_B("a0a", "a0h")                                                                      \
        TG_PAIR3_B("a1a", "a1h")                                                                      \
        TG_PAIR3_B("a2a", "a2h")                                                                      \
        "ldr    %[x], %[rec]\n\t"                                                                     \
        "ldr    %[h0], %[op]\n\t"                                                                     \
        "ldr    %[x0], [%[x], #8]\n\t" /* channel A's multiplier, R, n */                             \
        "ldr    %[x1], [%[x], #16]\n\t"                                                               \
        "ldr    %[x2], [%[x], #24]\n\t"                                                               \
        TG_PAIR3_OUT3("a0a", "a1a", "a2a", "0")                                                       \
        "ldr    %[x0], [%[x], #12]\n\t" /* channel B's */                                             \
        "ldr    %[x1], [%[x], #20]\n\t"                                                               \
        "ldr    %[x2], [%[x], #28]\n\t"                                                               \
        TG_PAIR3_OUT3("a0h", "a1h", "a2h", "1")                                                       \
        "adds   %[h0], %[h0], #2\n\t"                                                                 \
        "str    %[h0], %[op]\n\t"                                                                     \
        "adds   %[x], %[x], #32\n\t"                                                                  \
        "str    %[x], %[rec]\n\t"                                                                     \
        "tst    %[x2], #" TG_ROWS3_STR(TG_PAIRS_LAST) "\n\t"                                          \
        "beq    1b\n\t"                                                                               \
        : [x] "=&r"(xr), [w] "+r"(wr), [a0h] "=&r"(a0h), [a0a] "=&r"(a0a), [a1h] "=&r"(a1h),          \
          [a1a] "=&r"(a1a), [a2h] "=&r"(a2h), [a2a] "=&r"(a2a), [h0] "=&r"(h0), [h1] "=&r"(h1),       \
          [a] "=&r"(a), [x0] "=&r"(x0), [x1] "=&r"(x1), [x2] "=&r"(x2), [rec] "+m"(recm), [op] "+m"(opm) \
        : [plan] "i"(plan), [xend] "m"(xend), [gap] "i"(gap), [lo] "i"(lo), [hi] "i"(hi), [ub] "i"(ub), \
          [pos] "i"(pos != 0), [xbase] "m"(xbase)                                                     \
        : "memory", "cc")

/* The loop's plan: the passes before the loop, the loop's passes and its passes' count, in one operand
   (GCC's limit of 30 operands). */
#define TG_PAIR3_PLAN(pre, loops, unroll) ((pre) | (loops) << 8 | (unroll) << 24)

/*
 * The pair loop of one 3-pixel block (TG_PAIR3_LOOP): x: the 3 fields widened (depth % 4 == 0);
 * weights: the row-pair halfwords; rec: the layer's records; op: pixel 0's outputs, the pixels gap
 * bytes apart. Trios where TG_PAIR3_TRIOS_OF(depth) holds, else units.
 */
static inline __attribute__((always_inline)) void tg_pair3_loop_asm(const int16_t *x, int32_t depth, int32_t gap,
                                                                   const int16_t *weights, const int32_t *rec,
                                                                   int8_t *op, int32_t lo, int32_t hi, int32_t ub,
                                                                   int32_t pos)
{
    const int32_t *const xbase = (const int32_t *)__builtin_assume_aligned(x, 8);
    const int32_t *const xend = xbase + 3 * (depth >> 1);
    const int32_t *recm = rec;
    int8_t *opm = op;
    const int16_t *wr = weights;
    const int32_t *xr;
    register int32_t x0 __asm__("r0");
    register int32_t x1 __asm__("r1");
    register int32_t x2 __asm__("r2");
    int32_t a0h, a0a, a1h, a1a, a2h, a2a;
    if (TG_PAIR3_TRIOS_OF(depth)) {
        /* the trio's LDM of 3 weight words takes h0, h1, a in register order */
        register int32_t h0 __asm__("r3");
        register int32_t h1 __asm__("r4");
        register int32_t a __asm__("r5");
        const int32_t trios = depth / 6;
        const int32_t unroll = trios <= TG_PAIR3_TRIO_WHOLE      ? 1
                               : gap >= 32 && trios % 6 == 0 ? 6
                               : trios % 4 == 0              ? 4
                               : trios % 3 == 0              ? 3
                                                             : 2;
        const int32_t plan = trios <= TG_PAIR3_TRIO_WHOLE ? TG_PAIR3_PLAN(trios, 0, 1)
                                                          : TG_PAIR3_PLAN(trios % unroll, trios / unroll, unroll);
        TG_PAIR3_LOOP(TG_PAIR3_TRIO);
    } else {
        /* units: their count is no multiple of 3 (those run as trios) */
        const int32_t units = depth >> 2;
        const int32_t unroll = units <= TG_PAIR3_WHOLE ? 1 : units % 4 == 0 ? 4 : 2;
        const int32_t plan = units <= TG_PAIR3_WHOLE ? TG_PAIR3_PLAN(units, 0, 1)
                                                     : TG_PAIR3_PLAN(units % unroll, units / unroll, unroll);
        int32_t h0, h1, a;
        TG_PAIR3_LOOP(TG_PAIR3_UNIT);
    }
}

/*
 * Runs of n values (n % 4 == 0) of the 3 pixels at x0, x1, x2 widened doubled into d in the 3-pixel
 * layout, where the input offset is 128 (x + 128 is x's byte with its top bit flipped, read unsigned:
 * tg_widen_doubled_s8x4): per group one load of each pixel's word, an EOR and two ANDs of shifted
 * operands each, and one STM of the group's 6 words (r0-r5: the list is in register order); 2 groups
 * a pass where the count is even. d past them returned.
 */
static inline __attribute__((always_inline)) int32_t *tg_pair3_widen128(const int8_t *x0, const int8_t *x1,
                                                                       const int8_t *x2, int32_t n, int32_t *d)
{
    register int32_t e0 __asm__("r0");
    register int32_t e1 __asm__("r1");
    register int32_t e2 __asm__("r2");
    register int32_t o0 __asm__("r3");
    register int32_t o1 __asm__("r4");
    register int32_t o2 __asm__("r5");
    const int8_t *end = x0 + n;     /* an in-out operand: GCC may give an input the register of an equal one */
    const int32_t mask = 0x01FE01FE;
    __asm__ volatile(
        "1:\n\t"
        ".rept  %c[unroll]\n\t"
        "ldr    %[o0], [%[x0]], #4\n\t"
        "ldr    %[o1], [%[x1]], #4\n\t"
        "ldr    %[o2], [%[x2]], #4\n\t"
        "eor    %[o0], %[o0], #0x80808080\n\t"
        "eor    %[o1], %[o1], #0x80808080\n\t"
        "eor    %[o2], %[o2], #0x80808080\n\t"
        "and    %[e0], %[mask], %[o0], lsl #1\n\t"
        "and    %[e1], %[mask], %[o1], lsl #1\n\t"
        "and    %[e2], %[mask], %[o2], lsl #1\n\t"
        "and    %[o0], %[mask], %[o0], lsr #7\n\t"
        "and    %[o1], %[mask], %[o1], lsr #7\n\t"
        "and    %[o2], %[mask], %[o2], lsr #7\n\t"
        "stm    %[d]!, {%[e0], %[e1], %[e2], %[o0], %[o1], %[o2]}\n\t"
        ".endr\n\t"
        "cmp    %[x0], %[end]\n\t"
        "bne    1b\n\t"
        : [x0] "+r"(x0), [x1] "+r"(x1), [x2] "+r"(x2), [d] "+r"(d), [e0] "=&r"(e0), [e1] "=&r"(e1),
          [e2] "=&r"(e2), [o0] "=&r"(o0), [o1] "=&r"(o1), [o2] "=&r"(o2), [end] "+r"(end)
        : [mask] "r"(mask), [unroll] "i"((n >> 2) % 2 == 0 ? 2 : 1)
        : "memory", "cc");
    return d;
}

#endif /* TG_PAIR3_LOOP_DSP_H */
