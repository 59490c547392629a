/*
 * The paths of tg_depthwise_conv2d_kx1_raw_s8_dsp (included by its .c file only), reading
 * the raw input: no widening, every channel in one call, all in registers. Stride 1
 * with 2 or 3 taps and act_max 127 (tg_dw_kx1_k3_phase: a dilation phase per call, two
 * outputs per step), stride 1 with 4 or 5 taps and no clamp (tg_dw_kx1_k5_phase: the
 * same, one weight pair loaded per output) and stride 2, dilation 1, 4 or 5 taps, no
 * clamp (tg_dw_kx1_s2_run: one output per step; see there).
 *
 * The input is first copied into scratch with its padding rows (tg_dw_kx1_raw):
 * padded position i of channel c at byte i * C + c of the copy, padding rows holding the input
 * zero point, so that x + input_offset is 0 there. The input offset is folded into the
 * bias (the record's last word, fbias2 = 2 * (bias + input_offset * sum w), built by
 * tinygen/kernels/depthwise_kx1_dsp.py), so the raw int8 values are multiplied: the
 * sum is the same. In phase r of dilation d the positions r, r + d, ... are S = d * C
 * bytes apart, and so are the phase's outputs. With X_m = (x[2m], x[2m + 1]) of the
 * phase (two LDRSB and a PKHBT) and the doubled weights W[0] = (w0 w1), W'[1] = (w1 w2):
 *   output 2m     = fbias2 + X_m . (w0 w1) + bottom(X_{m+1}) * w2     SMLAD, SMLABT
 *   output 2m + 1 = fbias2 + top(X_m) * w0 + X_{m+1} . (w1 w2)        SMLATB, SMLAD
 * The requantization is tg_depthwise_conv2d_kx1_s8_dsp.c's tg_dw_kx1_requant (SMMLAR with R, ADD of the sign,
 * ASR by n, SSAT); with a lower clamp SSUB8 and SEL take max(y, act_min) on the bottom
 * byte, the only one stored. n shares the pair counter's register (ASR by register
 * reads its bottom byte), the odd count's flag the clamp's (bit 8; SEL's upper bytes
 * are not stored). 21 instructions per two outputs (25 with the clamp), 18 per channel
 * and phase around them. Where act_min >= the output zero point the _pos loops leave out
 * the sign's ADD (19 / 23 per two outputs): it only lowers an output at a tie below zero, to
 * at most the zero point minus 1, which the clamp at act_min raises anyway.
 *
 * Registers: r0 x, r1 out, r2 S, r3 pairs << 8 | n, r4 the sum, r5 multiplier,
 * r6 act_min | odd << 8, r7 R, r8 W[0], r9 / r10 X_m / X_{m+1} taking turns,
 * r11 W'[1], r12 fbias2, lr y. The record (bias2, multiplier, n, R, W[0], W'[0], W[1],
 * W'[1], fbias2) loads with one LDM into r4 .. r12 (bias2, W'[0], W[1] overwritten).
 * Stack, per call: [sp] record, [sp, 4] pairs << 8, [sp, 8] act_min | odd << 8,
 * [sp, 12] x, [sp, 16] out of the next channel, [sp, 20] channels left.
 */
#ifndef TG_DEPTHWISE_CONV2D_KX1_RAW_S8_DSP_H
#define TG_DEPTHWISE_CONV2D_KX1_RAW_S8_DSP_H

#include <stdint.h>

#include "tg_depthwise_conv2d_kx1_s8_dsp.h"
#include "tg_kernels.h"

/* One phase of a layer for tg_dw_kx1_k3_phase: its first channel's x, out. */
typedef struct {
    const int32_t *rec;     /* channel 0's record */
    int32_t pairs;          /* (outputs / 2) << 8 */
    int32_t tail;           /* (outputs & 1) << 8 | (act_min & 0xFF) */
    const int8_t *x;        /* channel 0's first position of the phase in the padded copy */
    int8_t *out;            /* channel 0's first output of the phase */
    int32_t channels;       /* >= 1 */
    int32_t step;           /* S = dilation * channels */
} tg_dw_kx1_k3_t;

/* A raw path's entry: r2 S, the call's 6 words pushed below `extra` bytes of slots. */
#define TG_DW_KX1_RAW_ENTER(extra)                   \
    "push   {r4-r11, lr}\n\t"                        \
    "ldr    r2, [r0, #24]\n\t"                       \
    "ldm    r0, {r0, r1, r3, r4, r5, r6}\n\t"        \
    ".if " #extra "\n\t"                             \
    "sub    sp, sp, #" #extra "\n\t"                 \
    ".endif\n\t"                                     \
    "push   {r0, r1, r3, r4, r5, r6}\n\t"

/* The channel's x and out into r0, r1; the next channel's stored (t0, t1 temporaries). */
#define TG_DW_KX1_RAW_NEXT(t0, t1)                   \
    "ldrd   r0, r1, [sp, #12]\n\t"                   \
    "add    " t0 ", r0, #1\n\t"                      \
    "add    " t1 ", r1, #1\n\t"                      \
    "strd   " t0 ", " t1 ", [sp, #12]\n\t"

/* Label 5: the next channel from label 0, or return. */
#define TG_DW_KX1_RAW_LEAVE(frame)                   \
    "5:\n\t"                                         \
    "ldr    lr, [sp, #20]\n\t"                       \
    "subs   lr, lr, #1\n\t"                          \
    "str    lr, [sp, #20]\n\t"                       \
    "bne    0b\n\t"                                  \
    "add    sp, sp, #" #frame "\n\t"                 \
    "pop    {r4-r11, pc}"

/* X = (x[0], x[S]) from r0, r0 two positions on; lr a temporary. */
#define TG_DW_KX1_K3_LOAD(x)                         \
    "ldrsb  " x ", [r0]\n\t"                         \
    "ldrsb  lr, [r0, r2]\n\t"                        \
    "add    r0, r0, r2, lsl #1\n\t"                  \
    "pkhbt  " x ", " x ", lr, lsl #16\n\t"

/* One output from the sum in r4 to the byte at [r1, off]; clamp: max with r6; sign: the
   sign's ADD (left out where act_min >= the output zero point: see tg_dw_kx1_raw). */
#define TG_DW_KX1_K3_OUT_SIGN(clamp, sign, off)      \
    "smmlar lr, r4, r5, r7\n\t"                      \
    ".if " #sign "\n\t"                              \
    "add    lr, lr, r4, asr #31\n\t"                 \
    ".endif\n\t"                                     \
    "asr    lr, lr, r3\n\t"                          \
    "ssat   lr, #8, lr\n\t"                          \
    ".if " #clamp "\n\t"                             \
    "ssub8  r4, lr, r6\n\t"                          \
    "sel    lr, lr, r6\n\t"                          \
    ".endif\n\t"                                     \
    "strb   lr, [r1" off "]\n\t"

#define TG_DW_KX1_K3_OUT(clamp, off) TG_DW_KX1_K3_OUT_SIGN(clamp, 1, off)

/* Output 2m from X_m in a, X_{m+1} loaded into b. */
#define TG_DW_KX1_K3_EVEN(clamp, sign, a, b)         \
    TG_DW_KX1_K3_LOAD(b)                             \
    "smlad  r4, " a ", r8, r12\n\t"                  \
    "smlabt r4, " b ", r11, r4\n\t"                  \
    TG_DW_KX1_K3_OUT_SIGN(clamp, sign, "")

/* Outputs 2m, 2m + 1; out two steps on, the pair counted. */
#define TG_DW_KX1_K3_PAIR(clamp, sign, a, b)         \
    TG_DW_KX1_K3_EVEN(clamp, sign, a, b)             \
    "smlatb r4, " a ", r8, r12\n\t"                  \
    "smlad  r4, " b ", r11, r4\n\t"                  \
    TG_DW_KX1_K3_OUT_SIGN(clamp, sign, ", r2")       \
    "add    r1, r1, r2, lsl #1\n\t"                  \
    "subs   r3, r3, #256\n\t"

/* After the pairs, X_m in a: the odd count's last output, then the next channel. */
#define TG_DW_KX1_K3_TAIL(clamp, sign, a, b)         \
    "tst    r6, #256\n\t"                            \
    "beq    5f\n\t"                                  \
    TG_DW_KX1_K3_EVEN(clamp, sign, a, b)             \
    "b      5f\n\t"

#define TG_DW_KX1_K3_BODY(clamp, sign)               \
    __asm__(TG_DW_KX1_RAW_ENTER(0)                   \
            "0:\n\t"                                 \
            "ldr    lr, [sp]\n\t"                    \
            "ldmia  lr!, {r4-r12}\n\t"               \
            "str    lr, [sp]\n\t"                    \
            "ldr    r3, [sp, #4]\n\t"                \
            "orr    r3, r3, r6\n\t"                  \
            "ldr    r6, [sp, #8]\n\t"                \
            TG_DW_KX1_RAW_NEXT("r9", "r10")          \
            TG_DW_KX1_K3_LOAD("r9")                  \
            "subs   r3, r3, #256\n\t"                \
            "bmi    3f\n\t"                          \
            "1:\n\t"                                 \
            TG_DW_KX1_K3_PAIR(clamp, sign, "r9", "r10") \
            "bmi    4f\n\t"                          \
            TG_DW_KX1_K3_PAIR(clamp, sign, "r10", "r9") \
            "bpl    1b\n\t"                          \
            "3:\n\t"                                 \
            TG_DW_KX1_K3_TAIL(clamp, sign, "r9", "r10") \
            "4:\n\t"                                 \
            TG_DW_KX1_K3_TAIL(clamp, sign, "r10", "r9") \
            TG_DW_KX1_RAW_LEAVE(24))

/* Every channel's outputs of one phase (tg_dw_kx1_k3_t); _relu: max(y, act_min); _pos: without
   the sign's ADD, for act_min >= the output zero point (tg_dw_kx1_raw). */
__attribute__((naked, noinline)) static void tg_dw_kx1_k3_phase(const tg_dw_kx1_k3_t *a __attribute__((unused)))
{
    TG_DW_KX1_K3_BODY(0, 1);
}

__attribute__((naked, noinline)) static void
tg_dw_kx1_k3_phase_relu(const tg_dw_kx1_k3_t *a __attribute__((unused)))
{
    TG_DW_KX1_K3_BODY(1, 1);
}

__attribute__((naked, noinline)) static void
tg_dw_kx1_k3_phase_pos(const tg_dw_kx1_k3_t *a __attribute__((unused)))
{
    TG_DW_KX1_K3_BODY(0, 0);
}

__attribute__((naked, noinline)) static void
tg_dw_kx1_k3_phase_relu_pos(const tg_dw_kx1_k3_t *a __attribute__((unused)))
{
    TG_DW_KX1_K3_BODY(1, 0);
}

/* count bytes of v4's (replicated) byte from dst, by words from the first aligned one. */
static void tg_dw_kx1_fill(int8_t *dst, int32_t count, int32_t v4)
{
    int32_t i;
    for (i = 0; i < count && ((uintptr_t)(dst + i) & 3u) != 0; ++i) {
        dst[i] = (int8_t)v4;
    }
    for (; i + 4 <= count; i += 4) {
        *(int32_t *)(void *)(dst + i) = v4;
    }
    for (; i < count; ++i) {
        dst[i] = (int8_t)v4;
    }
}

/* count bytes from src to dst; dst word aligned, 16 bytes per LDM / STM where src is too. */
static void tg_dw_kx1_copy(int8_t *dst, const int8_t *src, int32_t count)
{
    int32_t i = 0;
    if (((uintptr_t)src & 3u) == 0) {
        int32_t blocks = count / 16;
        const int8_t *s = src;
        int8_t *d = dst;
        if (blocks > 0) {
            __asm__ volatile("1:\n\t"
                             "ldmia %[s]!, {r4, r5, r6, r7}\n\t"
                             "stmia %[d]!, {r4, r5, r6, r7}\n\t"
                             "subs  %[n], %[n], #1\n\t"
                             "bne   1b"
                             : [s] "+r"(s), [d] "+r"(d), [n] "+r"(blocks)
                             :
                             : "r4", "r5", "r6", "r7", "cc", "memory");
        }
        i = count & ~15;
    }
    for (; i < count; ++i) {
        dst[i] = src[i];
    }
}

/*
 * Stride 2, dilation 1, 4 or 5 taps, no clamp: output t = fbias2 + X_t . W[0] +
 * X_{t+1} . W[1] + bottom(X_{t+2}) * w4 with X_t = (x[2t], x[2t + 1]) of the padded copy
 * (W[2] = (w4 0)), one new X per output, the three taking turns in r6, r9, r11. Registers
 * as tg_dw_kx1_k3_phase's but r6 an X (no clamp), r9 the second X, r10 W[1], r11 the
 * third X; W[2] lives at [sp, 24] (one LDR per output), S = C. 16 instructions per output.
 * The record: bias2, multiplier, n, R, W[0], W'[0], W[1], W'[1], W[2], W'[2], fbias2.
 */
#define TG_DW_KX1_S2_OUT(a, b, c)                    \
    TG_DW_KX1_K3_LOAD(c)                             \
    "smlad  r4, " a ", r8, r12\n\t"                  \
    "smlad  r4, " b ", r10, r4\n\t"                  \
    "ldr    lr, [sp, #24]\n\t"                       \
    "smlabb r4, " c ", lr, r4\n\t"                   \
    TG_DW_KX1_K3_OUT(0, "")                          \
    "add    r1, r1, r2\n\t"                          \
    "subs   r3, r3, #256\n\t"

/* Every channel's outputs (a: rec, outputs << 8, -, x, out, channels, C). */
__attribute__((naked, noinline)) static void tg_dw_kx1_s2_run(const tg_dw_kx1_k3_t *a __attribute__((unused)))
{
    __asm__(TG_DW_KX1_RAW_ENTER(4)
            "0:\n\t"
            "ldr    lr, [sp]\n\t"
            "ldmia  lr!, {r4-r11}\n\t"
            "ldr    r3, [sp, #4]\n\t"
            "orr    r3, r3, r6\n\t"
            "ldmia  lr!, {r9, r11, r12}\n\t"
            "str    r9, [sp, #24]\n\t"
            "str    lr, [sp]\n\t"
            TG_DW_KX1_RAW_NEXT("r9", "r11")
            TG_DW_KX1_K3_LOAD("r6")
            TG_DW_KX1_K3_LOAD("r9")
            "subs   r3, r3, #256\n\t"
            "1:\n\t"
            TG_DW_KX1_S2_OUT("r6", "r9", "r11")
            "bmi    5f\n\t"
            TG_DW_KX1_S2_OUT("r9", "r11", "r6")
            "bmi    5f\n\t"
            TG_DW_KX1_S2_OUT("r11", "r6", "r9")
            "bpl    1b\n\t"
            TG_DW_KX1_RAW_LEAVE(28));
}

/*
 * Stride 1 with 4 or 5 taps, no clamp: with X_m as tg_dw_kx1_k3_phase's, W[0] = (w0 w1),
 * W[1] = (w2 w3), W'[1] = (w1 w2), W'[2] = (w3 w4) (w4 = 0 for 4 taps)
 *   output 2m     = fbias2 + X_m . W[0] + X_{m+1} . W[1] + bottom(X_{m+2}) * w4
 *   output 2m + 1 = fbias2 + top(X_m) * w0 + X_{m+1} . W'[1] + X_{m+2} . W'[2]
 * one new X per pair, the three taking turns in r6, r9, r11; W[0] in r8, W'[2] in r10,
 * W[1] and W'[1] at [sp, 24], [sp, 28] (one LDR each per pair); the odd count's flag at
 * [sp, 8]. 25 instructions per two outputs.
 */
#define TG_DW_KX1_K5_EVEN(a, b, c)                   \
    TG_DW_KX1_K3_LOAD(c)                             \
    "smlad  r4, " a ", r8, r12\n\t"                  \
    "ldr    lr, [sp, #24]\n\t"                       \
    "smlad  r4, " b ", lr, r4\n\t"                   \
    "smlabt r4, " c ", r10, r4\n\t"                  \
    TG_DW_KX1_K3_OUT(0, "")

#define TG_DW_KX1_K5_PAIR(a, b, c)                   \
    TG_DW_KX1_K5_EVEN(a, b, c)                       \
    "smlatb r4, " a ", r8, r12\n\t"                  \
    "ldr    lr, [sp, #28]\n\t"                       \
    "smlad  r4, " b ", lr, r4\n\t"                   \
    "smlad  r4, " c ", r10, r4\n\t"                  \
    TG_DW_KX1_K3_OUT(0, ", r2")                      \
    "add    r1, r1, r2, lsl #1\n\t"                  \
    "subs   r3, r3, #256\n\t"

#define TG_DW_KX1_K5_TAIL(a, b, c)                   \
    "ldr    lr, [sp, #8]\n\t"                        \
    "tst    lr, #256\n\t"                            \
    "beq    5f\n\t"                                  \
    TG_DW_KX1_K5_EVEN(a, b, c)                       \
    "b      5f\n\t"

/* Every channel's outputs of one phase (tg_dw_kx1_k3_t, tail: the odd count's flag). */
__attribute__((naked, noinline)) static void tg_dw_kx1_k5_phase(const tg_dw_kx1_k3_t *a __attribute__((unused)))
{
    __asm__(TG_DW_KX1_RAW_ENTER(8)
            "0:\n\t"
            "ldr    lr, [sp]\n\t"
            "ldmia  lr!, {r4-r11}\n\t"
            "ldr    r3, [sp, #4]\n\t"
            "orr    r3, r3, r6\n\t"
            "strd   r10, r11, [sp, #24]\n\t"
            "ldmia  lr!, {r9, r10, r12}\n\t"
            "str    lr, [sp]\n\t"
            TG_DW_KX1_RAW_NEXT("r9", "r11")
            TG_DW_KX1_K3_LOAD("r6")
            TG_DW_KX1_K3_LOAD("r9")
            "subs   r3, r3, #256\n\t"
            "bmi    2f\n\t"
            "1:\n\t"
            TG_DW_KX1_K5_PAIR("r6", "r9", "r11")
            "bmi    3f\n\t"
            TG_DW_KX1_K5_PAIR("r9", "r11", "r6")
            "bmi    4f\n\t"
            TG_DW_KX1_K5_PAIR("r11", "r6", "r9")
            "bpl    1b\n\t"
            "2:\n\t"
            TG_DW_KX1_K5_TAIL("r6", "r9", "r11")
            "3:\n\t"
            TG_DW_KX1_K5_TAIL("r9", "r11", "r6")
            "4:\n\t"
            TG_DW_KX1_K5_TAIL("r11", "r6", "r9")
            TG_DW_KX1_RAW_LEAVE(32));
}

/* Rows of the padded copy: the input's, and every position the loads reach (stride 1: 2
   or 4 taps past a phase's last output's first tap; stride 2: X_{t+2} of the last output t). */
static inline int32_t tg_dw_kx1_raw_rows(const tg_dw_kx1_geom_t *g)
{
    const int32_t reach = g->stride == 2 ? 2 * g->out + 4 : g->out + (g->kernel <= 3 ? 3 : 5) * g->dilation;
    const int32_t input = g->pad + g->len;
    return reach > input ? reach : input;
}

/*
 * A layer on a raw path (tg_dw_kx1_raw_path): the input copied with its padding rows
 * (the zero point) into scratch, the copy's input rows word aligned; then stride 1 per
 * dilation phase every channel in tg_dw_kx1_k3_phase or tg_dw_kx1_k5_phase, stride 2
 * every channel in tg_dw_kx1_s2_run. rec: channel 0's record.
 */
static void tg_dw_kx1_raw(const tg_dw_kx1_geom_t *g, const tg_conv2d_params_t *p, const int8_t *input,
                          const int32_t *rec, int8_t *scratch, int8_t *output)
{
    const int32_t c = p->in_c, d = g->dilation, rows = tg_dw_kx1_raw_rows(g);
    const int32_t zp4 = (int32_t)(((uint32_t)-p->input_offset & 0xFFu) * 0x01010101u);
    int8_t *const copy = scratch + ((uint32_t)-(g->pad * c) & 3u);
    int32_t r;
    tg_dw_kx1_fill(scratch, (int32_t)(copy - scratch) + g->pad * c, zp4);
    tg_dw_kx1_copy(copy + g->pad * c, input, g->len * c);
    tg_dw_kx1_fill(copy + (g->pad + g->len) * c, (rows - g->pad - g->len) * c, zp4);
    if (g->stride == 2) {
        const tg_dw_kx1_k3_t a = {rec, g->out << 8, 0, copy, output, c, c};
        tg_dw_kx1_s2_run(&a);
        return;
    }
    for (r = 0; r < d && r < g->out; ++r) {
        const int32_t n = (g->out - r + d - 1) / d;
        const tg_dw_kx1_k3_t a = {rec, (n >> 1) << 8, ((n & 1) << 8) | (p->act_min & 0xFF),
                                  copy + r * c, output + r * c, c, d * c};
        if (g->kernel > 3) {
            tg_dw_kx1_k5_phase(&a);
        } else if (p->act_min >= p->output_offset) {
            /* the sign's ADD only lowers an output at a tie below zero, to at most the zero
               point minus 1, where the clamp at act_min >= the zero point gives act_min anyway */
            (p->act_min > -128 ? tg_dw_kx1_k3_phase_relu_pos : tg_dw_kx1_k3_phase_pos)(&a);
        } else if (p->act_min > -128) {
            tg_dw_kx1_k3_phase_relu(&a);
        } else {
            tg_dw_kx1_k3_phase(&a);
        }
    }
}

#endif
