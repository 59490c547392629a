/*
 * tg_avg_pool2d_global_pow2_s8_dsp: a global average pool (the window is the whole input,
 * no padding, one output pixel) over 2^k pixels, 2 <= 2^k <= 256, on a multiple of 16
 * channels, int8, for ARMv7E-M (Cortex-M4/M7 DSP extension): the gated layers' saliency
 * predictors' mean over 8x8 or 16x16 pixels. Equals tg_avg_pool2d_s8 bit for bit (TFLite's
 * reference AveragePool, and its MEAN over H, W with equal input and output quantization:
 * the sum divided by the count, halves rounded away from zero); numpy twin:
 * tinygen.ref.kernels.avg_pool2d_s8. tinygen/kernels/dsp_table.py chooses it only where those
 * conditions hold, before tg_avg_pool2d_s8_dsp; its own file, so that a model with no such
 * pool links none of it.
 *
 * Per block of 16 channels one run over the pixels, four per loop step: per pixel one LDM
 * of its 16 bytes, the step to the next pixel and eight SXTAB16 into eight words of int16
 * lanes (256 pixels of int8 fit an int16: 256 * -128 = -32768; 10 instructions per 16
 * bytes), then each lane divided by the count with a shift, (sum + 2^(k-1) - [sum < 0]) >> k
 * (floor of (sum + 2^(k-1) - 1) / 2^k rounds a negative half away from zero, as the division
 * does), two lanes per instruction: SADD16 with 0 sets a GE flag per lane where the sum is
 * >= 0, SEL picks 2^(k-1) or 2^(k-1) - 1 by it, SADD16 adds it (no lane overflows: |sum| <=
 * 32768, the constant <= 128); the quotient's low byte is bits k..k+7 of its lane (k <= 8),
 * so a shift of the word and UXTB16 give two channels' bytes, and the two words of a block
 * of 4 channels (channels 0, 2 and 1, 3) merge into one word stored whole. Loop order:
 * channel blocks in increasing order, each block's 16 outputs written after all of its reads.
 *
 * input: int8 [pixels][channels], word-aligned (the planner aligns every buffer to 16
 * bytes); output: int8 [channels]. The clamp is the full int8 range (p->act_min = -128,
 * p->act_max = 127: an average of int8 values needs none).
 *
 * Needs __ARM_FEATURE_DSP (-mcpu=cortex-m4 / cortex-m7).
 */
#include <arm_acle.h>
#include <stdint.h>
#include <string.h>

#include "tg_kernels.h"

/* Four channels' quotients as one word: lanes a (channels 0, 2) and b (channels 1, 3) of
   int16 sums, each (sum + half - [sum < 0]) >> shift (half = 2^(shift-1), 1 <= shift <= 8). */
static inline __attribute__((always_inline)) uint32_t tg_ap2_out4(int32_t a, int32_t b, int32_t half2,
                                                                  int32_t half2m1, int32_t shift)
{
    uint32_t ra, rb;
    (void)__sadd16(a, 0);           /* GE: the lanes >= 0 */
    ra = (uint32_t)__sadd16(a, (int16x2_t)__sel((uint8x4_t)half2, (uint8x4_t)half2m1));
    (void)__sadd16(b, 0);
    rb = (uint32_t)__sadd16(b, (int16x2_t)__sel((uint8x4_t)half2, (uint8x4_t)half2m1));
    return __uxtb16(ra >> shift) | __uxtb16(rb >> shift) << 8;
}

/* One pixel of 16 channels at x (then x on by step): one LDM (v0..v3, ascending registers)
   and eight SXTAB16 into the int16 lanes a0..a7 (words 2i: channels 4i, 4i + 2; 2i + 1:
   channels 4i + 1, 4i + 3). */
#define TG_AP2_PIXEL16_ASM                                     \
    "ldm    %[x], {%[v0], %[v1], %[v2], %[v3]}\n\t"            \
    "add    %[x], %[x], %[step]\n\t"                           \
    "sxtab16 %[a0], %[a0], %[v0]\n\t"                          \
    "sxtab16 %[a1], %[a1], %[v0], ror #8\n\t"                  \
    "sxtab16 %[a2], %[a2], %[v1]\n\t"                          \
    "sxtab16 %[a3], %[a3], %[v1], ror #8\n\t"                  \
    "sxtab16 %[a4], %[a4], %[v2]\n\t"                          \
    "sxtab16 %[a5], %[a5], %[v2], ror #8\n\t"                  \
    "sxtab16 %[a6], %[a6], %[v3]\n\t"                          \
    "sxtab16 %[a7], %[a7], %[v3], ror #8\n\t"

/* pixels (2 or a multiple of 4) pixels of 16 channels from x, step bytes apart, summed into
   int16 lanes and divided by 2^shift = pixels into out[0..15]: four pixels per loop step
   (all 14 registers are taken: the end lives in memory; its own function, as a loop
   around the LDM would leave it none). */
static __attribute__((noinline)) void tg_ap2_run16(const int8_t *x, int32_t step, int32_t pixels,
                                                               int32_t shift, int8_t *out)
{
    const int8_t *const end = x + pixels * step;
    const int32_t half2 = (int32_t)(0x00010001u << (shift - 1)), half2m1 = half2 - 0x00010001;
    register int32_t v0 __asm__("r4");
    register int32_t v1 __asm__("r5");
    register int32_t v2 __asm__("r6");
    register int32_t v3 __asm__("r7");
    int32_t a0 = 0, a1 = 0, a2 = 0, a3 = 0, a4 = 0, a5 = 0, a6 = 0, a7 = 0;
    uint32_t w;
    __asm__ volatile(
        "ldr    %[v0], %[end]\n\t"          /* 2 pixels: the loop's second half only */
        "sub    %[v0], %[v0], %[x]\n\t"
        "cmp    %[v0], %[step], lsl #1\n\t"
        "beq    2f\n\t"
        "1:\n\t"
        TG_AP2_PIXEL16_ASM
        TG_AP2_PIXEL16_ASM
        "2:\n\t"
        TG_AP2_PIXEL16_ASM
        TG_AP2_PIXEL16_ASM
        "ldr    %[v0], %[end]\n\t"
        "cmp    %[x], %[v0]\n\t"
        "bne    1b\n\t"
        : [x] "+&r"(x), [v0] "=&r"(v0), [v1] "=&r"(v1), [v2] "=&r"(v2), [v3] "=&r"(v3), [a0] "+&r"(a0),
          [a1] "+&r"(a1), [a2] "+&r"(a2), [a3] "+&r"(a3), [a4] "+&r"(a4), [a5] "+&r"(a5), [a6] "+&r"(a6),
          [a7] "+&r"(a7)
        : [step] "r"(step), [end] "m"(end)
        : "memory", "cc");
    w = tg_ap2_out4(a0, a1, half2, half2m1, shift);
    memcpy(out, &w, sizeof w);
    w = tg_ap2_out4(a2, a3, half2, half2m1, shift);
    memcpy(out + 4, &w, sizeof w);
    w = tg_ap2_out4(a4, a5, half2, half2m1, shift);
    memcpy(out + 8, &w, sizeof w);
    w = tg_ap2_out4(a6, a7, half2, half2m1, shift);
    memcpy(out + 12, &w, sizeof w);
}

void tg_avg_pool2d_global_pow2_s8_dsp(const tg_pool2d_params_t *p, const int8_t *input, int8_t *output)
{
    const int32_t pixels = p->in_h * p->in_w, channels = p->channels;
    int32_t shift = 1, c;
    while ((1 << shift) < pixels) {
        ++shift;
    }
    for (c = 0; c < channels; c += 16) {
        tg_ap2_run16(input + c, channels, pixels, shift, output + c);
    }
}
