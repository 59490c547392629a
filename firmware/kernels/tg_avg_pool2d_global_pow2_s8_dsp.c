/*
 * tg_avg_pool2d_global_pow2_s8_dsp: a global average pool (the window is the whole input,
 * no padding, one output pixel) over 2^k pixels, 2 <= 2^k <= 256, on a multiple of 16
 * channels, int8, for ARMv7E-M (Cortex-M4/M7 DSP extension): the gated layers' saliency
 * predictors' mean over 8x8 or 16x16 pixels. Equals tg_avg_pool2d_s8 bit for bit (TFLite's
 * reference AveragePool, and its MEAN over H, W with equal input and output quantization:
 * the sum divided by the count, halves rounded away from zero); numpy twin:
 * tinygen.ref.kernels.avg_pool2d_s8. tinygen/kernels/table.py chooses it only where those
 * conditions hold, before tg_avg_pool2d_s8_dsp; its own file, so that a model with no such
 * pool links none of it.
 *
 * Per block of 16 channels one run over the pixels, four per loop step: per pixel two LDRD
 * and eight SXTAB16 into eight words of int16 lanes (256 pixels of int8 fit an int16: 256 *
 * -128 = -32768), then each lane divided by the count with a shift, (sum + 2^(k-1) -
 * [sum < 0]) >> k (floor of (sum + 2^(k-1) - 1) / 2^k rounds a negative half away from
 * zero, as the division does). Loop order: channel blocks in increasing order, each block's
 * 16 outputs written after all of its reads.
 *
 * input: int8 [pixels][channels], word-aligned (the planner aligns every buffer to 16
 * bytes); output: int8 [channels]. The clamp is the full int8 range (p->act_min = -128,
 * p->act_max = 127: an average of int8 values needs none).
 *
 * Needs __ARM_FEATURE_DSP (-mcpu=cortex-m4 / cortex-m7).
 */
#include <arm_acle.h>
#include <stdint.h>

#include "tg_avg_pool2d_s8_dsp.h"
#include "tg_kernels.h"

/* sum / 2^shift (shift >= 1) rounded half away from zero */
static inline int8_t tg_ap2_out(int32_t sum, int32_t shift)
{
    return (int8_t)((sum + (1 << (shift - 1)) + (sum >> 31)) >> shift);
}

/* pixels (2 or a multiple of 4) pixels of 16 channels from x, step bytes apart, summed into
   the int16 lanes acc[0..7] (words 2i: channels 4i, 4i + 2; 2i + 1: channels 4i + 1,
   4i + 3): four pixels per loop step. */
static inline __attribute__((always_inline)) void tg_ap2_run16(const int8_t *x, int32_t step, int32_t pixels,
                                                               int32_t *acc)
{
    const int8_t *const end = x + pixels * step;
    int32_t a0 = 0, a1 = 0, a2 = 0, a3 = 0, a4 = 0, a5 = 0, a6 = 0, a7 = 0;
    int32_t v0, v1;
    __asm__ volatile(
        "sub    %[v0], %[end], %[x]\n\t"   /* 2 pixels: the loop's second half only */
        "cmp    %[v0], %[step], lsl #1\n\t"
        "beq    2f\n\t"
        "1:\n\t"
        TG_AP_PIXEL16_ASM
        TG_AP_PIXEL16_ASM
        "2:\n\t"
        TG_AP_PIXEL16_ASM
        TG_AP_PIXEL16_ASM
        "cmp    %[x], %[end]\n\t"
        "bne    1b\n\t"
        : [x] "+&r"(x), [v0] "=&r"(v0), [v1] "=&r"(v1), [a0] "+&r"(a0), [a1] "+&r"(a1), [a2] "+&r"(a2),
          [a3] "+&r"(a3), [a4] "+&r"(a4), [a5] "+&r"(a5), [a6] "+&r"(a6), [a7] "+&r"(a7)
        : [step] "r"(step), [end] "r"(end)
        : "memory", "cc");
    acc[0] = a0;
    acc[1] = a1;
    acc[2] = a2;
    acc[3] = a3;
    acc[4] = a4;
    acc[5] = a5;
    acc[6] = a6;
    acc[7] = a7;
}

void tg_avg_pool2d_global_pow2_s8_dsp(const tg_pool2d_params_t *p, const int8_t *input, int8_t *output)
{
    const int32_t pixels = p->in_h * p->in_w, channels = p->channels;
    int32_t shift = 1, c, i;
    while ((1 << shift) < pixels) {
        ++shift;
    }
    for (c = 0; c < channels; c += 16, output += 16) {
        int32_t acc[8];
        tg_ap2_run16(input + c, channels, pixels, acc);
#pragma GCC unroll 4
        for (i = 0; i < 4; ++i) {
            output[4 * i] = tg_ap2_out((int16_t)acc[2 * i], shift);
            output[4 * i + 1] = tg_ap2_out((int16_t)acc[2 * i + 1], shift);
            output[4 * i + 2] = tg_ap2_out(acc[2 * i] >> 16, shift);
            output[4 * i + 3] = tg_ap2_out(acc[2 * i + 1] >> 16, shift);
        }
    }
}
