/*
 * tinygen int8 matrix multiply for Helium (Armv8.1-M MVE, Cortex-M55), shared by
 * tg_conv2d_1x1_s8_mve, tg_conv2d_s8_mve and tg_conv2d_add_s8_mve (on their im2col rows)
 * and tg_fully_connected_s8_mve:
 *
 *   output[r][o] = clamp(requant(bias[o] + sum_k (input[r][k] + input_offset) * weights[o][k]))
 *
 * bit for bit as the portable kernels (tg_requant_mve.h).
 *
 * The packed constant (tinygen/kernels/mve_pack.py, mat_mult_mve_records), int32 words:
 *   [0] flags (TG_MVE_LEFT), [1] steps = ceil(depth / 16);
 *   then per block of 4 output channels (the last completed with zero channels):
 *     16 words: the folded biases bias[o] + input_offset * sum_k weights[o][k] (4), the
 *               multipliers (4), -right shifts (4), left shifts (4);
 *     steps * 16 words: per step of 16 depth values, each channel's 16 weights (zeros
 *               past the depth).
 * Folding the input offset into the bias leaves the products input[r][k] * weights[o][k]
 * of int8 values, which VMLADAVA.S8 takes 16 at a time into a 32-bit sum (int32
 * arithmetic wraps as TFLite's does; the sum is the same modulo 2^32). Rows are read 16
 * bytes per step: past the depth they read whatever follows (times zero weights), at most
 * 15 bytes past a row's end, inside the RAM that holds it.
 *
 * One hand-written loop (tg_mve_mm_*, naked functions: no operand the compiler places)
 * runs the whole product: for each block of 4 channels, its requantization constants
 * in q3 (biases), q4 (multipliers), q5 (-right shifts), then for each pair of rows
 * the dot products, 2 rows x 4 channels per step of 16: 2 row loads, 4 weight loads and
 * 8 VMLADAVA (128 multiply-accumulates in 14 instructions, and the loop's 2). Their eight
 * sums live in the even registers VMLADAVA takes (r0 ... r12, lr); one STM writes them in
 * register order, channel by channel, and two VLDRW read them back as two vectors. (The
 * two-lane VMOV from general-purpose registers would take as many instructions, but QEMU
 * 7.2's MVE writes its two lanes swapped against the architecture and GCC: the stand-in
 * would compute something else than a core does; STM and VLDRW mean the same
 * everywhere.) The two vectors are requantized (tg_requant_mve.h's sequence), narrowed
 * together (row 0 in the even 16-bit lanes, row 1 in the odd ones, tg_mve_narrow2) and
 * scattered to both output rows by one VSTRB.16, predicated to the block's channels. An
 * odd last row takes the same steps with 4 sums.
 */
#ifndef TG_MAT_MULT_S8_MVE_H
#define TG_MAT_MULT_S8_MVE_H

#include <arm_mve.h>
#include <stdint.h>

#include "tg_kernels.h"
#include "tg_requant_mve.h"

#define TG_MVE_BLOCK 4                                  /* output channels per block */
#define TG_MVE_STEP 16                                  /* depth per step */
#define TG_MVE_HEADER_WORDS 2
#define TG_MVE_REQUANT_WORDS 16
#define TG_MVE_BLOCK_WORDS(steps) (TG_MVE_REQUANT_WORDS + 16 * (steps))

/* What the loop reads and keeps between its passes; the offsets are the TG_MM_* below. */
typedef struct {
    const int8_t *input;        /* row 0 */
    int32_t row_stride;         /* bytes from a row to the next */
    int32_t pairs;              /* rows / 2 */
    int32_t odd;                /* rows % 2 */
    int8_t *output;             /* this block's first output (4 bytes further per block) */
    int32_t pair_out;           /* 2 * out_c: bytes from a row pair's outputs to the next */
    const int32_t *block;       /* this block's record */
    int32_t steps;
    int32_t blocks;             /* blocks left, this one included */
    int32_t pair_skip;          /* 2 * row_stride - 16 * steps: to the next pair's rows */
    int32_t pairs_left;
    const int8_t *weights;      /* this block's weights */
    int32_t block_bytes;
    int32_t pred_full;          /* VPR masks of the stores: all 4 channels, */
    int32_t pred_last;          /* the last block's (4 bits per channel) */
    int32_t unused;
    int32_t sums[8];            /* the sums' round trip */
    int16x8_t zp, lo, hi;       /* output zero point, act_min, act_max in every 16-bit lane */
    uint16x8_t pair_offsets;    /* (row 0, channel j) at j, (row 1, channel j) at out_c + j */
} tg_mve_mm_t;

#define TG_MM_INPUT 0
#define TG_MM_STRIDE 4
#define TG_MM_PAIRS 8
#define TG_MM_ODD 12
#define TG_MM_OUTPUT 16
#define TG_MM_PAIR_OUT 20
#define TG_MM_BLOCK 24
#define TG_MM_STEPS 28
#define TG_MM_BLOCKS 32
#define TG_MM_PAIR_SKIP 36
#define TG_MM_PAIRS_LEFT 40
#define TG_MM_WEIGHTS 44
#define TG_MM_BLOCK_BYTES 48
#define TG_MM_PRED_FULL 52
#define TG_MM_PRED_LAST 56
#define TG_MM_SUMS 64
#define TG_MM_ZP 96
#define TG_MM_LO 112
#define TG_MM_HI 128
#define TG_MM_OFFSETS 144

/* The offsets the assembly uses, checked against the struct (a negative array size fails). */
typedef char tg_mve_mm_layout_check[(__builtin_offsetof(tg_mve_mm_t, input) == TG_MM_INPUT
                                     && __builtin_offsetof(tg_mve_mm_t, pairs_left) == TG_MM_PAIRS_LEFT
                                     && __builtin_offsetof(tg_mve_mm_t, pred_last) == TG_MM_PRED_LAST
                                     && __builtin_offsetof(tg_mve_mm_t, sums) == TG_MM_SUMS
                                     && __builtin_offsetof(tg_mve_mm_t, zp) == TG_MM_ZP
                                     && __builtin_offsetof(tg_mve_mm_t, hi) == TG_MM_HI
                                     && __builtin_offsetof(tg_mve_mm_t, pair_offsets) == TG_MM_OFFSETS) ? 1 : -1];

#define TG_MM_X(x) TG_MVE_X(x)
#define TG_MM_AT(field) TG_MVE_AT(field)

/* One step of 16 depth values, 2 rows x 4 channels: OP vmladav (first step) or vmladava. */
#define TG_MM_STEP2(OP)                                                                                        \
    "vldrb.8 q0, [r1], #16\n\t"                                                                                \
    "vldrb.8 q1, [r3], #16\n\t"                                                                                \
    "vldrb.8 q2, [r5], #16\n\t" OP ".s8 r0, q0, q2\n\t" OP ".s8 r8, q1, q2\n\t"                                \
    "vldrb.8 q2, [r5], #16\n\t" OP ".s8 r2, q0, q2\n\t" OP ".s8 r10, q1, q2\n\t"                               \
    "vldrb.8 q2, [r5], #16\n\t" OP ".s8 r4, q0, q2\n\t" OP ".s8 r12, q1, q2\n\t"                               \
    "vldrb.8 q2, [r5], #16\n\t" OP ".s8 r6, q0, q2\n\t" OP ".s8 lr, q1, q2\n\t"

/* One step, 1 row x 4 channels. */
#define TG_MM_STEP1(OP)                                                                                        \
    "vldrb.8 q0, [r1], #16\n\t"                                                                                \
    "vldrb.8 q2, [r5], #16\n\t" OP ".s8 r0, q0, q2\n\t"                                                        \
    "vldrb.8 q2, [r5], #16\n\t" OP ".s8 r2, q0, q2\n\t"                                                        \
    "vldrb.8 q2, [r5], #16\n\t" OP ".s8 r4, q0, q2\n\t"                                                        \
    "vldrb.8 q2, [r5], #16\n\t" OP ".s8 r6, q0, q2\n\t"

/* The requantization's optional parts on q0 (and q1 with the pair's "_2" variant):
 * the left shift (the block's left shifts from its record), the tie correction, the clamp. */
#define TG_MM_LEFT_0_1 ""
#define TG_MM_LEFT_0_2 ""
#define TG_MM_LEFT_1_1 "ldr r9, " TG_MM_AT(TG_MM_BLOCK) "\n\tvldrw.32 q2, [r9, #48]\n\tvshl.s32 q0, q0, q2\n\t"
#define TG_MM_LEFT_1_2 TG_MM_LEFT_1_1 "vshl.s32 q1, q1, q2\n\t"
#define TG_MM_SIGN_0_1 ""
#define TG_MM_SIGN_0_2 ""
#define TG_MM_SIGN_1_1 "vand q2, q0, q5\n\tvshr.s32 q2, q2, #31\n\tvadd.i32 q0, q0, q2\n\t"
#define TG_MM_SIGN_1_2 TG_MM_SIGN_1_1 "vand q2, q1, q5\n\tvshr.s32 q2, q2, #31\n\tvadd.i32 q1, q1, q2\n\t"
#define TG_MM_CLAMP_0 ""
#define TG_MM_CLAMP_1                                                                                          \
    "vldrw.32 q0, " TG_MM_AT(TG_MM_LO) "\n\tvmax.s16 q2, q2, q0\n\t"                                           \
    "vldrw.32 q0, " TG_MM_AT(TG_MM_HI) "\n\tvmin.s16 q2, q2, q0\n\t"

#define TG_MM_BODY(LEFT, SIGN, CLAMP)                                                                          \
    "push {r4-r11, lr}\n\t"                                                                                    \
    "vpush {d8-d15}\n\t"                                                                                       \
    "mov r11, r0\n\t"                                                                                          \
    "vldrw.32 q6, " TG_MM_AT(TG_MM_ZP) "\n\t"                                                                  \
    "vldrw.32 q7, " TG_MM_AT(TG_MM_OFFSETS) "\n"                                                               \
    "10:\n\t" /* next block: its constants, its weights, its store predicate, its rows */                     \
    "ldr r5, " TG_MM_AT(TG_MM_BLOCK) "\n\t"                                                                    \
    "vldrw.32 q3, [r5]\n\t"                                                                                    \
    "vldrw.32 q4, [r5, #16]\n\t"                                                                               \
    "vldrw.32 q5, [r5, #32]\n\t"                                                                               \
    "add r5, r5, #64\n\t"                                                                                      \
    "str r5, " TG_MM_AT(TG_MM_WEIGHTS) "\n\t"                                                                  \
    "ldr r0, " TG_MM_AT(TG_MM_BLOCKS) "\n\t"                                                                   \
    "cmp r0, #1\n\t"                                                                                           \
    "ite eq\n\t"                                                                                               \
    "ldreq r0, " TG_MM_AT(TG_MM_PRED_LAST) "\n\t"                                                              \
    "ldrne r0, " TG_MM_AT(TG_MM_PRED_FULL) "\n\t"                                                              \
    "vmsr p0, r0\n\t"                                                                                          \
    "ldr r1, " TG_MM_AT(TG_MM_INPUT) "\n\t"                                                                    \
    "ldr r0, " TG_MM_AT(TG_MM_STRIDE) "\n\t"                                                                   \
    "add r3, r1, r0\n\t"                                                                                       \
    "ldr r7, " TG_MM_AT(TG_MM_OUTPUT) "\n\t"                                                                   \
    "ldr r0, " TG_MM_AT(TG_MM_PAIRS) "\n\t"                                                                    \
    "str r0, " TG_MM_AT(TG_MM_PAIRS_LEFT) "\n\t"                                                               \
    "cmp r0, #0\n\t"                                                                                           \
    "beq 30f\n"                                                                                                \
    "20:\n\t" /* a pair of rows */                                                                             \
    "ldr r9, " TG_MM_AT(TG_MM_STEPS) "\n\t"                                                                    \
    "ldr r5, " TG_MM_AT(TG_MM_WEIGHTS) "\n\t"                                                                  \
    TG_MM_STEP2("vmladav")                                                                                     \
    "subs r9, r9, #1\n\t"                                                                                      \
    "beq 2f\n"                                                                                                 \
    "1:\n\t"                                                                                                   \
    TG_MM_STEP2("vmladava")                                                                                    \
    "subs r9, r9, #1\n\t"                                                                                      \
    "bne 1b\n"                                                                                                 \
    "2:\n\t"                                                                                                   \
    "add r9, r11, #" TG_MM_X(TG_MM_SUMS) "\n\t"                                                                \
    "stm r9, {r0, r2, r4, r6, r8, r10, r12, lr}\n\t"                                                           \
    "vldrw.32 q0, [r9]\n\t"                                                                                    \
    "vldrw.32 q1, [r9, #16]\n\t"                                                                               \
    "vadd.i32 q0, q0, q3\n\t"                                                                                  \
    "vadd.i32 q1, q1, q3\n\t"                                                                                  \
    TG_MM_LEFT_##LEFT##_2                                                                                      \
    "vqrdmulh.s32 q0, q0, q4\n\t"                                                                              \
    "vqrdmulh.s32 q1, q1, q4\n\t"                                                                              \
    TG_MM_SIGN_##SIGN##_2                                                                                      \
    "vrshl.s32 q0, q0, q5\n\t"                                                                                 \
    "vrshl.s32 q1, q1, q5\n\t"                                                                                 \
    "vqmovnb.s32 q2, q0\n\t"                                                                                   \
    "vqmovnt.s32 q2, q1\n\t"                                                                                   \
    "vqadd.s16 q2, q2, q6\n\t"                                                                                 \
    TG_MM_CLAMP_##CLAMP                                                                                        \
    "vqmovnb.s16 q2, q2\n\t"                                                                                   \
    "vpst\n\t"                                                                                                 \
    "vstrbt.16 q2, [r7, q7]\n\t"                                                                               \
    "ldr r0, " TG_MM_AT(TG_MM_PAIR_SKIP) "\n\t"                                                                \
    "add r1, r1, r0\n\t"                                                                                       \
    "add r3, r3, r0\n\t"                                                                                       \
    "ldr r0, " TG_MM_AT(TG_MM_PAIR_OUT) "\n\t"                                                                 \
    "add r7, r7, r0\n\t"                                                                                       \
    "ldr r0, " TG_MM_AT(TG_MM_PAIRS_LEFT) "\n\t"                                                               \
    "subs r0, r0, #1\n\t"                                                                                      \
    "str r0, " TG_MM_AT(TG_MM_PAIRS_LEFT) "\n\t"                                                               \
    "bne 20b\n"                                                                                                \
    "30:\n\t" /* the last row of an odd count */                                                               \
    "ldr r0, " TG_MM_AT(TG_MM_ODD) "\n\t"                                                                      \
    "cmp r0, #0\n\t"                                                                                           \
    "beq 40f\n\t"                                                                                              \
    "ldr r9, " TG_MM_AT(TG_MM_STEPS) "\n\t"                                                                    \
    "ldr r5, " TG_MM_AT(TG_MM_WEIGHTS) "\n\t"                                                                  \
    TG_MM_STEP1("vmladav")                                                                                     \
    "subs r9, r9, #1\n\t"                                                                                      \
    "beq 2f\n"                                                                                                 \
    "1:\n\t"                                                                                                   \
    TG_MM_STEP1("vmladava")                                                                                    \
    "subs r9, r9, #1\n\t"                                                                                      \
    "bne 1b\n"                                                                                                 \
    "2:\n\t"                                                                                                   \
    "add r9, r11, #" TG_MM_X(TG_MM_SUMS) "\n\t"                                                                \
    "stm r9, {r0, r2, r4, r6}\n\t"                                                                             \
    "vldrw.32 q0, [r9]\n\t"                                                                                    \
    "vadd.i32 q0, q0, q3\n\t"                                                                                  \
    TG_MM_LEFT_##LEFT##_1                                                                                      \
    "vqrdmulh.s32 q0, q0, q4\n\t"                                                                              \
    TG_MM_SIGN_##SIGN##_1                                                                                      \
    "vrshl.s32 q0, q0, q5\n\t"                                                                                 \
    "vqmovnb.s32 q2, q0\n\t"                                                                                   \
    "vqadd.s16 q2, q2, q6\n\t"                                                                                 \
    TG_MM_CLAMP_##CLAMP                                                                                        \
    "vqmovnb.s16 q2, q2\n\t"                                                                                   \
    "vpst\n\t"                                                                                                 \
    "vstrbt.32 q2, [r7]\n"                                                                                     \
    "40:\n\t" /* the next block */                                                                             \
    "ldr r0, " TG_MM_AT(TG_MM_BLOCK) "\n\t"                                                                    \
    "ldr r2, " TG_MM_AT(TG_MM_BLOCK_BYTES) "\n\t"                                                              \
    "add r0, r0, r2\n\t"                                                                                       \
    "str r0, " TG_MM_AT(TG_MM_BLOCK) "\n\t"                                                                    \
    "ldr r0, " TG_MM_AT(TG_MM_OUTPUT) "\n\t"                                                                   \
    "adds r0, r0, #4\n\t"                                                                                      \
    "str r0, " TG_MM_AT(TG_MM_OUTPUT) "\n\t"                                                                   \
    "ldr r0, " TG_MM_AT(TG_MM_BLOCKS) "\n\t"                                                                   \
    "subs r0, r0, #1\n\t"                                                                                      \
    "str r0, " TG_MM_AT(TG_MM_BLOCKS) "\n\t"                                                                   \
    "bne 10b\n\t"                                                                                              \
    "vpop {d8-d15}\n\t"                                                                                        \
    "pop {r4-r11, pc}\n\t"

/* The loop's variants: left shift, tie correction, clamp (each with what it needs). */
__attribute__((naked, noinline, unused)) static void tg_mve_mm_general(tg_mve_mm_t *m)
{
    (void)m;
    __asm volatile(TG_MM_BODY(1, 1, 1));
}

__attribute__((naked, noinline, unused)) static void tg_mve_mm_sign(tg_mve_mm_t *m)
{
    (void)m;
    __asm volatile(TG_MM_BODY(0, 1, 1));
}

__attribute__((naked, noinline, unused)) static void tg_mve_mm_clamp(tg_mve_mm_t *m)
{
    (void)m;
    __asm volatile(TG_MM_BODY(0, 0, 1));
}

__attribute__((naked, noinline, unused)) static void tg_mve_mm_plain(tg_mve_mm_t *m)
{
    (void)m;
    __asm volatile(TG_MM_BODY(0, 0, 0));
}

/*
 * The product of `rows` rows (row r at input + r * row_stride) by the packed weights,
 * out_c channels, output row r at output + r * out_c, with the requantization variant the
 * layer needs: the left shift where the packed header says some channel has one, the tie
 * correction where act_min < the output zero point, the clamp where [act_min, act_max] is
 * narrower than int8. rows >= 1, out_c >= 1.
 */
static inline void tg_mat_mult_s8_mve(int32_t rows, int32_t row_stride, int32_t out_c, const int8_t *input,
                                      const int32_t *packed, int32_t output_offset, int32_t act_min,
                                      int32_t act_max, int8_t *output)
{
    tg_mve_mm_t m;
    const int32_t steps = packed[1];
    const int32_t rem = out_c % TG_MVE_BLOCK;
    m.input = input;
    m.row_stride = row_stride;
    m.pairs = rows / 2;
    m.odd = rows % 2;
    m.output = output;
    m.pair_out = 2 * out_c;
    m.block = packed + TG_MVE_HEADER_WORDS;
    m.steps = steps;
    m.blocks = (out_c + TG_MVE_BLOCK - 1) / TG_MVE_BLOCK;
    m.pair_skip = 2 * row_stride - TG_MVE_STEP * steps;
    m.block_bytes = 4 * TG_MVE_BLOCK_WORDS(steps);
    m.pred_full = 0xFFFF;
    m.pred_last = rem == 0 ? 0xFFFF : (1 << (4 * rem)) - 1;
    m.zp = vdupq_n_s16((int16_t)output_offset);
    m.lo = vdupq_n_s16((int16_t)act_min);
    m.hi = vdupq_n_s16((int16_t)act_max);
    /* (row 0, channel j) at j, (row 1, channel j) at out_c + j: lane i = 2j + row */
    const uint16x8_t lanes = vidupq_n_u16(0, 1);
    m.pair_offsets = vaddq_u16(vshrq_n_u16(lanes, 1), vmulq_n_u16(vandq_u16(lanes, vdupq_n_u16(1)), (uint16_t)out_c));
    const int sign = act_min < output_offset;
    const int clamp = act_min > -128 || act_max < 127;
    if ((packed[0] & TG_MVE_LEFT) != 0) {
        tg_mve_mm_general(&m);
    } else if (sign) {
        tg_mve_mm_sign(&m);
    } else if (clamp) {
        tg_mve_mm_clamp(&m);
    } else {
        tg_mve_mm_plain(&m);
    }
}

#endif /* TG_MAT_MULT_S8_MVE_H */
