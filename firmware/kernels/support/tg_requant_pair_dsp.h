/*
 * The requantization of two output pixels at a time for ARMv7E-M kernels that keep both
 * pixels' int32 sums per channel (tg_conv2d_u2_s2_s8_dsp, tg_conv2d_s8_b1lut_s8_dsp): each
 * channel's constants (corr + bias, 2 m, 2^(n-1) + zp 2^n, n; tg_pair_channels, once per
 * call) loaded by one LDM for both pixels, tg_requantize_bounded with the output zero point
 * folded into its rounding term ((T + zp 2^n) >> n = (T >> n) + zp) where every channel
 * allows it, else tg_requantize_fast (tg_pair_out).
 */
#ifndef TG_REQUANT_PAIR_DSP_H
#define TG_REQUANT_PAIR_DSP_H

#include <stdint.h>

#include "tg_requant.h"

/* a channel's constants: corr + bias, and tg_pair_requant's (tg_pair_channels) */
typedef struct {
    int32_t cb, m2, half, n;
} tg_pair_chan_t;

/* tg_pair_requant's operands beside the two accumulator arrays and the outputs */
typedef struct {
    const tg_pair_chan_t *chan;     /* the channels' constants */
    int32_t acc1_off;               /* bytes from pixel 0's accumulator to pixel 1's */
    int32_t out1_off;               /* bytes from pixel 0's output to pixel 1's */
    int32_t lo, hi;                 /* the output clamp */
} tg_pair_rq_t;

/*
 * n >= 1 channels of both pixels to int8: per channel corr + bias added to the sums, then
 * tg_requantize_bounded with the output
 * zero point folded in (chan->half = 2^(n-1) + zp 2^n, as (T + zp 2^n) >> n = (T >> n) + zp),
 * then the clamp; the channel's constants (one LDM) serve both pixels. 16 instructions an
 * output.
 */
__attribute__((naked, noinline, unused)) static void tg_pair_requant(const int32_t *acc0 __attribute__((unused)),
                                                             int8_t *out0 __attribute__((unused)),
                                                             int32_t n __attribute__((unused)),
                                                             const tg_pair_rq_t *rq __attribute__((unused)))
{
    __asm__ volatile(
        "push {r4-r11, lr}\n\t"
        "add r2, r1, r2\n\t"                    /* end of pixel 0's outputs */
        "ldm r3, {r3, r4, r5, r6, r7}\n\t"      /* chan, acc1_off, out1_off, lo, hi */
        "1:\n\t"
        "ldm r3!, {r8, r9, r10, r11}\n\t"       /* cb, m2, half, n */
        "ldr r12, [r0, r4]\n\t"                 /* pixel 1's sum */
        "ldr lr, [r0], #4\n\t"                  /* pixel 0's */
        "add r12, r12, r8\n\t"                  /* + corr + bias: the accumulators */
        "add lr, lr, r8\n\t"
        "mov r8, #0x80000000\n\t"
        "smlal r8, r10, r12, r9\n\t"
        "add r10, r10, r12\n\t"
        "add r10, r10, r12, asr #31\n\t"
        "asr r10, r10, r11\n\t"
        "cmp r10, r6\n\t"
        "it lt\n\t"
        "movlt r10, r6\n\t"
        "cmp r10, r7\n\t"
        "it gt\n\t"
        "movgt r10, r7\n\t"
        "strb r10, [r1, r5]\n\t"
        "ldr r10, [r3, #-8]\n\t"                /* half again */
        "mov r8, #0x80000000\n\t"
        "smlal r8, r10, lr, r9\n\t"
        "add r10, r10, lr\n\t"
        "add r10, r10, lr, asr #31\n\t"
        "asr r10, r10, r11\n\t"
        "cmp r10, r6\n\t"
        "it lt\n\t"
        "movlt r10, r6\n\t"
        "cmp r10, r7\n\t"
        "it gt\n\t"
        "movgt r10, r7\n\t"
        "strb r10, [r1], #1\n\t"
        "cmp r1, r2\n\t"
        "bne 1b\n\t"
        "pop {r4-r11, pc}\n\t");
}

/* acc to int8 by tg_requantize_fast (any multiplier and shift), the zero point and the clamp */
static inline __attribute__((always_inline)) int8_t tg_pair_fast(int32_t acc, int32_t multiplier, int32_t shift,
                                                                 int32_t zp, int32_t lo, int32_t hi)
{
    int32_t y = tg_requantize_fast(acc, multiplier, shift) + zp;
    y = y < lo ? lo : y;
    return (int8_t)(y > hi ? hi : y);
}

/*
 * The channels' constants (O4 = out_c rounded up to 4 of them, the extra ones zero): cb =
 * corr + bias, and where every channel allows it (the return value, 1) tg_pair_requant's:
 * multiplier in [2^30, 2^31), n = -shift in [1, 22], |acc| < 2^30 with |acc - cb| <= max_sum
 * (the kernel's bound on its sums), and 2^(n-1) + 128 * 2^n < 2^30 so that the folded zero
 * point cannot overflow (tg_requantize_bounded's proof keeps T within +-2^30 + 2^(n-1)).
 */
static inline int32_t tg_pair_channels(int32_t out_c, int32_t zp, const int32_t *corr, const int32_t *bias,
                                       const int32_t *multiplier, const int8_t *shift, int32_t max_sum,
                                       tg_pair_chan_t *chan)
{
    const int32_t limit = max_sum < ((int32_t)1 << 30) ? ((int32_t)1 << 30) - max_sum : 0;
    const int32_t o4 = (out_c + 3) / 4 * 4;
    int32_t bounded = 1, o;
    for (o = 0; o < o4; ++o) {
        int32_t cb = 0, m = (int32_t)1 << 30, n = 1, wraps = 0, ok;
        if (o < out_c) {
            wraps = __builtin_add_overflow(corr[o], bias != NULL ? bias[o] : 0, &cb);
            m = multiplier[o];
            n = -shift[o];
        }
        ok = !wraps && m >= ((int32_t)1 << 30) && n >= 1 && n <= 22 && cb < limit && cb > -limit;
        chan[o].cb = cb;                /* (wrapped as the portable kernels' int32 sum where it overflows) */
        chan[o].m2 = (int32_t)((uint32_t)m << 1);
        chan[o].n = ok ? n : 1;
        chan[o].half = ok ? ((int32_t)1 << (n - 1)) + zp * ((int32_t)1 << n) : 0;
        bounded &= ok;
    }
    return bounded;
}

/*
 * Both pixels' accumulators (acc0 + corr + bias, acc1 = acc0 + acc1_words) to int8 at out0
 * and out0 + out1_off (the same pixel twice where both offsets are 0): tg_pair_requant where
 * `bounded`, else tg_requantize_fast with the zero point and the clamp.
 */
static inline void tg_pair_out(int32_t out_c, int32_t zp, int32_t lo, int32_t hi, const tg_pair_chan_t *chan,
                               int32_t bounded, const int32_t *acc0, int32_t acc1_words, int8_t *out0,
                               int32_t out1_off, const int32_t *multiplier, const int8_t *shift)
{
    int32_t o;
    if (bounded) {
        const tg_pair_rq_t rq = {chan, 4 * acc1_words, out1_off, lo, hi};
        tg_pair_requant(acc0, out0, out_c, &rq);
        return;
    }
    for (o = 0; o < out_c; ++o) {
        const int32_t m = multiplier[o], s = shift[o], cb = chan[o].cb;
        const int32_t a0 = acc0[o] + cb, a1 = acc0[acc1_words + o] + cb;
        const int8_t y1 = tg_pair_fast(a1, m, s, zp, lo, hi);
        const int8_t y0 = tg_pair_fast(a0, m, s, zp, lo, hi);
        out0[out1_off + o] = y1;
        out0[o] = y0;
    }
}

#endif /* TG_REQUANT_PAIR_DSP_H */
