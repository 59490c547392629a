/*
 * tg_conv2d_pair_u4_s4_s8_dsp: tg_conv2d_pair_u4_s4_s8 for ARMv7E-M (Cortex-M4 / M7), the dot
 * of a pixel pair and a channel pair in assembly and the requantization's scaling one SMMLAR.
 * Equals the portable kernel bit for bit. numpy twin: tinygen.ref.subbyte.conv2d_u4_s4_s8.
 *
 * The dot keeps 4 64-bit sums in r4-r11 (pixel 0 x channel 0, pixel 0 x channel 1, pixel 1 x
 * channel 0, pixel 1 x channel 1); a step is LDRD (the pixels' field words), LDRD (the
 * channels' weight words) and 4 UMLAL: 6 instructions for 12 products. Blocks of
 * TG_PACKED_U4_BLOCK steps are written out; the first block takes the remainder of the steps
 * (UMULL, then a computed jump into the written-out UMLAL steps: each is 24 bytes), the others
 * are whole. After a block each sum's field (bits 28..41) is added to its D on the stack: 3
 * instructions a sum.
 */
#include <stdint.h>

#include "tg_conv2d_pair.h"
#include "tg_dsp_s8.h"
#include "tg_kernels_pair.h"

/* one step: field words of pixels 0, 1 in r2, r3; weight words of channels 0, 1 in r12, lr */
#define TG_PAIR_STEP(op)                      \
    "ldrd r2, r3, [r0], #8\n\t"               \
    "ldrd r12, lr, [r1], #8\n\t"              \
    op " r4, r5, r2, r12\n\t"                 \
    op " r6, r7, r2, lr\n\t"                  \
    op " r8, r9, r3, r12\n\t"                 \
    op " r10, r11, r3, lr\n\t"

#define TG_PAIR_STEP4 TG_PAIR_STEP("umlal") TG_PAIR_STEP("umlal") TG_PAIR_STEP("umlal") TG_PAIR_STEP("umlal")

/* D (in register d) += bits 28..41 of the sum lo:hi; lo is overwritten */
#define TG_PAIR_FOLD(d, lo, hi)               \
    "add " d ", " d ", " lo ", lsr #28\n\t"   \
    "ubfx " lo ", " hi ", #0, #10\n\t"        \
    "add " d ", " d ", " lo ", lsl #4\n\t"

/*
 * tg_pair_dot_fn in assembly (TG_PACKED_U4_BLOCK = 24 is built into the jump and the written-out
 * block). Every register but sp is used; the sums D, the field's end and d are kept on the stack.
 */
__attribute__((naked, noinline)) static void tg_pair_dot_u4_dsp(const uint32_t *a __attribute__((unused)),
                                                                const uint32_t *w __attribute__((unused)),
                                                                int32_t steps __attribute__((unused)),
                                                                int32_t *d __attribute__((unused)))
{
    __asm__ volatile(
        "push {r4-r11, lr}\n\t"
        "sub sp, #24\n\t"
        "ldm r3, {r4-r7}\n\t"
        "stm sp, {r4-r7}\n\t"                   /* [sp, #0..12] the sums D */
        "add r12, r0, r2, lsl #3\n\t"
        "strd r12, r3, [sp, #16]\n\t"           /* [sp, #16] the field's end, [sp, #20] d */
        "subs r2, r2, #1\n\t"
        "movs r3, #24\n\t"
        "udiv r12, r2, r3\n\t"
        "mls r2, r12, r3, r2\n\t"               /* k = (steps - 1) % 24: the first block's UMLAL steps */
        "add r2, r2, r2, lsl #1\n\t"
        "adr.w lr, 2f\n\t"
        "sub lr, lr, r2, lsl #3\n\t"            /* 2f - 24 k */
        "orr lr, lr, #1\n\t"
        /* the first step, its channel 1 word in r4 (lr holds the jump) */
        "ldrd r2, r3, [r0], #8\n\t"
        "ldrd r12, r4, [r1], #8\n\t"
        "umull r6, r7, r2, r4\n\t"
        "umull r10, r11, r3, r4\n\t"
        "umull r4, r5, r2, r12\n\t"
        "umull r8, r9, r3, r12\n\t"
        "bx lr\n\t"
        "1:\n\t"
        TG_PAIR_STEP("umull")
        "3:\n\t"
        TG_PAIR_STEP4 TG_PAIR_STEP4 TG_PAIR_STEP4 TG_PAIR_STEP4 TG_PAIR_STEP4
        TG_PAIR_STEP("umlal") TG_PAIR_STEP("umlal") TG_PAIR_STEP("umlal")
        "2:\n\t"
        ".ifne (2b - 3b) - 23 * 24\n\t"
        ".error \"tg_pair_dot_u4_dsp: a step is not 24 bytes\"\n\t"
        ".endif\n\t"
        "ldrd r2, r3, [sp]\n\t"
        TG_PAIR_FOLD("r2", "r4", "r5")
        TG_PAIR_FOLD("r3", "r6", "r7")
        "strd r2, r3, [sp]\n\t"
        "ldrd r2, r3, [sp, #8]\n\t"
        TG_PAIR_FOLD("r2", "r8", "r9")
        TG_PAIR_FOLD("r3", "r10", "r11")
        "strd r2, r3, [sp, #8]\n\t"
        "ldr r2, [sp, #16]\n\t"
        "cmp r0, r2\n\t"
        "bne 1b\n\t"
        "ldr r3, [sp, #20]\n\t"
        "ldm sp, {r4-r7}\n\t"
        "stm r3, {r4-r7}\n\t"
        "add sp, #24\n\t"
        "pop {r4-r11, pc}\n\t");
}

/* SMMLAR(acc2, m, r) + (acc2 >> 31) */
static inline __attribute__((always_inline)) int32_t tg_pair_scale_dsp(int32_t acc2, int32_t m, int32_t r)
{
    return tg_dsp_smmlar(acc2, m, r) + (acc2 >> 31);
}

void tg_conv2d_pair_u4_s4_s8_dsp(const tg_conv2d_packed_params_t *p, const int8_t *input,
                                 const uint32_t *packed, int8_t *scratch, int8_t *output)
{
    tg_conv2d_pair(p, input, packed, scratch, output, tg_pair_dot_u4_dsp, tg_pair_scale_dsp);
}
