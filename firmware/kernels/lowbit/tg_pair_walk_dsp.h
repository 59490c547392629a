/*
 * tg_pair_walk_u4_dsp: the assembly walk of the pixel-pair 4-bit kernel's in-place field
 * (tg_pair_walk.h's tg_pair_walk_fn, for ARMv7E-M: Cortex-M4 / M7), included by
 * tg_conv2d_pair_u4_s4_s8_dsp.c only. Equals tg_pair_walk_u4 word for word.
 */
#ifndef TG_PAIR_WALK_DSP_H
#define TG_PAIR_WALK_DSP_H

#include <stdint.h>

#include "tg_pair_walk.h"

/* a field word from bytes 0, 1, 2 of register v (lanes at bits 0, 14, 28), stored at r1 (8 bytes on); uses r7, lr */
#define TG_PAIR_WORD012(v)                      \
    "uxtb r7, " v "\n\t"                        \
    "ubfx lr, " v ", #8, #8\n\t"                \
    "orr r7, r7, lr, lsl #14\n\t"               \
    "lsr lr, " v ", #16\n\t"                    \
    "orr r7, r7, lr, lsl #28\n\t"               \
    "str r7, [r1], #8\n\t"

/* the same from byte 3 of v and bytes 0, 1 of w */
#define TG_PAIR_WORD3_01(v, w)                  \
    "lsr r7, " v ", #24\n\t"                    \
    "uxtb lr, " w "\n\t"                        \
    "orr r7, r7, lr, lsl #14\n\t"               \
    "lsr lr, " w ", #8\n\t"                     \
    "orr r7, r7, lr, lsl #28\n\t"               \
    "str r7, [r1], #8\n\t"

/* lanes 0, 1 of a field word from bytes 2, 3 of v, in r7 (not stored); uses lr */
#define TG_PAIR_WORD23(v)                       \
    "ubfx r7, " v ", #16, #8\n\t"               \
    "lsr lr, " v ", #24\n\t"                    \
    "orr r7, r7, lr, lsl #14\n\t"

/*
 * pads r2 >= 0 taps at r1 (words 8 bytes apart) as the walk at r11 says (a tap: an odd word
 * where full is odd, then the rest of its full words two a turn, then pad_rest where rest > 0);
 * labels P1 .. P6, uses r4-r7, lr
 */
#define TG_PAIR_PAD(P)                                          \
    "cmp r2, #0\n\t"                                            \
    "beq " P "3f\n\t"                                           \
    "ldrd r5, r7, [r11, #36]\n\t"       /* pad_word, pad_rest */ \
    "ldrd r4, r6, [r11, #44]\n\t"       /* full, rest */         \
    P "1:\n\t"                                                  \
    "lsrs lr, r4, #1\n\t"               /* C: full odd, Z: full < 2 */ \
    "bcc " P "6f\n\t"                                           \
    "str r5, [r1], #8\n\t"                                      \
    P "6:\n\t"                                                  \
    "beq " P "2f\n\t"                                           \
    P "4:\n\t"                                                  \
    "str r5, [r1], #8\n\t"                                      \
    "str r5, [r1], #8\n\t"                                      \
    "subs lr, lr, #1\n\t"                                       \
    "bne " P "4b\n\t"                                           \
    P "2:\n\t"                                                  \
    "cbz r6, " P "5f\n\t"                                       \
    "str r7, [r1], #8\n\t"                                      \
    P "5:\n\t"                                                  \
    "subs r2, r2, #1\n\t"                                       \
    "bne " P "1b\n\t"                                           \
    P "3:\n\t"

/*
 * The field of one pixel as its walk says (tg_pair_walk_fn; tg_conv2d_pair.h's tg_pair_walk_t,
 * whose offsets this reads): padded taps by TG_PAIR_PAD, each in-bounds tap's values (x any
 * alignment) 12 a turn: 3 LDR, 3 USADA8 for the sum, 4 words of 5 instructions (UXTB / UBFX /
 * LSR each lane, ORR it into place; a value's bits above 4 are zero, so lane 2 of the third
 * word is v2 shifted left by 28) and a STR each: 31 instructions for 4 words. Then the values
 * left: 8 or 4 (in_c a multiple of 4: two LDR or one), else 6 (LDR, LDRH: 2 words), 3 (LDRH,
 * LDRB), and the last 1 or 2. Stack: [sp] the row's first tap, [sp, #4] the rows
 * left.
 */
__attribute__((naked, noinline)) static int32_t tg_pair_walk_u4_dsp(const tg_pair_walk_t *w __attribute__((unused)),
                                                                    uint32_t *dst __attribute__((unused)))
{
    __asm__ volatile(
        "push {r4-r11, lr}\n\t"
        "sub sp, sp, #8\n\t"
        "mov r11, r0\n\t"
        "movs r3, #0\n\t"                       /* the sum */
        "ldr r2, [r11, #20]\n\t"                /* before */
        TG_PAIR_PAD("1")
        "ldr r2, [r11, #28]\n\t"                /* rows_in */
        "cmp r2, #0\n\t"
        "beq 49f\n\t"
        "ldr r0, [r11, #0]\n\t"                 /* x */
        "ldr r8, [r11, #4]\n\t"                 /* c */
        "ldr r10, [r11, #12]\n\t"
        "sub r10, r10, r8\n\t"                  /* from a tap's end to the next tap */
        "movs r12, #0\n\t"
        "40:\n\t"                               /* a row: r0 its first tap, r2 the rows left */
        "strd r0, r2, [sp]\n\t"
        "ldr r9, [r11, #8]\n\t"                 /* n */
        "41:\n\t"                               /* a tap */
        "subs r2, r8, #12\n\t"
        "blt 43f\n\t"
        "42:\n\t"                               /* 12 values: v0 r4, v1 r5, v2 r6 */
        "ldr r4, [r0], #4\n\t"
        "ldr r5, [r0], #4\n\t"
        "ldr r6, [r0], #4\n\t"
        "usada8 r3, r4, r12, r3\n\t"
        "usada8 r3, r5, r12, r3\n\t"
        "usada8 r3, r6, r12, r3\n\t"
        TG_PAIR_WORD012("r4")
        TG_PAIR_WORD3_01("r4", "r5")
        TG_PAIR_WORD23("r5")
        "orr r7, r7, r6, lsl #28\n\t"
        "str r7, [r1], #8\n\t"
        "ubfx r7, r6, #8, #8\n\t"               /* v2 bytes 1, 2, 3 */
        "ubfx lr, r6, #16, #8\n\t"
        "orr r7, r7, lr, lsl #14\n\t"
        "lsr lr, r6, #24\n\t"
        "orr r7, r7, lr, lsl #28\n\t"
        "str r7, [r1], #8\n\t"
        "subs r2, r2, #12\n\t"
        "bge 42b\n\t"
        "43:\n\t"                               /* r2 + 12 values left, 0 .. 11 */
        "cmn r2, #4\n\t"
        "beq 48f\n\t"
        "cmn r2, #8\n\t"
        "beq 50f\n\t"
        "adds r2, r2, #6\n\t"
        "blt 44f\n\t"
        "ldr r4, [r0], #4\n\t"                  /* 6 values: v0 r4, bytes 4, 5 in r5 */
        "ldrh r5, [r0], #2\n\t"
        "usada8 r3, r4, r12, r3\n\t"
        "usada8 r3, r5, r12, r3\n\t"
        TG_PAIR_WORD012("r4")
        TG_PAIR_WORD3_01("r4", "r5")
        "subs r2, r2, #6\n\t"
        "44:\n\t"                               /* r2 + 6 values left, 0 .. 5 */
        "adds r2, r2, #3\n\t"
        "blt 45f\n\t"
        "ldrh r4, [r0], #2\n\t"                 /* 3 values */
        "ldrb r5, [r0], #1\n\t"
        "usada8 r3, r4, r12, r3\n\t"
        "add r3, r3, r5\n\t"
        "uxtb r7, r4\n\t"
        "lsr lr, r4, #8\n\t"
        "orr r7, r7, lr, lsl #14\n\t"
        "orr r7, r7, r5, lsl #28\n\t"
        "str r7, [r1], #8\n\t"
        "subs r2, r2, #3\n\t"
        "45:\n\t"                               /* r2 + 3 values left, 0 .. 2 */
        "adds r2, r2, #3\n\t"
        "beq 46f\n\t"
        "ldrb r4, [r0], #1\n\t"
        "add r3, r3, r4\n\t"
        "cmp r2, #2\n\t"
        "bne 47f\n\t"
        "ldrb r5, [r0], #1\n\t"
        "add r3, r3, r5\n\t"
        "orr r4, r4, r5, lsl #14\n\t"
        "47:\n\t"
        "str r4, [r1], #8\n\t"
        "46:\n\t"
        "add r0, r0, r10\n\t"
        "subs r9, r9, #1\n\t"
        "bne 41b\n\t"
        "b 51f\n\t"
        "48:\n\t"                               /* 8 values (in_c 8 mod 12): v0 r4, v1 r5 */
        "ldr r4, [r0], #4\n\t"
        "ldr r5, [r0], #4\n\t"
        "usada8 r3, r4, r12, r3\n\t"
        "usada8 r3, r5, r12, r3\n\t"
        TG_PAIR_WORD012("r4")
        TG_PAIR_WORD3_01("r4", "r5")
        TG_PAIR_WORD23("r5")
        "str r7, [r1], #8\n\t"
        "b 46b\n\t"
        "50:\n\t"                               /* 4 values (in_c 4 mod 12): v0 r4 */
        "ldr r4, [r0], #4\n\t"
        "usada8 r3, r4, r12, r3\n\t"
        TG_PAIR_WORD012("r4")
        "lsr r7, r4, #24\n\t"
        "str r7, [r1], #8\n\t"
        "b 46b\n\t"
        "51:\n\t"
        "ldrd r0, r2, [sp]\n\t"                 /* the next row */
        "subs r2, r2, #1\n\t"
        "beq 49f\n\t"
        "ldr r4, [r11, #16]\n\t"                /* row_step */
        "add r0, r0, r4\n\t"
        "strd r0, r2, [sp]\n\t"
        "ldr r2, [r11, #24]\n\t"                /* between */
        TG_PAIR_PAD("2")
        "ldrd r0, r2, [sp]\n\t"
        "b 40b\n\t"
        "49:\n\t"
        "ldr r2, [r11, #32]\n\t"                /* after */
        TG_PAIR_PAD("3")
        "mov r0, r3\n\t"
        "add sp, sp, #8\n\t"
        "pop {r4-r11, pc}\n\t");
}

#endif /* TG_PAIR_WALK_DSP_H */
