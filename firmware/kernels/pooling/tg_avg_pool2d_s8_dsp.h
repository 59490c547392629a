/*
 * One pixel of 16 int8 channels added to eight int16-lane sums, shared by the average pools
 * tg_avg_pool2d_s8_dsp and tg_avg_pool2d_global_pow2_s8_dsp (asm text for their loops).
 * Operands: x (advanced by step), step, v0 and v1 (temporaries), a0..a7 the lanes (words 2i:
 * channels 4i, 4i + 2; 2i + 1: channels 4i + 1, 4i + 3): two LDRD and eight SXTAB16.
 */
#ifndef TG_AVG_POOL2D_S8_DSP_H
#define TG_AVG_POOL2D_S8_DSP_H

#define TG_AP_PIXEL16_ASM                              \
    "ldrd   %[v0], %[v1], [%[x]]\n\t"                   \
    "sxtab16 %[a0], %[a0], %[v0]\n\t"                   \
    "sxtab16 %[a1], %[a1], %[v0], ror #8\n\t"           \
    "sxtab16 %[a2], %[a2], %[v1]\n\t"                   \
    "sxtab16 %[a3], %[a3], %[v1], ror #8\n\t"           \
    "ldrd   %[v0], %[v1], [%[x], #8]\n\t"               \
    "add    %[x], %[x], %[step]\n\t"                    \
    "sxtab16 %[a4], %[a4], %[v0]\n\t"                   \
    "sxtab16 %[a5], %[a5], %[v0], ror #8\n\t"           \
    "sxtab16 %[a6], %[a6], %[v1]\n\t"                   \
    "sxtab16 %[a7], %[a7], %[v1], ror #8\n\t"

#endif
