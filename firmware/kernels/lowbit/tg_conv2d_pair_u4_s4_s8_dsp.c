/*
 * tg_conv2d_pair_u4_s4_s8_dsp: tg_conv2d_pair_u4_s4_s8 for ARMv7E-M (Cortex-M4 / M7): per pixel
 * pair, every whole channel pair in assembly (tg_pair_row_u4_dsp), the requantization's
 * scaling one SMMLAR. Equals the portable kernel bit for bit.
 * numpy twin: tinygen.ref.subbyte.conv2d_u4_s4_s8.
 *
 * The dot keeps 4 64-bit sums in r4-r11 (pixel 0 x channel 0, pixel 0 x channel 1, pixel 1 x
 * channel 0, pixel 1 x channel 1); a step is LDRD (the pixels' field words), LDRD (the
 * channels' weight words) and 4 UMLAL: 6 instructions for 12 products. Blocks of
 * TG_PACKED_U4_BLOCK steps are written out twice: the first block takes the remainder of the
 * steps (UMULL, then a computed jump into its own copy of the UMLAL steps: each is 24 bytes) and
 * starts the sums D from -8 U, the others are whole and add to D on the stack. A fold adds a
 * sum's field (bits 28..41) to its D: 3 instructions a sum.
 */
#include <stdint.h>

#include "tg_conv2d_pair.h"
#include "tg_dsp_s8.h"
#include "tg_kernels_pair.h"
#include "tg_pair_walk_dsp.h"

/* one step: field words of pixels 0, 1 in r2, r3; weight words of channels 0, 1 in r12, lr */
#define TG_PAIR_STEP(op)                      \
    "ldrd r2, r3, [r0], #8\n\t"               \
    "ldrd r12, lr, [r1], #8\n\t"              \
    op " r4, r5, r2, r12\n\t"                 \
    op " r6, r7, r2, lr\n\t"                  \
    op " r8, r9, r3, r12\n\t"                 \
    op " r10, r11, r3, lr\n\t"

#define TG_PAIR_STEP4 TG_PAIR_STEP("umlal") TG_PAIR_STEP("umlal") TG_PAIR_STEP("umlal") TG_PAIR_STEP("umlal")

/* register d = register init + bits 28..41 of the sum lo:hi; lo is overwritten */
#define TG_PAIR_FOLD_FROM(d, init, lo, hi)    \
    "add " d ", " init ", " lo ", lsr #28\n\t" \
    "ubfx " lo ", " hi ", #0, #10\n\t"        \
    "add " d ", " d ", " lo ", lsl #4\n\t"

/* D (in register d) += bits 28..41 of the sum lo:hi; lo is overwritten */
#define TG_PAIR_FOLD(d, lo, hi)               \
    "add " d ", " d ", " lo ", lsr #28\n\t"   \
    "ubfx " lo ", " hi ", #0, #10\n\t"        \
    "add " d ", " d ", " lo ", lsl #4\n\t"

/* a pixel pair's row of outputs (tg_pair_row_u4_dsp's argument; the order its LDM reads) */
typedef struct {
    const uint32_t *field;      /* the interleaved field */
    const uint32_t *end;        /* field + 2 * steps */
    const uint32_t *w;          /* the first channel pair's weight words */
    const int32_t *rec;         /* its records */
    int8_t *out0, *out1;        /* the pixels' outputs (the same pixel twice: equal values written twice) */
    const int32_t *rec_end;     /* the records after the last channel pair (rec + 8 pairs, pairs >= 1) */
    int32_t init0, init1;       /* -8 U of the pixels */
    uint32_t span4;             /* act_max - act_min in each byte */
    uint32_t lo4;               /* act_min in each byte */
    int32_t steps;              /* field words per pixel, >= 1 */
} tg_pair_row_t;

/*
 * Every channel pair of a pixel pair, plain weights (not odd): per pair the dot (blocks as the
 * file's comment says; the sums D on the stack), then its 4 outputs: per output ADD (acc2 =
 * k + 2 D), SMMLAR, ADD (acc2 >> 31), ASR by n, USAT to [0, 255]; then the 4 bytes at once:
 * USUB8 and SEL against span (the clamp's top), UADD8 of act_min, and two STRH (each pixel's
 * two channels are adjacent bytes; Cortex-M4/M7 store halfwords at any alignment).
 * Stack: [sp, #0..12] the sums D, then the row's fields from field on ([sp, #20] holds the
 * first block's jump, [sp, #24] end, so that one LDRD reads field and jump).
 */
__attribute__((naked, noinline)) static void tg_pair_row_u4_dsp(const tg_pair_row_t *row __attribute__((unused)))
{
    __asm__ volatile(
        "push {r4-r11, lr}\n\t"
        "sub sp, #64\n\t"
        "ldm r0, {r1-r12}\n\t"
        "str r1, [sp, #16]\n\t"                 /* [16] field, [24] end ([20]: the first block's jump) */
        "str r2, [sp, #24]\n\t"
        "add r0, sp, #28\n\t"
        "stm r0, {r4-r11}\n\t"                  /* [28] rec, [32] out0, [36] out1, [40] rec_end, [44] init0,
                                                   [48] init1, [52] span4, [56] lo4 */
        "mov r1, r3\n\t"                        /* w, through every pair */
        "subs r12, r12, #1\n\t"
        "movs r3, #24\n\t"
        "udiv r2, r12, r3\n\t"
        "mls r12, r2, r3, r12\n\t"              /* k = (steps - 1) % 24: the first block's UMLAL steps */
        "add r12, r12, r12, lsl #1\n\t"
        "adr.w r2, 7f\n\t"
        "sub r2, r2, r12, lsl #3\n\t"           /* 7f - 24 k */
        "orr r2, r2, #1\n\t"
        "str r2, [sp, #20]\n\t"
        "5:\n\t"                                /* a channel pair */
        "ldrd r0, lr, [sp, #16]\n\t"            /* field, the first block's jump */
        /* the first step, its channel 1 word in r4 (lr holds the jump) */
        "ldrd r2, r3, [r0], #8\n\t"
        "ldrd r12, r4, [r1], #8\n\t"
        "umull r6, r7, r2, r4\n\t"
        "umull r10, r11, r3, r4\n\t"
        "umull r4, r5, r2, r12\n\t"
        "umull r8, r9, r3, r12\n\t"
        "bx lr\n\t"
        "6:\n\t"                                /* the first block's steps after its first */
        TG_PAIR_STEP4 TG_PAIR_STEP4 TG_PAIR_STEP4 TG_PAIR_STEP4 TG_PAIR_STEP4
        TG_PAIR_STEP("umlal") TG_PAIR_STEP("umlal") TG_PAIR_STEP("umlal")
        "7:\n\t"
        ".ifne (7b - 6b) - 23 * 24\n\t"
        ".error \"tg_pair_row_u4_dsp: a step is not 24 bytes\"\n\t"
        ".endif\n\t"
        "ldrd r12, lr, [sp, #44]\n\t"           /* D starts at -8 U of its pixel */
        TG_PAIR_FOLD_FROM("r2", "r12", "r4", "r5")
        TG_PAIR_FOLD_FROM("r3", "r12", "r6", "r7")
        TG_PAIR_FOLD_FROM("r4", "lr", "r8", "r9")
        TG_PAIR_FOLD_FROM("r6", "lr", "r10", "r11")
        "ldr r12, [sp, #24]\n\t"
        "cmp r0, r12\n\t"
        "beq 4f\n\t"                            /* a field of one block */
        "strd r2, r3, [sp]\n\t"
        "strd r4, r6, [sp, #8]\n\t"
        "1:\n\t"                                /* a whole block */
        TG_PAIR_STEP("umull")
        "3:\n\t"
        TG_PAIR_STEP4 TG_PAIR_STEP4 TG_PAIR_STEP4 TG_PAIR_STEP4 TG_PAIR_STEP4
        TG_PAIR_STEP("umlal") TG_PAIR_STEP("umlal") TG_PAIR_STEP("umlal")
        "2:\n\t"
        ".ifne (2b - 3b) - 23 * 24\n\t"
        ".error \"tg_pair_row_u4_dsp: a step is not 24 bytes\"\n\t"
        ".endif\n\t"
        "ldrd r2, r3, [sp]\n\t"
        TG_PAIR_FOLD("r2", "r4", "r5")
        TG_PAIR_FOLD("r3", "r6", "r7")
        "ldrd r4, r6, [sp, #8]\n\t"
        TG_PAIR_FOLD("r4", "r8", "r9")
        TG_PAIR_FOLD("r6", "r10", "r11")
        "strd r2, r3, [sp]\n\t"
        "strd r4, r6, [sp, #8]\n\t"
        "ldr r12, [sp, #24]\n\t"
        "cmp r0, r12\n\t"
        "bne 1b\n\t"                           /* the next block */
        "4:\n\t"
        /* the field's end: D00 r2, D01 r3, D10 r4, D11 r6 */
        "ldr r12, [sp, #28]\n\t"
        "ldm r12!, {r5, r7, r8, r9}\n\t"        /* channel 0: k, m, r, n */
        "add r10, r5, r2, lsl #1\n\t"
        "smmlar r11, r10, r7, r8\n\t"
        "add r11, r11, r10, asr #31\n\t"
        "asr r11, r11, r9\n\t"
        "add r10, r5, r4, lsl #1\n\t"
        "smmlar r0, r10, r7, r8\n\t"
        "add r0, r0, r10, asr #31\n\t"
        "asr r0, r0, r9\n\t"
        "ldm r12!, {r5, r7, r8, r9}\n\t"        /* channel 1 */
        "str r12, [sp, #28]\n\t"
        "add r10, r5, r3, lsl #1\n\t"
        "smmlar r2, r10, r7, r8\n\t"
        "add r2, r2, r10, asr #31\n\t"
        "asr r2, r2, r9\n\t"
        "add r10, r5, r6, lsl #1\n\t"
        "smmlar r3, r10, r7, r8\n\t"
        "add r3, r3, r10, asr #31\n\t"
        "asr r3, r3, r9\n\t"
        "usat r11, #8, r11\n\t"
        "usat r2, #8, r2\n\t"
        "usat r0, #8, r0\n\t"
        "usat r3, #8, r3\n\t"
        "orr r11, r11, r2, lsl #8\n\t"          /* pixel 0: channels 0, 1 */
        "orr r0, r0, r3, lsl #8\n\t"            /* pixel 1 */
        "orr r11, r11, r0, lsl #16\n\t"
        "ldrd r5, r7, [sp, #52]\n\t"
        "usub8 r8, r11, r5\n\t"
        "sel r11, r5, r11\n\t"                  /* min(v, span) per byte */
        "uadd8 r11, r11, r7\n\t"                /* + act_min per byte */
        "ldrd r8, r9, [sp, #32]\n\t"
        "strh r11, [r8], #2\n\t"
        "lsr r11, r11, #16\n\t"
        "strh r11, [r9], #2\n\t"
        "strd r8, r9, [sp, #32]\n\t"
        "ldr r5, [sp, #40]\n\t"
        "cmp r12, r5\n\t"                      /* r12: the next pair's records */
        "bne 5b\n\t"
        "add sp, #64\n\t"
        "pop {r4-r11, pc}\n\t");
}

/* SMMLAR(acc2, m, r) + (acc2 >> 31) */
static inline __attribute__((always_inline)) int32_t tg_pair_scale_dsp(int32_t acc2, int32_t m, int32_t r)
{
    return tg_dsp_smmlar(acc2, m, r) + (acc2 >> 31);
}

/*
 * Plain weights: per pixel pair the row of whole channel pairs in assembly, an odd last channel
 * in C. Odd (DoReFa) weights: the portable loops with SMMLAR.
 */
void tg_conv2d_pair_u4_s4_s8_dsp(const tg_conv2d_packed_params_t *p, const int8_t *input,
                                 const uint32_t *packed, int8_t *scratch, int8_t *output)
{
    const int32_t steps = tg_conv2d_packed_steps(p, TG_PACKED_U4_LANES);
    const int32_t whole = p->out_c / 2, pairs = (p->out_c + 1) / 2, pixels = p->out_h * p->out_w;
    const int32_t *const records = (const int32_t *)packed;
    const uint32_t *const weights = packed + 2 * TG_PAIR_RECORD_WORDS * pairs;
    uint32_t *const field = (uint32_t *)__builtin_assume_aligned(scratch, 4);
    int32_t px, top = -1;
    tg_pair_walk_t w;
    tg_pair_row_t row;

    if (p->odd) {
        tg_conv2d_pair_run(p, input, packed, scratch, output, 1, tg_pair_dot_u4, tg_pair_scale_dsp, tg_pair_walk_u4_dsp);
        return;
    }
    tg_pair_walk_setup(p, &w);
    row.field = field;
    row.end = field + 2 * steps;
    row.w = weights;
    row.rec = records;
    row.rec_end = records + 2 * TG_PAIR_RECORD_WORDS * whole;
    row.span4 = 0x01010101u * (uint32_t)(p->act_max - p->act_min);
    row.lo4 = 0x01010101u * (uint8_t)p->act_min;
    row.steps = steps;
    for (px = 0; px < pixels; px += 2) {
        int32_t u[2];
        int8_t *const out0 = &output[px * p->out_c];
        int8_t *const out1 = tg_pair_fields(p, input, px, field, &top, u, &w, tg_pair_walk_u4_dsp) ? out0 + p->out_c : out0;
        if (whole > 0) {
            row.out0 = out0;
            row.out1 = out1;
            row.init0 = -8 * u[0];
            row.init1 = -8 * u[1];
            tg_pair_row_u4_dsp(&row);
        }
        if (whole < pairs) {
            tg_pair_channels(p, field, &weights[2 * whole * steps], &records[2 * TG_PAIR_RECORD_WORDS * whole],
                             2 * whole, u, out0, out1, 0, tg_pair_dot_u4, tg_pair_scale_dsp);
        }
    }
}
