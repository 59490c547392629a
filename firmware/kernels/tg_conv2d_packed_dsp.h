/*
 * The inner loop of the packed-multiply kernels for ARMv7-M (tg_conv2d_u4_s4_s8_dsp,
 * tg_conv2d_u2_s2_s8_dsp): tg_packed_dot4 with each field word's step written out as
 * 1 LDR (field word), 2 LDRD (4 weight words) and 4 UMLAL, a whole block of steps unrolled
 * (no loop instructions inside a block); GCC's own code reloads operands and adds loop
 * overhead (12 instructions per step against 7). Same results as tg_packed_dot4.
 * Cortex-M4 / M7 (the UMLAL, LDRD with write-back are ARMv7-M; listed under the "dsp"
 * feature, which every such board has).
 */
#ifndef TG_CONV2D_PACKED_DSP_H
#define TG_CONV2D_PACKED_DSP_H

#include <stdint.h>

#include "tg_conv2d_packed.h"

/* one field word (a += 4) against 4 weight words (w += 16) */
#define TG_PACKED_DSP_STEP                                              \
    __asm__("ldr %[x], [%[a]], #4\n\t"                                  \
            "ldrd %[w0], %[w1], [%[w]], #8\n\t"                         \
            "umlal %Q[s0], %R[s0], %[x], %[w0]\n\t"                     \
            "umlal %Q[s1], %R[s1], %[x], %[w1]\n\t"                     \
            "ldrd %[w0], %[w1], [%[w]], #8\n\t"                         \
            "umlal %Q[s2], %R[s2], %[x], %[w0]\n\t"                     \
            "umlal %Q[s3], %R[s3], %[x], %[w1]"                         \
            : [s0] "+r"(s0), [s1] "+r"(s1), [s2] "+r"(s2), [s3] "+r"(s3), \
              [a] "+r"(a), [w] "+r"(w), [x] "=&r"(x), [w0] "=&r"(w0), [w1] "=&r"(w1) \
            : "m"(*(const uint32_t(*)[1])a), "m"(*(const uint32_t(*)[4])w))

static inline __attribute__((always_inline)) void tg_packed_dot4_dsp(const uint32_t *a, const uint32_t *w,
                                                                     int32_t steps, int32_t field,
                                                                     int32_t spacing, int32_t block, int32_t *d)
{
    const uint32_t *const end = a + steps;

    d[0] = d[1] = d[2] = d[3] = 0;
    while (a != end) {
        uint64_t s0 = 0, s1 = 0, s2 = 0, s3 = 0;
        uint32_t x, w0, w1;
        if (end - a >= block) {
            int32_t t;
#pragma GCC unroll 32
            for (t = 0; t < block; ++t) {
                TG_PACKED_DSP_STEP;
            }
        } else {
            do {
                TG_PACKED_DSP_STEP;
            } while (a != end);
        }
        tg_packed_fold4(s0, s1, s2, s3, field, spacing, d);
    }
}

#endif /* TG_CONV2D_PACKED_DSP_H */
