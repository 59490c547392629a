/*
 * tg_conv2d_u2_s2_s8_dsp: tg_conv2d_u2_s2_s8 for ARMv7E-M (Cortex-M4 / M7), two output
 * pixels per weight load. Equals the portable kernel bit for bit.
 * numpy twin: tinygen.ref.subbyte.conv2d_u2_s2_s8.
 *
 * Per pair of output pixels both fields are packed (tg_packed_field, as the portable kernel),
 * then interleaved word by word (pixel 0's word j, pixel 1's word j) so that one LDRD reads
 * both. Per group of 4 output channels one pass keeps 8 SMLAD sums (2 pixels x 4 channels)
 * in r4-r11: per field word LDRD (2 field words), 2 LDRD (4 weight words), 8 SMLAD, i.e.
 * 11 instructions for 32 products (the one-pixel loop: 6 for 16), 8 words per loop turn.
 * The weights are read once per pixel pair instead of once per pixel. Blocks of at most
 * TG_PACKED_U2_BLOCK words keep every field exact, as in the portable kernel.
 * An odd last pixel is computed as a pair with itself and written once.
 *
 * Scratch: tg_conv2d_u2_s2_s8_dsp_buffer_size(p) bytes (three fields: the interleaved pair,
 * packed in place from the two fields behind it).
 */
#include <stdint.h>

#include "tg_conv2d_packed.h"
#include "tg_kernels_packed.h"

/* one field word pair (a += 8 bytes) against 4 weight words (w += 16 bytes): 8 SMLAD */
#define TG_U2X2_STEP                          \
    "ldrd r2, r3, [r0], #8\n\t"               \
    "ldrd r12, lr, [r1], #8\n\t"              \
    "smlad r4, r2, r12, r4\n\t"               \
    "smlad r5, r2, lr, r5\n\t"                \
    "smlad r8, r3, r12, r8\n\t"               \
    "smlad r9, r3, lr, r9\n\t"                \
    "ldrd r12, lr, [r1], #8\n\t"              \
    "smlad r6, r2, r12, r6\n\t"               \
    "smlad r7, r2, lr, r7\n\t"                \
    "smlad r10, r3, r12, r10\n\t"             \
    "smlad r11, r3, lr, r11\n\t"

/*
 * d[0..3] (pixel 0, channels 0..3) and d[4..7] (pixel 1) = the fields (bits 13..25) of the
 * SMLAD sums of n interleaved word pairs at a against their weight words at w, 1 <= n <=
 * TG_PACKED_U2_BLOCK: 8 pairs a turn, then one at a time. Every register but sp is used;
 * the loops' end addresses are kept on the stack.
 */
__attribute__((naked, noinline)) static void tg_u2x2_block(const uint32_t *a __attribute__((unused)),
                                                           const uint32_t *w __attribute__((unused)),
                                                           uint32_t n __attribute__((unused)),
                                                           int32_t *d __attribute__((unused)))
{
    __asm__ volatile(
        "push {r4-r11, lr}\n\t"
        "add r12, r0, r2, lsl #3\n\t"           /* end = a + n pairs * 8 bytes */
        "bic r2, r2, #7\n\t"
        "add r2, r0, r2, lsl #3\n\t"            /* end of the unrolled turns */
        "push {r2, r3, r12}\n\t"                /* [sp] turns' end, [sp + 4] d, [sp + 8] end */
        "movs r4, #0\n\t"
        "movs r5, #0\n\t"
        "movs r6, #0\n\t"
        "movs r7, #0\n\t"
        "mov r8, #0\n\t"
        "mov r9, #0\n\t"
        "mov r10, #0\n\t"
        "mov r11, #0\n\t"
        "cmp r0, r2\n\t"
        "beq 2f\n\t"
        "1:\n\t"
        TG_U2X2_STEP TG_U2X2_STEP TG_U2X2_STEP TG_U2X2_STEP
        TG_U2X2_STEP TG_U2X2_STEP TG_U2X2_STEP TG_U2X2_STEP
        "ldr r2, [sp]\n\t"
        "cmp r0, r2\n\t"
        "bne 1b\n\t"
        "2:\n\t"
        "ldr r2, [sp, #8]\n\t"
        "cmp r0, r2\n\t"
        "beq 4f\n\t"
        "3:\n\t"
        TG_U2X2_STEP
        "ldr r2, [sp, #8]\n\t"
        "cmp r0, r2\n\t"
        "bne 3b\n\t"
        "4:\n\t"
        "ubfx r4, r4, #13, #13\n\t"
        "ubfx r5, r5, #13, #13\n\t"
        "ubfx r6, r6, #13, #13\n\t"
        "ubfx r7, r7, #13, #13\n\t"
        "ubfx r8, r8, #13, #13\n\t"
        "ubfx r9, r9, #13, #13\n\t"
        "ubfx r10, r10, #13, #13\n\t"
        "ubfx r11, r11, #13, #13\n\t"
        "pop {r2, r3, r12}\n\t"
        "stm r3, {r4-r11}\n\t"
        "pop {r4-r11, pc}\n\t");
}

/* The field sums D of 2 pixels x 4 channels (d[0..3] pixel 0, d[4..7] pixel 1). */
static inline __attribute__((always_inline)) void tg_u2x2_dot(const uint32_t *a, const uint32_t *w, int32_t steps,
                                                              int32_t *d)
{
    const int32_t first = steps > TG_PACKED_U2_BLOCK ? TG_PACKED_U2_BLOCK : steps;
    int32_t left, k;

    tg_u2x2_block(a, w, (uint32_t)first, d);
    for (left = steps - first; left > 0; left -= TG_PACKED_U2_BLOCK) {    /* fields over 224 words */
        int32_t e[8];
        a += 2 * TG_PACKED_U2_BLOCK;
        w += 4 * TG_PACKED_U2_BLOCK;
        tg_u2x2_block(a, w, (uint32_t)(left > TG_PACKED_U2_BLOCK ? TG_PACKED_U2_BLOCK : left), e);
        for (k = 0; k < 8; ++k) {
            d[k] += e[k];
        }
    }
}

/* The 4 channels of group g at one pixel: D -> requantized int8 (as tg_conv2d_packed). */
static inline __attribute__((always_inline)) void tg_u2x2_out(const tg_conv2d_packed_params_t *p, const int32_t *d,
                                                              int32_t u_sum, const int32_t *corr,
                                                              const int32_t *bias, const int32_t *multiplier,
                                                              const int32_t *shift, int32_t g, int8_t *out)
{
    int32_t i;
    for (i = 0; i < 4 && 4 * g + i < p->out_c; ++i) {
        const int32_t o = 4 * g + i;
        const int32_t cu = d[i] - 2 * u_sum;            /* the codes were stored as c + 2 */
        out[o] = tg_requant_channel_s8((p->odd ? 2 * cu + u_sum : cu) + corr[o], bias, multiplier, shift, o,
                                       p->output_offset, p->act_min, p->act_max);
    }
}

void tg_conv2d_u2_s2_s8_dsp(const tg_conv2d_packed_params_t *p, const int8_t *input, const uint32_t *packed,
                            const int32_t *bias, const int32_t *multiplier, const int32_t *shift,
                            int8_t *scratch, int8_t *output)
{
    const int32_t steps = tg_conv2d_packed_steps(p, TG_PACKED_U2_LANES);
    const int32_t groups = (p->out_c + 3) / 4;
    const int32_t pixels = p->out_h * p->out_w;
    const int32_t *const corr = (const int32_t *)packed;
    const uint32_t *const weights = packed + 4 * groups;
    uint32_t *const pair = (uint32_t *)__builtin_assume_aligned(scratch, 4);
    uint32_t *const f0 = pair + steps, *const f1 = pair + 2 * steps;
    int32_t q, g, j;

    for (q = 0; q < pixels; q += 2) {
        const int32_t q1 = q + 1 < pixels ? q + 1 : q;
        const int32_t u0 = tg_packed_field(p, input, q / p->out_w, q % p->out_w, TG_PACKED_KIND_U2, f0);
        const int32_t u1 = tg_packed_field(p, input, q1 / p->out_w, q1 % p->out_w, TG_PACKED_KIND_U2, f1);
        int8_t *const out0 = &output[q * p->out_c];
        int8_t *const out1 = &output[q1 * p->out_c];
        for (j = 0; j < steps; ++j) {                   /* in place: pair[2j + 1] < f0[j + 1] */
            const uint32_t x0 = f0[j], x1 = f1[j];
            pair[2 * j] = x0;
            pair[2 * j + 1] = x1;
        }
        for (g = 0; g < groups; ++g) {
            int32_t d[8];
            tg_u2x2_dot(pair, &weights[g * 4 * steps], steps, d);
            tg_u2x2_out(p, &d[4], u1, corr, bias, multiplier, shift, g, out1);
            tg_u2x2_out(p, d, u0, corr, bias, multiplier, shift, g, out0);
        }
    }
}
