/*
 * The inner loops of the packed-multiply kernels for ARMv7E-M (tg_conv2d_u4_s4_s8_dsp,
 * tg_conv2d_u2_s2_s8_dsp): tg_packed_dot4_u4 / _u2 with each field word's step written out
 * (GCC's own code reloads operands and adds loop overhead: 12 instructions per u4 step
 * against 7). Same results as the portable loops.
 *
 * - u4: 1 LDR (field word), 2 LDRD (4 weight words), 4 UMLAL (the block's first step UMULL,
 *   no zeroing); a whole block of TG_PACKED_U4_BLOCK steps unrolled.
 * - u2: 1 LDR, 1 LDM of the 4 weight words (fixed registers r4-r7: LDM loads in ascending
 *   register order), 4 SMLAD: 6 instructions per 16 products; 4 steps per loop turn.
 */
#ifndef TG_CONV2D_PACKED_DSP_H
#define TG_CONV2D_PACKED_DSP_H

#include <stdint.h>

#include "tg_conv2d_packed.h"

/* one field word (a += 4) against 4 weight words (w += 16); op "umull" starts the sums */
#define TG_PACKED_U4_DSP_STEP(op, c)                                    \
    __asm__("ldr %[x], [%[a]], #4\n\t"                                  \
            "ldrd %[w0], %[w1], [%[w]], #8\n\t"                         \
            op " %Q[s0], %R[s0], %[x], %[w0]\n\t"                       \
            op " %Q[s1], %R[s1], %[x], %[w1]\n\t"                       \
            "ldrd %[w0], %[w1], [%[w]], #8\n\t"                         \
            op " %Q[s2], %R[s2], %[x], %[w0]\n\t"                       \
            op " %Q[s3], %R[s3], %[x], %[w1]"                           \
            : [s0] c(s0), [s1] c(s1), [s2] c(s2), [s3] c(s3),           \
              [a] "+r"(a), [w] "+r"(w), [x] "=&r"(x), [w0] "=&r"(w0), [w1] "=&r"(w1) \
            : "m"(*(const uint32_t(*)[1])a), "m"(*(const uint32_t(*)[4])w))

static inline __attribute__((always_inline)) void tg_packed_dot4_u4_dsp(const uint32_t *a, const uint32_t *w,
                                                                        int32_t steps, int32_t *d)
{
    const uint32_t *const end = a + steps;

    d[0] = d[1] = d[2] = d[3] = 0;
    while (a != end) {
        uint64_t s0, s1, s2, s3;
        uint32_t x, w0, w1;
        TG_PACKED_U4_DSP_STEP("umull", "=&r");
        if (end - a >= TG_PACKED_U4_BLOCK - 1) {
            int32_t t;
#pragma GCC unroll 32
            for (t = 1; t < TG_PACKED_U4_BLOCK; ++t) {
                TG_PACKED_U4_DSP_STEP("umlal", "+r");
            }
        } else {
            while (a != end) {
                TG_PACKED_U4_DSP_STEP("umlal", "+r");
            }
        }
        tg_packed_fold4(s0, s1, s2, s3, (TG_PACKED_U4_LANES - 1) * TG_PACKED_U4_SPACING, TG_PACKED_U4_SPACING, d);
    }
}

#define TG_PACKED_U2_DSP_STEP                                           \
    __asm__("ldr %[x], [%[a]], #4\n\t"                                  \
            "ldmia %[w]!, {%[w0], %[w1], %[w2], %[w3]}\n\t"             \
            "smlad %[s0], %[x], %[w0], %[s0]\n\t"                       \
            "smlad %[s1], %[x], %[w1], %[s1]\n\t"                       \
            "smlad %[s2], %[x], %[w2], %[s2]\n\t"                       \
            "smlad %[s3], %[x], %[w3], %[s3]"                           \
            : [s0] "+r"(s0), [s1] "+r"(s1), [s2] "+r"(s2), [s3] "+r"(s3), \
              [a] "+r"(a), [w] "+r"(w), [x] "=&r"(x), [w0] "=&r"(w0), [w1] "=&r"(w1), \
              [w2] "=&r"(w2), [w3] "=&r"(w3)                             \
            : "m"(*(const uint32_t(*)[1])a), "m"(*(const uint32_t(*)[4])w))

static inline __attribute__((always_inline)) void tg_packed_dot4_u2_dsp(const uint32_t *a, const uint32_t *w,
                                                                        int32_t steps, int32_t *d)
{
    const uint32_t *const end = a + steps;

    d[0] = d[1] = d[2] = d[3] = 0;
    while (a != end) {
        const uint32_t *const stop = end - a > TG_PACKED_U2_BLOCK ? a + TG_PACKED_U2_BLOCK : end;
        uint32_t s0 = 0, s1 = 0, s2 = 0, s3 = 0, x;
        register uint32_t w0 __asm__("r4");
        register uint32_t w1 __asm__("r5");
        register uint32_t w2 __asm__("r6");
        register uint32_t w3 __asm__("r7");
        while (stop - a >= 4) {
            TG_PACKED_U2_DSP_STEP;
            TG_PACKED_U2_DSP_STEP;
            TG_PACKED_U2_DSP_STEP;
            TG_PACKED_U2_DSP_STEP;
        }
        while (a != stop) {
            TG_PACKED_U2_DSP_STEP;
        }
        tg_packed_fold4(s0, s1, s2, s3, TG_PACKED_U2_SPACING, TG_PACKED_U2_SPACING, d);
    }
}

#endif /* TG_CONV2D_PACKED_DSP_H */
