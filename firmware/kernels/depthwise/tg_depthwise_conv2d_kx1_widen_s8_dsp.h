/*
 * The widening of tg_depthwise_conv2d_kx1_s8_dsp (included by that file only): a block of
 * 4 channels copied into scratch as int16 pairs with the input offset added (see the .c file).
 */
#ifndef TG_DEPTHWISE_CONV2D_KX1_WIDEN_S8_DSP_H
#define TG_DEPTHWISE_CONV2D_KX1_WIDEN_S8_DSP_H

#include <arm_acle.h>
#include <stdint.h>

#include "tg_depthwise_conv2d_kx1_s8_dsp.h"
#include "tg_dsp_s8.h"

/* The 4 channels of pixel t (channels c.. of a block of n), or the zero point's bytes outside 0..L-1. */
static inline int32_t tg_dw_kx1_pixel(const int8_t *in, int32_t t, int32_t len, int32_t channels, int32_t n, int32_t zp4)
{
    int32_t v = zp4, k;
    if ((uint32_t)t >= (uint32_t)len) {
        return zp4;
    }
    if (n == 4) {
        return tg_dsp_load_s8x4(in + t * channels);
    }
    for (k = 0; k < n; ++k) {
        v = (int32_t)(((uint32_t)v & ~(0xFFu << (8 * k))) | ((uint32_t)(uint8_t)in[t * channels + k] << (8 * k)));
    }
    return v;
}

/* Two pixels' 4 channels as int16 (+ input offset), pixel a low, b high: the 4 channels' words. */
static void tg_dw_kx1_put(int32_t *dst, int32_t va, int32_t vb, int32_t offset2)
{
    const int32_t a02 = __sxtab16(offset2, va), a13 = tg_dsp_sxtab16_odd(offset2, va);
    const int32_t b02 = __sxtab16(offset2, vb), b13 = tg_dsp_sxtab16_odd(offset2, vb);
    dst[0] = tg_dsp_pkhbt(a02, b02);
    dst[1] = tg_dsp_pkhbt(a13, b13);
    dst[2] = tg_dsp_pkhtb(b02, a02);
    dst[3] = tg_dsp_pkhtb(b13, a13);
}

/*
 * count words of 4 channels, each from the pixels at in and in + step bytes, the next
 * 2 * step bytes on: per word two loads, SXTAB16 (input offset added) and PKHBT / PKHTB
 * to pair the pixels per channel, one STM of the 4 channels' words.
 */
static void tg_dw_kx1_widen_run(const int8_t *in, int32_t step, int32_t count, int32_t offset2, int32_t *dst)
{
    int32_t va, vb, t;
    if (count <= 0) {
        return;
    }
    __asm__ volatile("1:\n\t"
                     "ldr %[va], [%[in]]\n\t"
                     "ldr %[vb], [%[in], %[step]]\n\t"
                     "add %[in], %[in], %[step], lsl #1\n\t"
                     "sxtab16 %[t], %[off], %[va]\n\t"
                     "sxtab16 %[va], %[off], %[va], ror #8\n\t"
                     "sxtab16 r10, %[off], %[vb]\n\t"
                     "sxtab16 %[vb], %[off], %[vb], ror #8\n\t"
                     "pkhbt r8, %[t], r10, lsl #16\n\t"
                     "pkhtb r10, r10, %[t], asr #16\n\t"
                     "pkhbt r9, %[va], %[vb], lsl #16\n\t"
                     "pkhtb r11, %[vb], %[va], asr #16\n\t"
                     "stmia %[dst]!, {r8, r9, r10, r11}\n\t"
                     "subs %[count], %[count], #1\n\t"
                     "bne 1b"
                     : [in] "+r"(in), [dst] "+r"(dst), [count] "+r"(count), [va] "=&r"(va), [vb] "=&r"(vb),
                       [t] "=&r"(t)
                     : [step] "r"(step), [off] "r"(offset2)
                     : "r8", "r9", "r10", "r11", "cc", "memory");
}

/*
 * The block's channels widened into scratch: word j of phase r at
 * wide + (r * words + j) * 4 + k for channel k, words = tg_dw_kx1_phase_words, holding
 * the padded positions r + 2jd and r + (2j + 1)d, i.e. input pixels (those minus pad).
 */
static void tg_dw_kx1_widen(const int8_t *in, const tg_dw_kx1_geom_t *g, int32_t channels, int32_t n,
                            int32_t zp4, int32_t offset2, int32_t *wide)
{
    const int32_t words = tg_dw_kx1_phase_words(g), d = g->dilation;
    int32_t r, j;
    for (r = 0; r < d; ++r) {
        int32_t *dst = wide + 4 * r * words;
        int32_t t = r - g->pad;
        j = 0;
        /* pairs with a pixel before the sequence */
        for (; j < words && t < 0; ++j, t += 2 * d) {
            tg_dw_kx1_put(dst + 4 * j, tg_dw_kx1_pixel(in, t, g->len, channels, n, zp4),
                          tg_dw_kx1_pixel(in, t + d, g->len, channels, n, zp4), offset2);
        }
        if (n == 4) {
            /* pairs of pixels both inside the sequence */
            int32_t count = t + d < g->len ? (g->len - 1 - t - d) / (2 * d) + 1 : 0;
            count = count < words - j ? count : words - j;
            tg_dw_kx1_widen_run(in + t * channels, d * channels, count, offset2, dst + 4 * j);
            j += count;
            t += 2 * d * count;
        }
        for (; j < words && t < g->len; ++j, t += 2 * d) {
            tg_dw_kx1_put(dst + 4 * j, tg_dw_kx1_pixel(in, t, g->len, channels, n, zp4),
                          tg_dw_kx1_pixel(in, t + d, g->len, channels, n, zp4), offset2);
        }
        /* both pixels after the sequence: zero */
        for (; j < words; ++j) {
            dst[4 * j] = dst[4 * j + 1] = dst[4 * j + 2] = dst[4 * j + 3] = 0;
        }
    }
}

#endif
