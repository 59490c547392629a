/*
 * The per-layer loops of tg_depthwise_conv2d_kx1_imm_s8_dsp: TG_DW_KX1_IMM_DEFINE(name, stride,
 * mode, istep, ostep, shift, outputs) defines `static void name(const tg_dw_kx1_imm_t *a)`, every
 * channel's outputs of one call (stride 1: one dilation phase; stride 2: the sequence), with
 * the layer's numbers as assembler immediates. The generated model code expands it once per
 * call length of a layer (tinygen/kernels/depthwise_kx1_imm.py: imm_defines) and passes the
 * functions to tg_depthwise_conv2d_kx1_imm_s8_dsp. Needs __ARM_FEATURE_DSP.
 *
 *   stride   1 (2 or 3 taps, any dilation; 4 or 5 taps, ostep <= 255) or 2 (4 or 5 taps, dilation 1)
 *   taps     the kernel's taps
 *   mode     1 MODE_COMMON: SMMLA with B, SSAT ASR #shift (3 instructions per output with
 *            the store); 0 MODE_SIGN: SMMLAR with R, the sign's ADD, ASR by the channel's n,
 *            SSAT (5). See depthwise_kx1_imm.py for both and the records.
 *   istep    bytes between the call's samples in the padded copy: the channels, 1..255
 *            (post-indexed LDRSB)
 *   ostep    bytes between its outputs: dilation * channels at stride 1, channels at
 *            stride 2; up to 255 post-indexed STRB, above STRB at [r1, #slot * ostep] over
 *            the 8 outputs of a loop iteration and one ADD (7 * ostep <= 4095)
 *   outputs  outputs per channel of the call, >= 1
 *
 * The copy holds the raw int8 input padded with the input zero point (the input offset is
 * folded into the records' bias): x_j = the call's j-th sample, at x + j * istep.
 *
 * Stride 1, with X_m = (x_2m, x_2m+1) (two post-indexed LDRSB and a PKHBT), W01 = (w0 w1),
 * W12 = (w1 w2) (w2 = 0 for 2 taps):
 *   output 2m     = fbias + X_m . W01 + bottom(X_m+1) * w2         SMLAD, SMLABT
 *   output 2m + 1 = fbias + top(X_m) * w0 + X_m+1 . W12            SMLATB, SMLAD
 * 13 instructions per two outputs in MODE_COMMON (17 in MODE_SIGN), 4 pairs per loop iteration
 * (and an ADD of r1 where ostep > 255), the remaining pairs and the odd output after it. Registers: r0 x, r1 out, r2 / r3 X_m / X_m+1
 * taking turns, r4 the sum, r5 y, r6 W01, r7 W12, r8 fbias, r9 M, r10 B or R, r11 the loop
 * count (MODE_SIGN: count << 8 | n, ASR by register reads the bottom byte), r12 the next
 * record, lr channels left.
 *
 * Stride 1 with 4 or 5 taps, W23 = (w2 w3), W34 = (w3 w4) besides (w4 = 0 for 4 taps):
 *   output 2m     = fbias + X_m . W01 + X_m+1 . W23 + bottom(X_m+2) * w4   SMLAD, SMLAD, SMLABT
 *   output 2m + 1 = fbias + top(X_m) * w0 + X_m+1 . W12 + X_m+2 . W34     SMLATB, SMLAD, SMLAD
 * one new X per pair, the three taking turns in r2, r3, r4: 15 instructions per two outputs in
 * MODE_COMMON (20 in MODE_SIGN, W23 reloaded from the stack), 3 pairs per loop iteration.
 * Registers: r5 the sum (and y in MODE_COMMON), r6 the count (MODE_SIGN: count << 8 | n), r7
 * W01, r8 W12, r9 W34, r10 fbias, r11 M, r12 B or R, lr W23 (MODE_SIGN: y; W23 at [sp, 16]).
 *
 * Stride 2, X_t = (x_2t, x_2t+1), W0 = (w0 w1), W1 = (w2 w3), W2 = (w4 0):
 *   output t = fbias + X_t . W0 + X_t+1 . W1 + bottom(X_t+2) * w4    SMLAD, SMLAD, SMLABB
 * one new X per output, the three taking turns in r2, r3, r4: 9 instructions per output in
 * MODE_COMMON (11 in MODE_SIGN), 6 per loop iteration. Registers: r5 the sum, r6 the count
 * (MODE_SIGN: count << 8 | n), r7 W0, r8 W1, r9 W2, r10 fbias, r11 M, r12 B or R, lr y; the
 * next record and the channels left on the stack.
 *
 * Stack: [sp] x, [sp, 4] out of the next channel, [sp, 8] its record, [sp, 12] channels left.
 */
#ifndef TG_DEPTHWISE_CONV2D_KX1_IMM_S8_DSP_H
#define TG_DEPTHWISE_CONV2D_KX1_IMM_S8_DSP_H

#include <stdint.h>

#include "tg_kernels.h"

/* One call: channel 0's first sample in the copy and first output, channel 0's record. */
typedef struct {
    const int8_t *x;
    int8_t *out;
    const int32_t *rec;
    int32_t channels;       /* >= 1 */
} tg_dw_kx1_imm_t;

typedef void (*tg_dw_kx1_imm_fn)(const tg_dw_kx1_imm_t *a);

/*
 * tg_depthwise_conv2d_s8 on the layers tinygen/kernels/depthwise_kx1_imm.py serves, with the
 * layer's loops (TG_DW_KX1_IMM_DEFINE): `longer` for the calls of ceil(out / d) outputs per
 * channel, `shorter` for those of floor(out / d) (the same function where they are equal or
 * unused). packed: depthwise_kx1_imm.imm_records; scratch: depthwise_kx1_imm.imm_scratch
 * bytes, 4-byte aligned. The output must not overlap the input.
 */
void tg_depthwise_conv2d_kx1_imm_s8_dsp(const tg_conv2d_params_t *p, const int8_t *input, const int32_t *packed,
                                        int8_t *scratch, int8_t *output, tg_dw_kx1_imm_fn longer,
                                        tg_dw_kx1_imm_fn shorter);

/* X = (x_j, x_j+1) from r0, r0 two samples on; t a temporary. */
#define TG_DW_KX1_IMM_LOAD(x, t)                        \
    "ldrsb  " x ", [r0], #.Ltgi_istep\n\t"              \
    "ldrsb  " t ", [r0], #.Ltgi_istep\n\t"              \
    "pkhbt  " x ", " x ", " t ", lsl #16\n\t"

/* The sum in acc to the output at r1 (r1 one step on) or at output `slot` of the loop
   iteration; M, B / R, n in registers m, b, n. */
#define TG_DW_KX1_IMM_OUT(acc, y, m, b, n, slot)        \
    ".if .Ltgi_mode\n\t"                                \
    "smmla  " y ", " acc ", " m ", " b "\n\t"           \
    "ssat   " y ", #8, " y ", asr #.Ltgi_shift\n\t"     \
    ".else\n\t"                                         \
    "smmlar " y ", " acc ", " m ", " b "\n\t"           \
    "add    " y ", " y ", " acc ", asr #31\n\t"         \
    "asr    " y ", " y ", " n "\n\t"                    \
    "ssat   " y ", #8, " y "\n\t"                       \
    ".endif\n\t"                                        \
    ".if .Ltgi_ostep <= 255\n\t"                        \
    "strb   " y ", [r1], #.Ltgi_ostep\n\t"              \
    ".else\n\t"                                         \
    "strb   " y ", [r1, #((" slot ") * .Ltgi_ostep)]\n\t" \
    ".endif\n\t"

#define TG_DW_KX1_IMM_OUT1(slot) TG_DW_KX1_IMM_OUT("r4", "r5", "r9", "r10", "r11", slot)

/* Stride 1: outputs 2m, 2m + 1 (pair k of the loop iteration) from X_m in a, X_m+1 loaded into b. */
#define TG_DW_KX1_IMM_PAIR(a, b, k)                     \
    TG_DW_KX1_IMM_LOAD(b, "r5")                         \
    "smlad  r4, " a ", r6, r8\n\t"                      \
    "smlabt r4, " b ", r7, r4\n\t"                      \
    TG_DW_KX1_IMM_OUT1("2 * " k)                        \
    "smlatb r4, " a ", r6, r8\n\t"                      \
    "smlad  r4, " b ", r7, r4\n\t"                      \
    TG_DW_KX1_IMM_OUT1("2 * " k " + 1")

/* Stride 1: the odd count's last output 2m (slot 2k) from X_m in a (x_2m+2 into b). */
#define TG_DW_KX1_IMM_LAST(a, b, k)                     \
    "ldrsb  " b ", [r0]\n\t"                            \
    "smlad  r4, " a ", r6, r8\n\t"                      \
    "smlabt r4, " b ", r7, r4\n\t"                      \
    TG_DW_KX1_IMM_OUT1("2 * " k)

/* Stride 2: output t from X_t in a, X_t+1 in b, X_t+2 loaded into c. */
#define TG_DW_KX1_IMM_S2(a, b, c)                       \
    TG_DW_KX1_IMM_LOAD(c, "lr")                         \
    "smlad  r5, " a ", r7, r10\n\t"                     \
    "smlad  r5, " b ", r8, r5\n\t"                      \
    "smlabb r5, " c ", r9, r5\n\t"                      \
    TG_DW_KX1_IMM_OUT("r5", "lr", "r11", "r12", "r6", "0")

/* The channel's x and out into r0, r1, the next channel's stored (r2, r3 temporaries). */
#define TG_DW_KX1_IMM_NEXT                              \
    "ldrd   r0, r1, [sp]\n\t"                           \
    "add    r2, r0, #1\n\t"                             \
    "add    r3, r1, #1\n\t"                             \
    "strd   r2, r3, [sp]\n\t"

/* The loop count (iterations - 1) into register c (MODE_SIGN: beside n, from the record). */
#define TG_DW_KX1_IMM_COUNT(c)                          \
    ".if .Ltgi_mode\n\t"                                \
    "movw   " c ", #(.Ltgi_loops - 1)\n\t"              \
    ".else\n\t"                                         \
    "orr    " c ", " c ", #((.Ltgi_loops - 1) << 8)\n\t" \
    ".endif\n\t"

/* The unrolled loop around `body`, counted in register c, where it runs at all. */
#define TG_DW_KX1_IMM_LOOP(c, body)                     \
    ".if .Ltgi_loops\n\t"                               \
    TG_DW_KX1_IMM_COUNT(c)                              \
    "1:\n\t"                                            \
    body                                                \
    ".if .Ltgi_mode\n\t"                                \
    "subs   " c ", " c ", #1\n\t"                       \
    ".else\n\t"                                         \
    "subs   " c ", " c ", #256\n\t"                     \
    ".endif\n\t"                                        \
    "bpl    1b\n\t"                                     \
    ".endif\n\t"

/* The channel's record from base (written back): the registers `common` or `sign` by mode. */
#define TG_DW_KX1_IMM_RECORD(base, common, sign)        \
    ".if .Ltgi_mode\n\t"                                \
    "ldmia  " base "!, {" common "}\n\t"                \
    ".else\n\t"                                         \
    "ldmia  " base "!, {" sign "}\n\t"                  \
    ".endif\n\t"

#define TG_DW_KX1_IMM_STRIDE1                                                   \
    ".set .Ltgi_loops, (.Ltgi_outputs / 2) / 4\n\t"                             \
    ".set .Ltgi_rest, (.Ltgi_outputs / 2) % 4\n\t"                              \
    "mov    r12, r4\n\t"                                                        \
    "mov    lr, r5\n\t"                                                         \
    "0:\n\t"                                                                    \
    TG_DW_KX1_IMM_RECORD("r12", "r6-r10", "r6-r11")                             \
    TG_DW_KX1_IMM_NEXT                                                          \
    TG_DW_KX1_IMM_LOAD("r2", "r5")                                              \
    TG_DW_KX1_IMM_LOOP("r11",                                                   \
                       TG_DW_KX1_IMM_PAIR("r2", "r3", "0")                      \
                       TG_DW_KX1_IMM_PAIR("r3", "r2", "1")                      \
                       TG_DW_KX1_IMM_PAIR("r2", "r3", "2")                      \
                       TG_DW_KX1_IMM_PAIR("r3", "r2", "3")                      \
                       ".if .Ltgi_ostep > 255\n\t"                              \
                       "add    r1, r1, #(8 * .Ltgi_ostep)\n\t"                  \
                       ".endif\n\t")                                            \
    ".if .Ltgi_rest >= 1\n\t" TG_DW_KX1_IMM_PAIR("r2", "r3", "0") ".endif\n\t"  \
    ".if .Ltgi_rest >= 2\n\t" TG_DW_KX1_IMM_PAIR("r3", "r2", "1") ".endif\n\t"  \
    ".if .Ltgi_rest >= 3\n\t" TG_DW_KX1_IMM_PAIR("r2", "r3", "2") ".endif\n\t"  \
    ".if .Ltgi_outputs % 2\n\t"                                                 \
    ".if .Ltgi_rest % 2\n\t" TG_DW_KX1_IMM_LAST("r3", "r2", ".Ltgi_rest")       \
    ".else\n\t" TG_DW_KX1_IMM_LAST("r2", "r3", ".Ltgi_rest") ".endif\n\t"       \
    ".endif\n\t"                                                                \
    "subs   lr, lr, #1\n\t"                                                     \
    "bne    0b\n\t"

#define TG_DW_KX1_IMM_STRIDE2                                                   \
    ".set .Ltgi_loops, .Ltgi_outputs / 6\n\t"                                   \
    ".set .Ltgi_rest, .Ltgi_outputs % 6\n\t"                                    \
    "0:\n\t"                                                                    \
    "ldr    lr, [sp, #8]\n\t"                                                   \
    TG_DW_KX1_IMM_RECORD("lr", "r7-r12", "r6-r12")                              \
    "str    lr, [sp, #8]\n\t"                                                   \
    TG_DW_KX1_IMM_NEXT                                                          \
    TG_DW_KX1_IMM_LOAD("r2", "lr")                                              \
    TG_DW_KX1_IMM_LOAD("r3", "lr")                                              \
    TG_DW_KX1_IMM_LOOP("r6",                                                    \
                       TG_DW_KX1_IMM_S2("r2", "r3", "r4")                       \
                       TG_DW_KX1_IMM_S2("r3", "r4", "r2")                       \
                       TG_DW_KX1_IMM_S2("r4", "r2", "r3")                       \
                       TG_DW_KX1_IMM_S2("r2", "r3", "r4")                       \
                       TG_DW_KX1_IMM_S2("r3", "r4", "r2")                       \
                       TG_DW_KX1_IMM_S2("r4", "r2", "r3"))                      \
    ".if .Ltgi_rest >= 1\n\t" TG_DW_KX1_IMM_S2("r2", "r3", "r4") ".endif\n\t"   \
    ".if .Ltgi_rest >= 2\n\t" TG_DW_KX1_IMM_S2("r3", "r4", "r2") ".endif\n\t"   \
    ".if .Ltgi_rest >= 3\n\t" TG_DW_KX1_IMM_S2("r4", "r2", "r3") ".endif\n\t"   \
    ".if .Ltgi_rest >= 4\n\t" TG_DW_KX1_IMM_S2("r2", "r3", "r4") ".endif\n\t"   \
    ".if .Ltgi_rest >= 5\n\t" TG_DW_KX1_IMM_S2("r3", "r4", "r2") ".endif\n\t"   \
    "ldr    lr, [sp, #12]\n\t"                                                  \
    "subs   lr, lr, #1\n\t"                                                     \
    "str    lr, [sp, #12]\n\t"                                                  \
    "bne    0b\n\t"

/* Stride 1, 4 or 5 taps: the temporary of the loads, the sum's requantization (y: r5 itself in
   MODE_COMMON, lr in MODE_SIGN) and the sum's X . W23 term (W23 in lr, or on the stack). */
#define TG_DW_KX1_IMM_WLOAD(x)                          \
    ".if .Ltgi_mode\n\t" TG_DW_KX1_IMM_LOAD(x, "r5")    \
    ".else\n\t" TG_DW_KX1_IMM_LOAD(x, "lr") ".endif\n\t"

#define TG_DW_KX1_IMM_WOUT                              \
    ".if .Ltgi_mode\n\t"                                \
    TG_DW_KX1_IMM_OUT("r5", "r5", "r11", "r12", "r6", "0") \
    ".else\n\t"                                         \
    TG_DW_KX1_IMM_OUT("r5", "lr", "r11", "r12", "r6", "0") \
    ".endif\n\t"

#define TG_DW_KX1_IMM_W23(x)                            \
    ".if .Ltgi_mode == 0\n\t"                           \
    "ldr    lr, [sp, #16]\n\t"                          \
    ".endif\n\t"                                        \
    "smlad  r5, " x ", lr, r5\n\t"

/* Stride 1, 4 or 5 taps: outputs 2m, 2m + 1 from X_m in a, X_m+1 in b, X_m+2 loaded into c. */
#define TG_DW_KX1_IMM_WPAIR(a, b, c)                    \
    TG_DW_KX1_IMM_WLOAD(c)                              \
    "smlad  r5, " a ", r7, r10\n\t"                     \
    TG_DW_KX1_IMM_W23(b)                                \
    "smlabt r5, " c ", r9, r5\n\t"                      \
    TG_DW_KX1_IMM_WOUT                                  \
    "smlatb r5, " a ", r7, r10\n\t"                     \
    "smlad  r5, " b ", r8, r5\n\t"                      \
    "smlad  r5, " c ", r9, r5\n\t"                      \
    TG_DW_KX1_IMM_WOUT

/* Stride 1, 4 or 5 taps: the odd count's last output 2m (x_2m+4 into c). */
#define TG_DW_KX1_IMM_WLAST(a, b, c)                    \
    "ldrsb  " c ", [r0]\n\t"                            \
    "smlad  r5, " a ", r7, r10\n\t"                     \
    TG_DW_KX1_IMM_W23(b)                                \
    "smlabt r5, " c ", r9, r5\n\t"                      \
    TG_DW_KX1_IMM_WOUT

#define TG_DW_KX1_IMM_STRIDE1_WIDE                                              \
    ".set .Ltgi_loops, (.Ltgi_outputs / 2) / 3\n\t"                             \
    ".set .Ltgi_rest, (.Ltgi_outputs / 2) % 3\n\t"                              \
    "0:\n\t"                                                                    \
    ".if .Ltgi_mode\n\t"                                                        \
    "ldr    r6, [sp, #8]\n\t"                                                   \
    "ldmia  r6!, {r7-r12, lr}\n\t"                                              \
    "str    r6, [sp, #8]\n\t"                                                   \
    ".else\n\t"                                                                 \
    "ldr    lr, [sp, #8]\n\t"                                                   \
    "ldmia  lr!, {r6-r12}\n\t"                                                  \
    "ldr    r5, [lr], #4\n\t"                                                   \
    "str    lr, [sp, #8]\n\t"                                                   \
    "str    r5, [sp, #16]\n\t"                                                  \
    ".endif\n\t"                                                                \
    TG_DW_KX1_IMM_NEXT                                                          \
    TG_DW_KX1_IMM_WLOAD("r2")                                                   \
    TG_DW_KX1_IMM_WLOAD("r3")                                                   \
    TG_DW_KX1_IMM_LOOP("r6",                                                    \
                       TG_DW_KX1_IMM_WPAIR("r2", "r3", "r4")                    \
                       TG_DW_KX1_IMM_WPAIR("r3", "r4", "r2")                    \
                       TG_DW_KX1_IMM_WPAIR("r4", "r2", "r3"))                   \
    ".if .Ltgi_rest >= 1\n\t" TG_DW_KX1_IMM_WPAIR("r2", "r3", "r4") ".endif\n\t" \
    ".if .Ltgi_rest >= 2\n\t" TG_DW_KX1_IMM_WPAIR("r3", "r4", "r2") ".endif\n\t" \
    ".if .Ltgi_outputs % 2\n\t"                                                 \
    ".if .Ltgi_rest == 0\n\t" TG_DW_KX1_IMM_WLAST("r2", "r3", "r4") ".endif\n\t" \
    ".if .Ltgi_rest == 1\n\t" TG_DW_KX1_IMM_WLAST("r3", "r4", "r2") ".endif\n\t" \
    ".if .Ltgi_rest == 2\n\t" TG_DW_KX1_IMM_WLAST("r4", "r2", "r3") ".endif\n\t" \
    ".endif\n\t"                                                                \
    "ldr    r5, [sp, #12]\n\t"                                                  \
    "subs   r5, r5, #1\n\t"                                                     \
    "str    r5, [sp, #12]\n\t"                                                  \
    "bne    0b\n\t"

/* The layer's loops for calls of `outputs` outputs per channel (see the top of this file). */
#define TG_DW_KX1_IMM_DEFINE(name, stride, taps, mode, istep, ostep, shift, outputs)        \
    __attribute__((naked, noinline)) static void name(const tg_dw_kx1_imm_t *a __attribute__((unused))) \
    {                                                                                       \
        __asm__(".set .Ltgi_mode, " #mode "\n\t"                                            \
                ".set .Ltgi_istep, " #istep "\n\t"                                          \
                ".set .Ltgi_ostep, " #ostep "\n\t"                                          \
                ".set .Ltgi_shift, " #shift "\n\t"                                          \
                ".set .Ltgi_outputs, " #outputs "\n\t"                                      \
                ".set .Ltgi_wide, " #stride " == 1 && " #taps " > 3\n\t"                    \
                "push   {r4-r11, lr}\n\t"                                                   \
                "ldm    r0, {r2, r3, r4, r5}\n\t"                                           \
                ".if .Ltgi_wide\n\t"                                                        \
                "sub    sp, sp, #4\n\t"                                                     \
                ".endif\n\t"                                                                \
                "push   {r2, r3, r4, r5}\n\t"                                               \
                ".if .Ltgi_wide\n\t"                                                        \
                TG_DW_KX1_IMM_STRIDE1_WIDE                                                  \
                "add    sp, sp, #4\n\t"                                                     \
                ".elseif " #stride " == 1\n\t"                                              \
                TG_DW_KX1_IMM_STRIDE1                                                       \
                ".else\n\t"                                                                 \
                TG_DW_KX1_IMM_STRIDE2                                                       \
                ".endif\n\t"                                                                \
                "add    sp, sp, #16\n\t"                                                    \
                "pop    {r4-r11, pc}");                                                     \
    }

#endif
