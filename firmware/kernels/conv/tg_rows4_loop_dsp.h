/*
 * The 4-pixel block's pair loop of the rows4 kernels (tg_conv2d_rows4_w16_s8_dsp.h), in its two
 * weight layouts, chosen by a constant (`pair`) at build time:
 *
 * - int16 weights (tg_conv2d_rows4_w16_s8_dsp): a step takes 2 values of depth, an LDRD of the 2
 *   channels' weight pairs, 2 LDRD of the 4 pixels' widened pairs and 8 SMLAD: 11 instructions
 *   per 16 multiply-accumulates, the weights' bytes twice the int8 ones.
 * - row-pair halfwords (tg_conv2d_rows4_pair_s8_dsp, tinygen.kernels.rows4_dsp.rows4_pair_weights):
 *   the pair's channels A and B packed as one int16 h = 256 b + a per value of depth, so one word
 *   holds 2 values of depth of both channels, at the int8 weights' bytes. A step: an LDR of that
 *   word H, SXTB16 of it (its low bytes sign-extended: A's 2 weights), 2 LDRD of the 4 pixels'
 *   pairs and 8 SMLAD, per pixel one with H (accumulating 256 S_B + S_A, wrapping) and one with
 *   A's weights (S_A): 12 instructions per 16 MACs, the same 8 accumulators. After the steps
 *   S_B = (acc_H - S_A) >> 8, exact where 256 S_B fits int32 (|S_B| < 2^23 with the doubled bias
 *   and pixels: tinygen.kernels.rows4_dsp.pair_exact, checked at build time per channel pair; the
 *   kernel is not offered where it fails). The accumulators start from the records' doubled
 *   biases, acc_H at 256 bias_B + bias_A.
 *
 * Registers: 8 accumulators, 2 weight words, 2 input pairs, the rows' and the weights' pointers:
 * all 14 (r0-r12, lr); the records' and outputs' pointers and the loop's end live in memory, and
 * the weights' pointer is kept there while a channel pair's 8 outputs are requantized (the weights
 * of consecutive pairs are consecutive, so it is never reset).
 *
 * Needs __ARM_FEATURE_DSP (-mcpu=cortex-m4 / cortex-m33 / cortex-m7).
 */
#ifndef TG_ROWS4_LOOP_DSP_H
#define TG_ROWS4_LOOP_DSP_H

#include <stdint.h>

#include "tg_mat_mult_rows3_s8_dsp.h"

/* One step: 2 values of depth, the 2 channels' weight pairs at %[w], the 4 pixels' at %[x]. */
#define TG_ROWS4_STEP                                \
    "ldrd   %[w0], %[w1], [%[w]], #8\n\t"            \
    "ldrd   %[x0], %[x1], [%[x]], #8\n\t"            \
    "smlad  %[a00], %[x0], %[w0], %[a00]\n\t"        \
    "smlad  %[a01], %[x0], %[w1], %[a01]\n\t"        \
    "smlad  %[a10], %[x1], %[w0], %[a10]\n\t"        \
    "smlad  %[a11], %[x1], %[w1], %[a11]\n\t"        \
    "ldrd   %[x0], %[x1], [%[x]], #8\n\t"            \
    "smlad  %[a20], %[x0], %[w0], %[a20]\n\t"        \
    "smlad  %[a21], %[x0], %[w1], %[a21]\n\t"        \
    "smlad  %[a30], %[x1], %[w0], %[a30]\n\t"        \
    "smlad  %[a31], %[x1], %[w1], %[a31]\n\t"

/* One step of the row-pair halfwords: 2 values of depth, the pair's word H at %[w] (w0) and its
   low bytes sign-extended (w1, channel A's weights), the 4 pixels' pairs at %[x]; aP1 accumulates
   256 S_B + S_A, aP0 S_A. */
#define TG_ROWS4_PAIR_STEP                           \
    "ldr    %[w0], [%[w]], #4\n\t"                   \
    "ldrd   %[x0], %[x1], [%[x]], #8\n\t"            \
    "sxtb16 %[w1], %[w0]\n\t"                        \
    "smlad  %[a01], %[x0], %[w0], %[a01]\n\t"        \
    "smlad  %[a00], %[x0], %[w1], %[a00]\n\t"        \
    "smlad  %[a11], %[x1], %[w0], %[a11]\n\t"        \
    "smlad  %[a10], %[x1], %[w1], %[a10]\n\t"        \
    "ldrd   %[x0], %[x1], [%[x]], #8\n\t"            \
    "smlad  %[a21], %[x0], %[w0], %[a21]\n\t"        \
    "smlad  %[a20], %[x0], %[w1], %[a20]\n\t"        \
    "smlad  %[a31], %[x1], %[w0], %[a31]\n\t"        \
    "smlad  %[a30], %[x1], %[w1], %[a30]\n\t"

/* The row-pair step where the core issues two instructions a cycle (TG_ROWS4_AHEAD): each word by its own
   LDR, beside an SMLAD, one step ahead. The step enters with its word H in w0 and pixels 0 and 1's pairs in
   x0 and x1 (loaded by the step before it, or before the first); pixels 2 and 3's pairs are loaded into the
   register its pixel before has left, and the next step's H and first pairs into those the last SMLADs
   leave. No instruction reads a register the instruction before it loaded. 14 instructions and 5 loads a
   step, against 12 and 3 with two LDRDs: 8 issue cycles by the Cortex-M7 model against 10, where an LDRD
   issues alone. `next`: 1 but on the pair's last step, which loads nothing ahead (no word read past the
   pair's weights or the block's pairs). */
#define TG_ROWS4_AHEAD_NEXT(next, load)              \
    ".if    " next "\n\t"                           \
    load                                             \
    ".endif\n\t"

#define TG_ROWS4_AHEAD_STEP(next)                    \
    "sxtb16 %[w1], %[w0]\n\t"                        \
    "smlad  %[a01], %[x0], %[w0], %[a01]\n\t"        \
    "smlad  %[a00], %[x0], %[w1], %[a00]\n\t"        \
    "ldr    %[x0], [%[x]], #4\n\t"                   \
    "smlad  %[a11], %[x1], %[w0], %[a11]\n\t"        \
    "smlad  %[a10], %[x1], %[w1], %[a10]\n\t"        \
    "ldr    %[x1], [%[x]], #4\n\t"                   \
    "smlad  %[a21], %[x0], %[w0], %[a21]\n\t"        \
    "smlad  %[a20], %[x0], %[w1], %[a20]\n\t"        \
    TG_ROWS4_AHEAD_NEXT(next, "ldr    %[x0], [%[x]], #4\n\t") \
    "smlad  %[a31], %[x1], %[w0], %[a31]\n\t"        \
    TG_ROWS4_AHEAD_NEXT(next, "ldr    %[w0], [%[w]], #4\n\t") \
    "smlad  %[a30], %[x1], %[w1], %[a30]\n\t"        \
    TG_ROWS4_AHEAD_NEXT(next, "ldr    %[x1], [%[x]], #4\n\t")

/* TG_ROWS4_AHEAD=1 (the Cortex-M7's boards, which set TG_DUAL_ISSUE): the row-pair layout's steps load
   each word by its own LDR, one step ahead (TG_ROWS4_AHEAD_STEP); 0 (the M4 and M33, which issue one instruction a
   cycle: nothing to pair): TG_ROWS4_PAIR_STEP. */
#ifndef TG_ROWS4_AHEAD
#if defined(TG_DUAL_ISSUE) && TG_DUAL_ISSUE
#define TG_ROWS4_AHEAD 1
#else
#define TG_ROWS4_AHEAD 0
#endif
#endif

/* The step of the layout chosen by the `pair` operand (assembler conditionals). */
#define TG_ROWS4_ANY_STEP                            \
    ".if    %c[pair]\n\t"                           \
    TG_ROWS4_PAIR_STEP                               \
    ".else\n\t"                                     \
    TG_ROWS4_STEP                                    \
    ".endif\n\t"

/* Channel B's sum of pixel P out of aP1 (256 S_B + S_A) and aP0 (S_A). */
#define TG_ROWS4_PAIR_B(a, b)                        \
    "sub    %[" b "], %[" b "], %[" a "]\n\t"         \
    "asr    %[" b "], %[" b "], #8\n\t"

/* One output: the doubled sum in register a requantized into y (m, r, n: the channel's
   multiplier, R, n), stored at d. y may be the register of the sum before it. */
#define TG_ROWS4_REQ(y, a)                                   \
    "smmlar %[" y "], %[" a "], %[w0], %[w1]\n\t"            \
    TG_ROWS3_SIGN(y, a)                                      \
    "asr    %[" y "], %[" y "], %[x1]\n\t"                   \
    TG_ROWS3_SAT(y)

#define TG_ROWS4_OUT(y, a, d)                                \
    TG_ROWS4_REQ(y, a)                                       \
    "strb   %[" y "], " d "\n\t"

/* A channel's 4 outputs, its sums in a, b, c, e, at %[w] + o, gap bytes apart: each result in the
   register the sum before it has left (the first in x0). */
#define TG_ROWS4_OUT4(a, b, c, e, o)                               \
    TG_ROWS4_OUT("x0", a, "[%[w], #" o "]")                        \
    TG_ROWS4_OUT(a, b, "[%[w], #%c[gap]+" o "]")                   \
    TG_ROWS4_OUT(b, c, "[%[w], #2*%c[gap]+" o "]")                 \
    TG_ROWS4_OUT(c, e, "[%[w], #3*%c[gap]+" o "]")

/* The int16 weights' doubled biases of pixels 1..3 (pixel 0's loaded into a00, a01): copied by MOVs
   under TG_BIAS_MOVS (tg_mat_mult_rows3_s8_dsp.h), else an LDRD each. */
#if TG_BIAS_MOVS
#define TG_ROWS4_BIASES                  \
    "mov    %[a10], %[a00]\n\t"         \
    "mov    %[a11], %[a01]\n\t"         \
    "mov    %[a20], %[a00]\n\t"         \
    "mov    %[a21], %[a01]\n\t"         \
    "mov    %[a30], %[a00]\n\t"         \
    "mov    %[a31], %[a01]\n\t"
#else
#define TG_ROWS4_BIASES                  \
    "ldrd   %[a10], %[a11], [%[x0]]\n\t" \
    "ldrd   %[a20], %[a21], [%[x0]]\n\t" \
    "ldrd   %[a30], %[a31], [%[x0]]\n\t"
#endif

/* The channel pair's 8 outputs, the first channel's constants already in w0, w1, x1, the outputs'
   pointer in w. Under TG_PAIR_STRH (tg_mat_mult_rows3_s8_dsp.h) the first channel's 4 results are held
   in x0, a00, a10, a20 while the second's are requantized into a30, a01, a11, a21 (each into the
   register the sum before it has left), then a pixel's two joined by BFI and stored by one STRH. */
#if TG_PAIR_STRH
#define TG_ROWS4_OUTPUTS                                       \
    TG_ROWS4_REQ("x0", "a00")                                  \
    TG_ROWS4_REQ("a00", "a10")                                 \
    TG_ROWS4_REQ("a10", "a20")                                 \
    TG_ROWS4_REQ("a20", "a30")                                 \
    "ldr    %[w0], [%[x], #12]\n\t"  /* the second channel's */ \
    "ldr    %[w1], [%[x], #20]\n\t"                           \
    "ldr    %[x1], [%[x], #28]\n\t"                           \
    TG_ROWS4_REQ("a30", "a01")                                 \
    TG_ROWS4_REQ("a01", "a11")                                 \
    TG_ROWS4_REQ("a11", "a21")                                 \
    TG_ROWS4_REQ("a21", "a31")                                 \
    "bfi    %[x0], %[a30], #8, #8\n\t"                        \
    "strh   %[x0], [%[w]]\n\t"                                \
    "bfi    %[a00], %[a01], #8, #8\n\t"                       \
    "strh   %[a00], [%[w], #%c[gap]]\n\t"                     \
    "bfi    %[a10], %[a11], #8, #8\n\t"                       \
    "strh   %[a10], [%[w], #2*%c[gap]]\n\t"                   \
    "bfi    %[a20], %[a21], #8, #8\n\t"                       \
    "strh   %[a20], [%[w], #3*%c[gap]]\n\t"
#else
#define TG_ROWS4_OUTPUTS                                       \
    TG_ROWS4_OUT4("a00", "a10", "a20", "a30", "0")             \
    "ldr    %[w0], [%[x], #12]\n\t"  /* the second channel's */ \
    "ldr    %[w1], [%[x], #20]\n\t"                           \
    "ldr    %[x1], [%[x], #28]\n\t"                           \
    TG_ROWS4_OUT4("a01", "a11", "a21", "a31", "1")
#endif

/* Up to this many steps run unrolled whole, more in a loop of 8, 6, 4 or 2 steps per pass (or two passes:
   TG_ROWS4_TWO_PASSES below). */
#define TG_ROWS4_WHOLE 12
/* TG_ROWS4_TWO_PASSES=N (the F446's cflags, boards/nucleo-f446re.toml): where the steps are even and at
   most 2 N, a loop of half the steps run twice (KWS's first conv, depth 40: 2 passes of 10 steps, not 5 of
   4), so three passes' loop control (LDR, CMP and the taken BNE, whose refill a Cortex-M4 pays) per
   channel pair are left out; 0: off. */
#ifndef TG_ROWS4_TWO_PASSES
#define TG_ROWS4_TWO_PASSES 0
#endif
/* TG_ROWS4_LONG=N (default TG_ROWS4_AHEAD's: N = 24 on the Cortex-M7's boards, else 0): the row-pair layout's
   loop takes N steps a pass where N divides the steps (IC's 72, 144 and 288: a third of the passes of 8, so a
   third of the loop control's LDR, CMP and taken BNE), at about 0.5 KB of code a pass of 12 more steps. */
#ifndef TG_ROWS4_LONG
#define TG_ROWS4_LONG (TG_ROWS4_AHEAD ? 24 : 0)
#endif
/* the plan operand's fields as assembler expressions: steps before the loop, passes, steps a pass */
#define TG_ROWS4_PRE "(%c[plan]&255)"
#define TG_ROWS4_LOOPS "((%c[plan]>>8)&0xFFFF)"
#define TG_ROWS4_UNROLL "(%c[plan]>>24)"

/* TG_ROWS4_AHEAD's steps (the row-pair layout on a dual-issue core): the steps before the loop and its passes
   but the last, then the last pass's steps straight (or, without a loop, every step), each loading the next
   step's words but the last, which loads nothing; the loop ends its passes at xend, the last pass's start and
   its first two pairs (loaded ahead), its compare in w1 (A's weights, free between steps). */
#define TG_ROWS4_AHEAD_ON "(%c[pair] && " TG_ROWS3_STR(TG_ROWS4_AHEAD) ")"
#define TG_ROWS4_AHEAD_STEPS                          \
    ".if    " TG_ROWS4_LOOPS "\n\t"                   \
    ".rept  " TG_ROWS4_PRE "\n\t"                     \
    TG_ROWS4_AHEAD_STEP("1")                          \
    ".endr\n\t"                                      \
    ".if    " TG_ROWS4_LOOPS " - 1\n\t"               \
    "2:\n\t"                                         \
    ".rept  " TG_ROWS4_UNROLL "\n\t"                  \
    TG_ROWS4_AHEAD_STEP("1")                          \
    ".endr\n\t"                                      \
    ".if    " TG_ROWS4_LOOPS " - 2\n\t"               \
    "ldr    %[w1], %[xend]\n\t"                       \
    "cmp    %[x], %[w1]\n\t"                          \
    "bne    2b\n\t"                                  \
    ".endif\n\t"                                     \
    ".endif\n\t"                                     \
    ".rept  " TG_ROWS4_UNROLL " - 1\n\t"              \
    TG_ROWS4_AHEAD_STEP("1")                          \
    ".endr\n\t"                                      \
    ".else\n\t"                                      \
    ".rept  " TG_ROWS4_PRE " - 1\n\t"                 \
    TG_ROWS4_AHEAD_STEP("1")                          \
    ".endr\n\t"                                      \
    ".endif\n\t"                                     \
    TG_ROWS4_AHEAD_STEP("0")

/*
 * The pair loop of one 4-pixel block as one asm block: per pair the records' doubled biases,
 * the steps, then the 8 outputs, until the record whose n carries TG_PAIRS_LAST. x: the 4 fields
 * widened (tg_rows4_widen_run); weights: the packed int16 weights (pair: the row-pair halfwords);
 * rec: the layer's records; op: pixel 0's outputs, the pixels gap bytes apart.
 */
static inline __attribute__((always_inline)) void tg_rows4_loop_asm(const int16_t *x, int32_t depth, int32_t gap,
                                                                   const int16_t *weights, const int32_t *rec,
                                                                   int8_t *op, int32_t lo, int32_t hi, int32_t ub,
                                                                   int32_t pos, int32_t pair)
{
    const int32_t *const xbase = (const int32_t *)__builtin_assume_aligned(x, 8);
    const int32_t steps = depth >> 1;
    const int32_t unroll = steps <= TG_ROWS4_WHOLE ? 1
                           : TG_ROWS4_TWO_PASSES && steps % 2 == 0 && steps <= 2 * TG_ROWS4_TWO_PASSES ? steps / 2
                           : TG_ROWS4_LONG > 0 && pair != 0 && steps % (TG_ROWS4_LONG > 0 ? TG_ROWS4_LONG : 1) == 0
                           ? TG_ROWS4_LONG
                           : steps % 8 == 0 ? 8 : steps % 6 == 0 ? 6 : steps % 4 == 0 ? 4 : 2;
    const int32_t pre = steps <= TG_ROWS4_WHOLE ? steps : steps % unroll;
    const int32_t loops = steps <= TG_ROWS4_WHOLE ? 0 : steps / unroll;
    /* ahead (TG_ROWS4_AHEAD_STEP): the loop's last pass (or, without a loop, every step) runs straight
       after it, its last step without the next word's load: `tail` steps */
    const int32_t ahead = TG_ROWS4_AHEAD && pair != 0;
    const int32_t tail = !ahead ? 0 : loops ? unroll : pre;
    const int32_t *const xend = xbase + 4 * (steps - tail) + (ahead ? 2 : 0);
    /* the steps before the loop, the loop's passes and its steps, in one operand (GCC's limit of 30) */
    const int32_t plan = pre | loops << 8 | unroll << 24;
    const int32_t *recm = rec;
    int8_t *opm = op;
    const int16_t *wr = weights, *wm = weights;
    const int32_t *xr;
    int32_t a00, a01, a10, a11, a20, a21, a30, a31, w0, w1, x0, x1;
    __asm__ volatile(
        "1:\n\t"
        "ldr    %[x], %[xbase]\n\t"
        "ldr    %[x0], %[rec]\n\t"
        ".if    %c[pair]\n\t"                          /* S_A from bias_A, 256 S_B + S_A from both */
        "ldrd   %[a00], %[a01], [%[x0]]\n\t"
        "add    %[a01], %[a00], %[a01], lsl #8\n\t"
        "mov    %[a10], %[a00]\n\t"
        TG_ROWS4_AHEAD_NEXT(TG_ROWS4_AHEAD_ON, "ldr    %[w0], [%[w]], #4\n\t")    /* the first step's word */
        "mov    %[a11], %[a01]\n\t"
        TG_ROWS4_AHEAD_NEXT(TG_ROWS4_AHEAD_ON, "ldr    %[x0], [%[x]], #4\n\t")    /* and pairs */
        "mov    %[a20], %[a00]\n\t"
        TG_ROWS4_AHEAD_NEXT(TG_ROWS4_AHEAD_ON, "ldr    %[x1], [%[x]], #4\n\t")
        "mov    %[a21], %[a01]\n\t"
        "mov    %[a30], %[a00]\n\t"
        "mov    %[a31], %[a01]\n\t"
        ".else\n\t"
        "ldrd   %[a00], %[a01], [%[x0]]\n\t"
        TG_ROWS4_BIASES
        ".endif\n\t"
        ".if    " TG_ROWS4_AHEAD_ON "\n\t"
        TG_ROWS4_AHEAD_STEPS
        ".else\n\t"
        ".rept  " TG_ROWS4_PRE "\n\t"
        TG_ROWS4_ANY_STEP
        ".endr\n\t"
        ".if    " TG_ROWS4_LOOPS "\n\t"
        "2:\n\t"
        ".rept  " TG_ROWS4_UNROLL "\n\t"
        TG_ROWS4_ANY_STEP
        ".endr\n\t"
        ".if    " TG_ROWS4_LOOPS " - 1\n\t"
        "ldr    %[x0], %[xend]\n\t"
        "cmp    %[x], %[x0]\n\t"
        "bne    2b\n\t"
        ".endif\n\t"
        ".endif\n\t"
        ".endif\n\t"
        ".if    %c[pair]\n\t"                          /* channel B's sums */
        TG_ROWS4_PAIR_B("a00", "a01")
        TG_ROWS4_PAIR_B("a10", "a11")
        TG_ROWS4_PAIR_B("a20", "a21")
        TG_ROWS4_PAIR_B("a30", "a31")
        ".endif\n\t"
        "str    %[w], %[wm]\n\t"                      /* the next pair's weights */
        "ldr    %[x], %[rec]\n\t"
        "ldr    %[w], %[op]\n\t"
        "ldr    %[w0], [%[x], #8]\n\t"                /* the first channel's multiplier, R, n */
        "ldr    %[w1], [%[x], #16]\n\t"
        "ldr    %[x1], [%[x], #24]\n\t"
        TG_ROWS4_OUTPUTS
        "adds   %[w], %[w], #2\n\t"
        "str    %[w], %[op]\n\t"
        "adds   %[x], %[x], #32\n\t"
        "str    %[x], %[rec]\n\t"
        "ldr    %[w], %[wm]\n\t"
        "tst    %[x1], #" TG_ROWS3_STR(TG_PAIRS_LAST) "\n\t"
        "beq    1b\n\t"
        : [x] "=&r"(xr), [w] "+r"(wr), [a00] "=&r"(a00), [a01] "=&r"(a01), [a10] "=&r"(a10), [a11] "=&r"(a11),
          [a20] "=&r"(a20), [a21] "=&r"(a21), [a30] "=&r"(a30), [a31] "=&r"(a31), [w0] "=&r"(w0), [w1] "=&r"(w1),
          [x0] "=&r"(x0), [x1] "=&r"(x1), [rec] "+m"(recm), [op] "+m"(opm), [wm] "+m"(wm)
        : [plan] "i"(plan), [xend] "m"(xend), [gap] "i"(gap), [lo] "i"(lo),
          [hi] "i"(hi), [ub] "i"(ub), [pos] "i"(pos != 0), [xbase] "m"(xbase), [pair] "i"(pair != 0)
        : "memory", "cc");
}

#endif /* TG_ROWS4_LOOP_DSP_H */
