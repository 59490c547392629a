/*
 * tg_conv2d_s8_planes_s8_dsp: tg_conv2d_s8_planes_s8 for ARMv7E-M (Cortex-M4/M7, DSP
 * extension: USADA8; no popcount instruction). Same arguments and bytes as the portable
 * kernel; numpy twin: tinygen.ref.bitserial.conv2d_s8_planes_s8.
 *
 * Per output pixel the receptive field is sliced into a_bits planes once (tg_conv2d_planes.h).
 * Per output channel, all k * A runs (weight plane t AND field plane m, n = run words) go
 * through ONE Harley-Seal carry-save counter, in Horner order of their weight 2^(level(t) + m):
 * the runs of the highest level first, then the counter is doubled (ones -> twos -> fours ->
 * counted eights: one byte count), the next level's runs, ... so the final byte counts are
 * done once per channel, not once per run. The top plane's negative coefficient
 * -2^level: -popcount(p AND u) = popcount(NOT (p AND u)) - 32 n, so its runs count the
 * complement and the constant 2^level * 32 n * (2^A - 1) is subtracted at the end.
 * Words per run: blocks of 8 (LDRD pairs, seven carry-save adders, the eights' byte counts
 * summed by USADA8), then a block of 4 and single words carried into the same levels:
 * about 7.5 instructions per counted word in the blocks of 8 (M7), plus per run the pointer
 * and counter set-up, so short runs (1x1 convolutions: 4 words at 128 channels) pay more.
 *
 * Executed instructions per MAC (benchmarks/bitserial.py, M7 / M4 stand-ins), against the
 * kernel a separate-storage build uses for the switch (in brackets, M7):
 *                   3x3 64->64 8x8          1x1 128->128 8x8        FC 256->256
 *   w8a8            25.29 / 25.28 (1.21)    41.45 / 41.93 (1.34)    28.00 / 28.25 (1.82)  s8_dsp
 *   w4a4             6.74 /  6.73 (1.50)    11.57 / 11.67 (1.68)     7.60 /  7.66 (2.26)  s8_s4_s8_dsp
 *   w2a2             1.98 /  1.98 (1.47)     3.75 /  3.77 (1.68)     2.33 /  2.34 (2.21)  s8_s2_s8_dsp
 *   w1a8             4.04 /  4.04 (3.05)     7.29 /  7.34 (3.79)     4.55 /  4.58 (3.26)  s8_b1_s8_dsp
 * Bit-serial loses everywhere on these cores (no popcount instruction): by 1.06-2.2x at
 * w2a2, 1.3-1.9x at w1a8, 3.4-6.9x at w4a4 and 15-31x at w8a8; its gain is storage (one
 * 8-bit copy serves every switch) with work proportional to k * A.
 */
#include <arm_acle.h>
#include <stddef.h>

#include "tg_conv2d_b1_dsp.h"
#include "tg_conv2d_planes.h"
#include "tg_kernels_planes.h"

/* The carry-save counter: value = popcount(ones) + 2 popcount(twos) + 4 popcount(fours) + 8 eights. */
typedef struct {
    uint32_t ones, twos, fours, eights;
} tg_planes_hs_t;

/* *x0 = a[0] & w[0], *x1 = a[1] & w[1] (each complemented with inv), a and w stepped on by 2 words. */
static inline __attribute__((always_inline)) void tg_planes_and2(const uint32_t **a, const uint32_t **w,
                                                                 uint32_t inv, uint32_t *x0, uint32_t *x1)
{
    uint32_t a0, a1, w0, w1;
    __asm__("ldrd %0, %1, [%2], #8" : "=&r"(a0), "=&r"(a1), "+r"(*a) : "m"(*(const tg_b1_u64_alias_t *)*a));
    __asm__("ldrd %0, %1, [%2], #8" : "=&r"(w0), "=&r"(w1), "+r"(*w) : "m"(*(const tg_b1_u64_alias_t *)*w));
    *x0 = (a0 & w0) ^ inv;
    *x1 = (a1 & w1) ^ inv;
}

/* Adds popcount((a[i] & w[i]) ^ inv) for i < n to the counter (inv: 0 or all ones). */
static inline __attribute__((always_inline)) void tg_planes_count(tg_planes_hs_t *c, const uint32_t *a,
                                                                  const uint32_t *w, int32_t n, uint32_t inv)
{
    uint32_t m1 = 0x55555555u, m2 = 0x33333333u;
    const uint32_t m4 = 0x0F0F0F0Fu;
    uint32_t ones = c->ones, twos = c->twos, fours = c->fours, eights = c->eights;
    uint32_t x0, x1, t0, t1, f0, f1, e;
    __asm__("" : "+r"(m1), "+r"(m2));
    for (; n >= 8; n -= 8) {
        tg_planes_and2(&a, &w, inv, &x0, &x1);
        TG_B1_CSA(t0, ones, ones, x0, x1);
        tg_planes_and2(&a, &w, inv, &x0, &x1);
        TG_B1_CSA(t1, ones, ones, x0, x1);
        TG_B1_CSA(f0, twos, twos, t0, t1);
        tg_planes_and2(&a, &w, inv, &x0, &x1);
        TG_B1_CSA(t0, ones, ones, x0, x1);
        tg_planes_and2(&a, &w, inv, &x0, &x1);
        TG_B1_CSA(t1, ones, ones, x0, x1);
        TG_B1_CSA(f1, twos, twos, t0, t1);
        TG_B1_CSA(e, fours, fours, f0, f1);
        eights = __usada8(tg_b1_bytes(e, m1, m2, m4), 0u, eights);
    }
    if (n >= 4) {
        tg_planes_and2(&a, &w, inv, &x0, &x1);
        TG_B1_CSA(t0, ones, ones, x0, x1);
        tg_planes_and2(&a, &w, inv, &x0, &x1);
        TG_B1_CSA(t1, ones, ones, x0, x1);
        TG_B1_CSA(f0, twos, twos, t0, t1);
        e = fours & f0;                 /* half adder into the fours */
        fours ^= f0;
        eights = __usada8(tg_b1_bytes(e, m1, m2, m4), 0u, eights);
        n -= 4;
    }
    for (; n > 0; --n) {                /* single words: a half adder per level */
        x0 = (*a++ & *w++) ^ inv;
        t0 = ones & x0;
        ones ^= x0;
        f0 = twos & t0;
        twos ^= t0;
        e = fours & f0;
        fours ^= f0;
        eights = __usada8(tg_b1_bytes(e, m1, m2, m4), 0u, eights);
    }
    c->ones = ones;
    c->twos = twos;
    c->fours = fours;
    c->eights = eights;
}

/* Doubles the counter's value: fours become counted eights, twos fours, ones twos. */
static inline __attribute__((always_inline)) void tg_planes_double(tg_planes_hs_t *c)
{
    c->eights = __usada8(tg_b1_bytes(c->fours, 0x55555555u, 0x33333333u, 0x0F0F0F0Fu), 0u, 2u * c->eights);
    c->fours = c->twos;
    c->twos = c->ones;
    c->ones = 0u;
}

/* The counter's value. */
static inline uint32_t tg_planes_value(const tg_planes_hs_t *c)
{
    const uint32_t m1 = 0x55555555u, m2 = 0x33333333u, m4 = 0x0F0F0F0Fu;
    /* per byte at most 8 + 16 + 32 */
    return __usada8(tg_b1_bytes(c->ones, m1, m2, m4) + (tg_b1_bytes(c->twos, m1, m2, m4) << 1)
                    + (tg_b1_bytes(c->fours, m1, m2, m4) << 2), 0u, 8u * c->eights);
}

/* One run of the Horner order: switch plane t x field plane m, then `doublings` doublings. */
typedef struct {
    uint8_t t, m, top, doublings;
} tg_planes_step_t;

/* The level (log2 of |coefficient|) of switch plane t: t, the top plane of k = 1 is 1 (-2). */
static inline int32_t tg_planes_level(int32_t k, int32_t t)
{
    return k == 1 ? 1 : t;
}

/*
 * The runs of one channel in Horner order (highest level(t) + m first), with the doublings
 * after each; returns their number (k * A <= 64).
 */
static int32_t tg_planes_steps(const tg_conv2d_planes_params_t *p, tg_planes_step_t *steps)
{
    const int32_t k = p->w_bits, a = p->a_bits;
    const int32_t top = tg_planes_level(k, k - 1) + a - 1;
    int32_t n = 0, level, t;
    for (level = top; level >= 0; --level) {
        for (t = 0; t < k; ++t) {
            const int32_t m = level - tg_planes_level(k, t);
            if (m >= 0 && m < a) {
                steps[n].t = (uint8_t)t;
                steps[n].m = (uint8_t)m;
                steps[n].top = (uint8_t)(t == k - 1);
                steps[n++].doublings = 0u;
            }
        }
        if (level > 0 && n > 0) {
            steps[n - 1].doublings++;
        }
    }
    return n;
}

/* acc' of output channel oc from the sliced field. */
static inline __attribute__((always_inline)) int32_t tg_planes_dsp_acc(
    const tg_conv2d_planes_params_t *p, const uint32_t *field, const uint32_t *planes,
    const tg_planes_step_t *steps, int32_t n_steps, int32_t oc, int32_t constant)
{
    const int32_t run = tg_planes_run(p), stride = p->out_c * run;
    const uint32_t *w_oc = tg_planes_weights(p, planes, 0, oc);
    tg_planes_hs_t c = {0u, 0u, 0u, 0u};
    int32_t i, d;
    for (i = 0; i < n_steps; ++i) {
        const uint32_t *u = &field[steps[i].m * run], *w = &w_oc[steps[i].t * stride];
        if (steps[i].top) {
            tg_planes_count(&c, u, w, run, 0xFFFFFFFFu);
        } else {
            tg_planes_count(&c, u, w, run, 0u);
        }
        for (d = 0; d < steps[i].doublings; ++d) {
            tg_planes_double(&c);
        }
    }
    return (int32_t)tg_planes_value(&c) - constant;
}

void tg_conv2d_s8_planes_s8_dsp(const tg_conv2d_planes_params_t *p, const int8_t *input,
                                const uint32_t *planes, const int32_t *bias,
                                const int32_t *multiplier, const int8_t *shift, int8_t *output)
{
    const int fits = tg_planes_field_fits(p);
    /* the complemented top-plane runs' excess: 2^level * 32 run * (2^A - 1) */
    const int32_t constant = (32 * tg_planes_run(p) * ((1 << p->a_bits) - 1)) << tg_planes_level(p->w_bits,
                                                                                                 p->w_bits - 1);
    uint32_t field[TG_PLANES_FIELD_WORDS];
    tg_planes_step_t steps[TG_PLANES * TG_PLANES];
    const int32_t n_steps = tg_planes_steps(p, steps);
    int32_t out_y, out_x, oc;

    for (out_y = 0; out_y < p->out_h; ++out_y) {
        for (out_x = 0; out_x < p->out_w; ++out_x) {
            int32_t base = 0;
            if (fits) {
                tg_planes_field(p, input, out_y, out_x, field);
                base = tg_planes_base(p, field);
            }
            for (oc = 0; oc < p->out_c; ++oc) {
                const int32_t acc = fits ? base + tg_planes_dsp_acc(p, field, planes, steps, n_steps, oc, constant)
                                         : tg_planes_acc_words(p, input, planes, out_y, out_x, oc);
                *output++ = tg_planes_out(p, acc, bias, multiplier, shift, oc);
            }
        }
    }
}
