/*
 * The field path's counter of tg_conv2d_b1_dsp.h (ARMv7E-M, USADA8): popcount of one
 * output pixel's receptive field (copied into one run of words, tg_b1_field) XOR each
 * output channel's weights, Harley-Seal over the run.
 *
 * tg_b1_field_counts counts a group of channels with the run length known at compile
 * time for the common fields (3x3 kernels of 32 and 64 channels: 9 and 18 words), so
 * that the per-channel count has no loop or branch left: on the M7 stand-in the 3x3
 * 32->64 8x8 stride 2 layer of examples/switchable/sp_digits.py (field of 9 words)
 * goes from 166 to 111 instructions per output, 0.578 to 0.386 per binary MAC
 * (benchmarks/lowbit_kernels.py --rows b1_b1_b1).
 */
#ifndef TG_CONV2D_B1_RUN_DSP_H
#define TG_CONV2D_B1_RUN_DSP_H

#include <arm_acle.h>
#include <stdint.h>

#include "tg_conv2d_b1_field.h"

typedef uint64_t tg_b1_u64_alias_t __attribute__((may_alias));

/*
 * *x0 = a[0] ^ w[0], *x1 = a[1] ^ w[1], then a and w step on by 2 words: two LDRD with
 * write-back (ARMv7-M's LDRD needs word alignment only; GCC 12 would use four LDR).
 */
static inline __attribute__((always_inline)) void tg_b1_xor2(const uint32_t **a, const uint32_t **w,
                                                             uint32_t *x0, uint32_t *x1)
{
    uint32_t a0, a1, w0, w1;
    __asm__("ldrd %0, %1, [%2], #8" : "=&r"(a0), "=&r"(a1), "+r"(*a) : "m"(*(const tg_b1_u64_alias_t *)*a));
    __asm__("ldrd %0, %1, [%2], #8" : "=&r"(w0), "=&r"(w1), "+r"(*w) : "m"(*(const tg_b1_u64_alias_t *)*w));
    *x0 = a0 ^ w0;
    *x1 = a1 ^ w1;
}

/* Per-nibble set-bit counts of x (0..4 in each nibble), the masks passed in. */
static inline __attribute__((always_inline)) uint32_t tg_b1_nibbles(uint32_t x, uint32_t m1, uint32_t m2)
{
    x = x - ((x >> 1) & m1);
    return (x & m2) + ((x >> 2) & m2);
}

/*
 * popcount(a[i] ^ w[i]) summed over i < n, n <= 31 * 8 + 7 words: an odd first word
 * starts the "ones" carry-save word (free), then Harley-Seal over blocks of 8 words
 * (seven carry-save adders leave an "eights" word, whose per-byte counts add up in a
 * byte vector: at most 8 per byte and block, so 31 blocks cannot carry), one block of 4,
 * one pair. The final ones + 2 twos add as nibble counts (at most 12 per nibble) before
 * the nibbles fold into bytes, and 4 fours join as bytes (at most 56): one USADA8.
 */
static inline __attribute__((always_inline)) int32_t tg_b1_count_run(const uint32_t *a, const uint32_t *w,
                                                                    int32_t n)
{
    /* m1, m2 in registers (AND with a shifted register operand); 0x0F0F0F0F is an immediate */
    uint32_t m1 = 0x55555555u, m2 = 0x33333333u;
    const uint32_t m4 = 0x0F0F0F0Fu;
    uint32_t ones = 0u, twos = 0u, fours = 0u, b8 = 0u, s1 = 0u, lo;
    __asm__("" : "+r"(m1), "+r"(m2));
    if ((n & 1) != 0) {
        ones = *a++ ^ *w++;
        --n;
    }
    for (; n >= 8; n -= 8) {
        uint32_t x0, x1, t0, t1, f0, f1, eights;
        tg_b1_xor2(&a, &w, &x0, &x1);
        TG_B1_CSA(t0, ones, ones, x0, x1);
        tg_b1_xor2(&a, &w, &x0, &x1);
        TG_B1_CSA(t1, ones, ones, x0, x1);
        TG_B1_CSA(f0, twos, twos, t0, t1);
        tg_b1_xor2(&a, &w, &x0, &x1);
        TG_B1_CSA(t0, ones, ones, x0, x1);
        tg_b1_xor2(&a, &w, &x0, &x1);
        TG_B1_CSA(t1, ones, ones, x0, x1);
        TG_B1_CSA(f1, twos, twos, t0, t1);
        TG_B1_CSA(eights, fours, fours, f0, f1);
        b8 += tg_b1_bytes(eights, m1, m2, m4);
    }
    if (n >= 4) {
        uint32_t x0, x1, t0, t1, f0;
        tg_b1_xor2(&a, &w, &x0, &x1);
        TG_B1_CSA(t0, ones, ones, x0, x1);
        tg_b1_xor2(&a, &w, &x0, &x1);
        TG_B1_CSA(t1, ones, ones, x0, x1);
        TG_B1_CSA(f0, twos, twos, t0, t1);
        s1 = __usada8(tg_b1_bytes(f0, m1, m2, m4) << 2, 0u, s1);
        n -= 4;
    }
    if (n >= 2) {
        uint32_t x0, x1, t0;
        tg_b1_xor2(&a, &w, &x0, &x1);
        TG_B1_CSA(t0, ones, ones, x0, x1);
        s1 = __usada8(tg_b1_bytes(t0, m1, m2, m4) << 1, 0u, s1);
    }
    /* ones + 2 twos per nibble: at most 4 + 8; per byte, with 4 fours: at most 24 + 32 */
    lo = tg_b1_nibbles(ones, m1, m2) + (tg_b1_nibbles(twos, m1, m2) << 1);
    lo = (lo & m4) + ((lo >> 4) & m4) + (tg_b1_bytes(fours, m1, m2, m4) << 2);
    s1 = __usada8(lo, 0u, s1);
    return (int32_t)(s1 + 8u * __usada8(b8, 0u, 0u));
}

/* Output channels tg_b1_field_counts counts per call (one packed output word). */
#define TG_B1_COUNT_GROUP 32

/*
 * counts[j] = popcount(field[i] ^ w[j * run + i]) over i < run, for j < n_oc
 * (n_oc <= TG_B1_COUNT_GROUP): the channels' weights follow each other, run words apart.
 */
static inline void tg_b1_field_counts(const uint32_t *field, const uint32_t *w, int32_t run, int32_t n_oc,
                                      int32_t *counts)
{
    int32_t j;
    if (run == 9) {
        for (j = 0; j < n_oc; ++j, w += 9) {
            counts[j] = tg_b1_count_run(field, w, 9);
        }
    } else if (run == 18) {
        for (j = 0; j < n_oc; ++j, w += 18) {
            counts[j] = tg_b1_count_run(field, w, 18);
        }
    } else {
        for (j = 0; j < n_oc; ++j, w += run) {
            counts[j] = tg_b1_count_run(field, w, run);
        }
    }
}

#endif /* TG_CONV2D_B1_RUN_DSP_H */
