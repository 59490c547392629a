/*
 * tg_conv2d_1x1_shallow_s8_dsp: a pointwise (1x1, stride 1, no padding) convolution of depth
 * 4, 8 or 16 (the thin layers of MobileNets, e.g. MLPerf VWW's 8 -> 16 and 16 -> 32) for
 * ARMv7E-M, int8 in/out, per-channel requantization, the full int8 output range. Equals
 * tg_conv2d_s8 bit for bit on the layers the build gives it (tinygen/kernels/pw_shallow_dsp.py:
 * those shapes, the folded requantization exact). numpy twin: tinygen.ref.kernels.conv2d_s8.
 *
 * With depth 8 an output is only 8 multiply-accumulates, so what tg_conv2d_1x1_s8_dsp spends
 * per output (the requantization constants' loads, the weights widened again for every pair of
 * pixels) dominates. Here, once per call, each output channel's record is built in scratch:
 * 2 bias, multiplier, R = (1 + 2 output_offset) 2^(n-1), n = -shift and, per 4 weights w0..w3,
 * the int16 pairs (2 w0, 2 w2), (2 w1, 2 w3) (depth 16: 2 bias, the weight pairs, then the
 * others), so the weights stay int8 in flash and are widened (and doubled) once per call.
 * Then per pixel the input is widened once into registers (SXTAB16 with the input offset:
 * x + offset in [-255, 255]), and per output the record is read by LDM (one at depth <= 8, four
 * at depth 16, whose pixel takes 8 registers), 2 SMLAD per 4 weights give the doubled sum a,
 * and the folded requantization of tg_mat_mult_pairs_s8_dsp.h
 *   y = SSAT8((SMMLAR(a, multiplier, R) + (a >> 31)) >> n)
 * stores it: 10 instructions per output at depth 8, 17 at depth 16; 2 outputs per loop pass,
 * the loop ended by the TG_PW_SHALLOW_LAST bit of the last record's n (an odd channel count
 * enters the first pass at its second output).
 *
 * Loop order (in-place planning, tinygen/passes/inplace.py): pixel by pixel in increasing
 * order, each input pixel read whole before its outputs are written.
 *
 * Needs __ARM_FEATURE_DSP (-mcpu=cortex-m4 / cortex-m7).
 */
#include <arm_acle.h>

#include "tg_dsp_s8.h"
#include "tg_kernels.h"

#define TG_PW_SHALLOW_HEAD 4        /* 2 bias, multiplier, R, n before each record's weight words */
/* Set in the n of the last record (ASR by a register takes n's low byte only). */
#define TG_PW_SHALLOW_LAST 0x100

/*
 * The sign's ADD of the folded requantization (+ (a >> 31)). A build defines
 * TG_PW_SHALLOW_SIGN_ADD 0 (-DTG_PW_SHALLOW_SIGN_ADD=0, tinygen/codegen/sign_add.py) where every
 * layer it links on this kernel has act_min >= its output zero point (here: the zero point
 * -128, as act_min is -128): the ADD only lowers an output at an exact tie below zero, to at
 * most the zero point minus 1, which SSAT raises to -128 anyway.
 */
#ifndef TG_PW_SHALLOW_SIGN_ADD
#define TG_PW_SHALLOW_SIGN_ADD 1
#endif
#if TG_PW_SHALLOW_SIGN_ADD
#define TG_PW_SHALLOW_SIGN(y, a) "add    %[" y "], %[" y "], %[" a "], asr #31\n\t"
#else
#define TG_PW_SHALLOW_SIGN(y, a) ""
#endif

/*
 * TG_PW_SHALLOW_QUADS=1 (the F446's cflags, boards/nucleo-f446re.toml): where the channel count is
 * a multiple of 8 (VWW's 16 and 32) 8 outputs a loop pass, else where it is a multiple of 4, 4,
 * not 2, so the last record's test (TST and the taken BEQ back, whose pipeline refill a Cortex-M4
 * pays) runs once per 8 or 4 outputs (VWW's 8 -> 16 and 16 -> 32 layers: est. 852,137 and 619,507
 * cycles on the f446re with 2, 769,239 and 578,098 with 8); 6 or 2 outputs' more code in the
 * loop. Other counts take the 2-output loop. The asm's operand quad: 3 (8 outputs), 1 (4) or 0.
 */
#ifndef TG_PW_SHALLOW_QUADS
#define TG_PW_SHALLOW_QUADS 0
#endif
/* The pass's 2 or 6 more outputs where the asm's operand quad is 1 or 3 (nothing at all without the switch). */
#if TG_PW_SHALLOW_QUADS
#define TG_PW_SHALLOW_MORE(out) \
    ".if    %c[quad] >= 1\n\t" out out ".endif\n\t" ".if    %c[quad] >= 3\n\t" out out out out ".endif\n\t"
#define TG_PW_SHALLOW_QUAD_OPERAND , [quad] "i"(quad)
#else
#define TG_PW_SHALLOW_MORE(out) ""
#define TG_PW_SHALLOW_QUAD_OPERAND
#endif

#if defined(TG_DUAL_ISSUE) && TG_DUAL_ISSUE
/*
 * One output as below, for a dual-issue core (TG_DUAL_ISSUE=1: the Cortex-M7 boards' cflags): the
 * record read by single LDRs, each beside an SMLAD or another LDR, none read right after its
 * load, where the LDM issues alone (tinygen.cycles.cortex_m7: 10 cycles an output at depth 8
 * against 13), for 8 more instructions of code.
 */
#define TG_PW_SHALLOW_OUT                                                          \
    "ldr    %[k], [%[rec]]\n\t"                                                    \
    ".if    %c[words] == 2\n\t"                                                    \
    "ldr    %[w2], [%[rec], #24]\n\t"                                              \
    "ldr    %[w3], [%[rec], #28]\n\t"                                              \
    "smlad  %[k], %[xa1], %[w2], %[k]\n\t"                                         \
    "ldr    %[w0], [%[rec], #16]\n\t"                                              \
    "smlad  %[k], %[xb1], %[w3], %[k]\n\t"                                         \
    ".else\n\t"                                                                    \
    "ldr    %[w0], [%[rec], #16]\n\t"                                              \
    ".endif\n\t"                                                                   \
    "ldr    %[w1], [%[rec], #20]\n\t"                                              \
    "smlad  %[k], %[xa0], %[w0], %[k]\n\t"                                         \
    "ldr    %[m], [%[rec], #4]\n\t"                                                \
    "smlad  %[k], %[xb0], %[w1], %[k]\n\t"                                         \
    "ldr    %[r], [%[rec], #8]\n\t"                                                \
    "ldr    %[n], [%[rec], #12]\n\t"                                               \
    "smmlar %[w0], %[k], %[m], %[r]\n\t"                                           \
    "add    %[rec], %[rec], #16 + 8 * %c[words]\n\t"                               \
    TG_PW_SHALLOW_SIGN("w0", "k")                                                  \
    "asr    %[w0], %[w0], %[n]\n\t"                                                \
    "ssat   %[w0], #8, %[w0]\n\t"                                                  \
    "strb   %[w0], [%[out]], #1\n\t"
#else
/*
 * One output (words = 1 or 2 weight-word pairs per record): the record in one LDM (k = 2 bias,
 * m = multiplier, r = R, n, then the weight words; the registers are named because LDM loads
 * them in ascending order), the dot product with the widened pixel in xa0, xb0 (xa1, xb1), the
 * folded requantization, the byte stored.
 */
#define TG_PW_SHALLOW_OUT                                                          \
    ".if    %c[words] == 1\n\t"                                                    \
    "ldmia  %[rec]!, {%[k], %[m], %[r], %[n], %[w0], %[w1]}\n\t"                   \
    ".else\n\t"                                                                    \
    "ldmia  %[rec]!, {%[k], %[m], %[r], %[n], %[w0], %[w1], %[w2], %[w3]}\n\t"     \
    "smlad  %[k], %[xa1], %[w2], %[k]\n\t"                                         \
    "smlad  %[k], %[xb1], %[w3], %[k]\n\t"                                         \
    ".endif\n\t"                                                                   \
    "smlad  %[k], %[xa0], %[w0], %[k]\n\t"                                         \
    "smlad  %[k], %[xb0], %[w1], %[k]\n\t"                                         \
    "smmlar %[w0], %[k], %[m], %[r]\n\t"                                           \
    TG_PW_SHALLOW_SIGN("w0", "k")                                                  \
    "asr    %[w0], %[w0], %[n]\n\t"                                                \
    "ssat   %[w0], #8, %[w0]\n\t"                                                  \
    "strb   %[w0], [%[out]], #1\n\t"
#endif

/* The pixel loop's state in 24 bytes of stack: px, px_end, the offset pair, the records (from
   xa0, xb0, xa1, xb1) and whether cols is odd (from the operand odd names). */
#define TG_PW_SHALLOW_STATE(odd)                \
    "sub    sp, sp, #24\n\t"                    \
    "str    %[xa0], [sp]\n\t"                   \
    "str    %[xb0], [sp, #4]\n\t"               \
    "str    %[xa1], [sp, #8]\n\t"               \
    "str    %[xb1], [sp, #12]\n\t"              \
    "str    %[" odd "], [sp, #16]\n\t"

/* The input word at %[w2] + off widened with the offset pair in %[w3] into a, b (SXTAB16). */
#define TG_PW_SHALLOW_WIDEN(off, a, b)          \
    "ldr    %[w0], [%[w2], #" off "]\n\t"       \
    "sxtab16 %[" a "], %[w3], %[w0]\n\t"        \
    "sxtab16 %[" b "], %[w3], %[w0], ror #8\n\t"

/*
 * Every pixel of a layer of depth 4 * words (words = 1 or 2, a constant): one asm block, since
 * the output loop takes 14 registers. The pixel loop's state (input pointer, its end, the
 * offset pair, the records, whether cols is odd) lives in 24 bytes of stack the block reserves;
 * the inputs' registers become the widened pixel. Per pixel: its words widened, then the
 * outputs, two per pass, until the record whose n carries TG_PW_SHALLOW_LAST.
 */
static inline __attribute__((always_inline)) void tg_pw_shallow_pixels(const int8_t *px, const int8_t *px_end,
                                                                       int32_t words, int32_t offset2,
                                                                       const int32_t *records, int32_t odd,
                                                                       int32_t quad, int8_t *out)
{
    register int32_t k __asm__("r4"), m __asm__("r5"), r __asm__("r6"), n __asm__("r8");
    register int32_t w0 __asm__("r9"), w1 __asm__("r10"), w2 __asm__("r11"), w3 __asm__("r12");
    int32_t xa0 = (int32_t)px, xb0 = (int32_t)px_end, xa1 = offset2, xb1 = (int32_t)records;
    int32_t rec = odd;      /* then the record pointer */
    __asm__ volatile(
        TG_PW_SHALLOW_STATE("rec")
        "0:\n\t"
        "ldr    %[w2], [sp]\n\t"
        "ldr    %[w3], [sp, #8]\n\t"
        TG_PW_SHALLOW_WIDEN("0", "xa0", "xb0")
        ".if    %c[words] == 2\n\t"
        TG_PW_SHALLOW_WIDEN("4", "xa1", "xb1")
        ".endif\n\t"
        "add    %[w2], %[w2], #4 * %c[words]\n\t"
        "str    %[w2], [sp]\n\t"
        "ldrd   %[rec], %[w0], [sp, #12]\n\t"
        "cmp    %[w0], #0\n\t"
        "bne    3f\n\t"
        "1:\n\t"
        TG_PW_SHALLOW_OUT
        "3:\n\t"
        TG_PW_SHALLOW_OUT
        TG_PW_SHALLOW_MORE(TG_PW_SHALLOW_OUT)
        "tst    %[n], #%c[last]\n\t"
        "beq    1b\n\t"
        "ldrd   %[w0], %[w1], [sp]\n\t"
        "cmp    %[w0], %[w1]\n\t"
        "bne    0b\n\t"
        "add    sp, sp, #24\n\t"
        : [xa0] "+r"(xa0), [xb0] "+r"(xb0), [xa1] "+r"(xa1), [xb1] "+r"(xb1), [rec] "+r"(rec), [out] "+r"(out),
          [k] "=&r"(k), [m] "=&r"(m), [r] "=&r"(r), [n] "=&r"(n), [w0] "=&r"(w0), [w1] "=&r"(w1), [w2] "=&r"(w2),
          [w3] "=&r"(w3)
        : [words] "i"(words), [last] "i"(TG_PW_SHALLOW_LAST) TG_PW_SHALLOW_QUAD_OPERAND
        : "memory", "cc");
    (void)quad;
}

#if defined(TG_DUAL_ISSUE) && TG_DUAL_ISSUE
/* One output of a depth-16 layer as below, the record read by single LDRs beside the SMLADs
   (see TG_PW_SHALLOW_OUT: 14 cycles against 21), the same registers. */
#define TG_PW_SHALLOW_OUT16                                         \
    "ldr    %[k], [%[rec]]\n\t"                                     \
    "ldr    %[w0], [%[rec], #4]\n\t"                                \
    "ldr    %[w1], [%[rec], #8]\n\t"                                \
    "smlad  %[k], %[xa0], %[w0], %[k]\n\t"                          \
    "ldr    %[w2], [%[rec], #12]\n\t"                               \
    "smlad  %[k], %[xb0], %[w1], %[k]\n\t"                          \
    "ldr    %[w0], [%[rec], #16]\n\t"                               \
    "smlad  %[k], %[xa1], %[w2], %[k]\n\t"                          \
    "ldr    %[w1], [%[rec], #20]\n\t"                               \
    "smlad  %[k], %[xb1], %[w0], %[k]\n\t"                          \
    "ldr    %[w2], [%[rec], #24]\n\t"                               \
    "smlad  %[k], %[xa2], %[w1], %[k]\n\t"                          \
    "ldr    %[w0], [%[rec], #28]\n\t"                               \
    "smlad  %[k], %[xb2], %[w2], %[k]\n\t"                          \
    "ldr    %[w1], [%[rec], #32]\n\t"                               \
    "smlad  %[k], %[xa3], %[w0], %[k]\n\t"                          \
    "ldr    %[w0], [%[rec], #36]\n\t"                               \
    "smlad  %[k], %[xb3], %[w1], %[k]\n\t"                          \
    "ldr    %[w1], [%[rec], #40]\n\t"                               \
    "ldr    %[w2], [%[rec], #44]\n\t"                               \
    "smmlar %[w1], %[k], %[w0], %[w1]\n\t"                          \
    "add    %[rec], %[rec], #48\n\t"                                \
    TG_PW_SHALLOW_SIGN("w1", "k")                                   \
    "asr    %[w1], %[w1], %[w2]\n\t"                                \
    "ssat   %[w1], #8, %[w1]\n\t"                                   \
    "strb   %[w1], [%[out]], #1\n\t"
#else
/*
 * One output of a depth-16 layer, the widened pixel in 8 registers: the record (k = 2 bias, the
 * 8 weight words, then multiplier, R, n) in 4 LDM through the 4 registers left, 8 SMLAD, the
 * folded requantization (SMMLAR into the R register), the byte stored.
 */
#define TG_PW_SHALLOW_OUT16                                         \
    "ldmia  %[rec]!, {%[k], %[w0], %[w1], %[w2]}\n\t"               \
    "smlad  %[k], %[xa0], %[w0], %[k]\n\t"                          \
    "smlad  %[k], %[xb0], %[w1], %[k]\n\t"                          \
    "smlad  %[k], %[xa1], %[w2], %[k]\n\t"                          \
    "ldmia  %[rec]!, {%[w0], %[w1], %[w2]}\n\t"                     \
    "smlad  %[k], %[xb1], %[w0], %[k]\n\t"                          \
    "smlad  %[k], %[xa2], %[w1], %[k]\n\t"                          \
    "smlad  %[k], %[xb2], %[w2], %[k]\n\t"                          \
    "ldmia  %[rec]!, {%[w0], %[w1]}\n\t"                            \
    "smlad  %[k], %[xa3], %[w0], %[k]\n\t"                          \
    "smlad  %[k], %[xb3], %[w1], %[k]\n\t"                          \
    "ldmia  %[rec]!, {%[w0], %[w1], %[w2]}\n\t"                     \
    "smmlar %[w1], %[k], %[w0], %[w1]\n\t"                          \
    TG_PW_SHALLOW_SIGN("w1", "k")                                   \
    "asr    %[w1], %[w1], %[w2]\n\t"                                \
    "ssat   %[w1], #8, %[w1]\n\t"                                   \
    "strb   %[w1], [%[out]], #1\n\t"
#endif

/* The input word at %[w1] + off widened with the offset pair in %[w2] into a, b (SXTAB16). */
#define TG_PW_SHALLOW_WIDEN16(off, a, b)        \
    "ldr    %[w0], [%[w1], #" off "]\n\t"       \
    "sxtab16 %[" a "], %[w2], %[w0]\n\t"        \
    "sxtab16 %[" b "], %[w2], %[w0], ror #8\n\t"

/* tg_pw_shallow_pixels for depth 16: the same stack state, the pixel in 8 registers. */
static inline __attribute__((always_inline)) void tg_pw_shallow_pixels16(const int8_t *px, const int8_t *px_end,
                                                                         int32_t offset2, const int32_t *records,
                                                                         int32_t odd, int32_t quad, int8_t *out)
{
    register int32_t k __asm__("r4"), w0 __asm__("r5"), w1 __asm__("r6"), w2 __asm__("r8");
    int32_t xa0 = (int32_t)px, xb0 = (int32_t)px_end, xa1 = offset2, xb1 = (int32_t)records, xa2 = odd;
    int32_t xb2 = 0, xa3 = 0, xb3 = 0;
    int32_t rec = 0;
    __asm__ volatile(
        TG_PW_SHALLOW_STATE("xa2")
        "0:\n\t"
        "ldr    %[w1], [sp]\n\t"
        "ldr    %[w2], [sp, #8]\n\t"
        TG_PW_SHALLOW_WIDEN16("0", "xa0", "xb0")
        TG_PW_SHALLOW_WIDEN16("4", "xa1", "xb1")
        TG_PW_SHALLOW_WIDEN16("8", "xa2", "xb2")
        TG_PW_SHALLOW_WIDEN16("12", "xa3", "xb3")
        "add    %[w1], %[w1], #16\n\t"
        "str    %[w1], [sp]\n\t"
        "ldrd   %[rec], %[w0], [sp, #12]\n\t"
        "cmp    %[w0], #0\n\t"
        "bne    3f\n\t"
        "1:\n\t"
        TG_PW_SHALLOW_OUT16
        "3:\n\t"
        TG_PW_SHALLOW_OUT16
        TG_PW_SHALLOW_MORE(TG_PW_SHALLOW_OUT16)
        "tst    %[w2], #%c[last]\n\t"
        "beq    1b\n\t"
        "ldrd   %[w0], %[w1], [sp]\n\t"
        "cmp    %[w0], %[w1]\n\t"
        "bne    0b\n\t"
        "add    sp, sp, #24\n\t"
        : [xa0] "+r"(xa0), [xb0] "+r"(xb0), [xa1] "+r"(xa1), [xb1] "+r"(xb1), [xa2] "+r"(xa2), [xb2] "+r"(xb2),
          [xa3] "+r"(xa3), [xb3] "+r"(xb3), [rec] "+r"(rec), [out] "+r"(out), [k] "=&r"(k), [w0] "=&r"(w0),
          [w1] "=&r"(w1), [w2] "=&r"(w2)
        : [last] "i"(TG_PW_SHALLOW_LAST) TG_PW_SHALLOW_QUAD_OPERAND
        : "memory", "cc");
    (void)quad;
}

#if TG_PW_SHALLOW_QUADS
/* The pixel loops of a layer of depth 4, 8 or 16 whose channel count is a multiple of 4: 8 outputs a pass
   (quad 3, a multiple of 8) or 4 (quad 1). */
static inline __attribute__((always_inline)) void tg_pw_shallow_quads(const int8_t *px, const int8_t *end,
                                                                      int32_t depth, int32_t offset2,
                                                                      const int32_t *records, int32_t quad,
                                                                      int8_t *out)
{
    if (depth == 4) {
        tg_pw_shallow_pixels(px, end, 1, offset2, records, 0, quad, out);
    } else if (depth == 8) {
        tg_pw_shallow_pixels(px, end, 2, offset2, records, 0, quad, out);
    } else {
        tg_pw_shallow_pixels16(px, end, offset2, records, 0, quad, out);
    }
}
#endif

void tg_conv2d_1x1_shallow_s8_dsp(const tg_conv2d_params_t *p, const int8_t *input, const int8_t *weights,
                                  const int32_t *bias, const int32_t *multiplier, const int8_t *shift,
                                  int8_t *scratch, int8_t *output)
{
    const int32_t depth = p->in_c, cols = p->out_c, words = depth >> 2;
    /* where the record holds the weights and the multiplier, R, n (after 2 bias) */
    const int32_t at_w = depth == 16 ? 1 : TG_PW_SHALLOW_HEAD, at_q = depth == 16 ? 1 + 2 * words : 1;
    const uint32_t round = (uint32_t)(1 + 2 * p->output_offset);
    int32_t *const records = (int32_t *)(void *)scratch;
    int32_t *rec = records;
    int32_t o, g;
    for (o = 0; o < cols; ++o, rec += TG_PW_SHALLOW_HEAD + 2 * words) {
        const int32_t n = -shift[o];
        rec[0] = bias != NULL ? 2 * bias[o] : 0;
        rec[at_q] = multiplier[o];
        rec[at_q + 1] = (int32_t)(round << (n - 1));
        rec[at_q + 2] = n | (o == cols - 1 ? TG_PW_SHALLOW_LAST : 0);
        for (g = 0; g < words; ++g) {     /* the weights doubled: |2 w| <= 256 */
            const int32_t v = tg_dsp_load_s8x4(&weights[o * depth + 4 * g]);
            rec[at_w + 2 * g] = __sadd16(__sxtb16(v), __sxtb16(v));
            rec[at_w + 2 * g + 1] = __sadd16(tg_dsp_sxtb16_odd(v), tg_dsp_sxtb16_odd(v));
        }
    }
    {
        const int8_t *const end = input + p->out_h * p->out_w * depth;
        const int32_t offset2 = (int32_t)(((uint32_t)p->input_offset & 0xFFFFu) * 0x00010001u);
#if TG_PW_SHALLOW_QUADS
        if ((cols & 7) == 0) {
            tg_pw_shallow_quads(input, end, depth, offset2, records, 3, output);
            return;
        }
        if ((cols & 3) == 0) {
            tg_pw_shallow_quads(input, end, depth, offset2, records, 1, output);
            return;
        }
#endif
        if (depth == 4) {
            tg_pw_shallow_pixels(input, end, 1, offset2, records, cols & 1, 0, output);
        } else if (depth == 8) {
            tg_pw_shallow_pixels(input, end, 2, offset2, records, cols & 1, 0, output);
        } else {
            tg_pw_shallow_pixels16(input, end, offset2, records, cols & 1, 0, output);
        }
    }
}
