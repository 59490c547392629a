/*
 * tg_depthwise_conv2d_kx1_imm_s8_dsp: depthwise convolution along one axis (a temporal k x 1
 * kernel over an input of width 1, or a 1 x k kernel over an input of height 1), depth
 * multiplier 1, for ARMv7E-M (Cortex-M4/M7 DSP extension), int8 in/out, per-channel
 * requantization, no clamp beyond int8, on the layers tinygen/kernels/depthwise_kx1_imm.py
 * serves: stride 1 with 2 or 3 taps (any dilation) or 4 or 5 taps, stride 2 with 4 or 5 taps
 * (dilation 1), at most 255 channels.
 * Equals tg_depthwise_conv2d_s8 bit for bit there. numpy twin: tinygen.ref.kernels.depthwise_conv2d_s8.
 *
 * The loops are the layer's own (tg_depthwise_conv2d_kx1_imm_s8_dsp.h, TG_DW_KX1_IMM_DEFINE,
 * expanded by the generated model code): step, outputs and shift are immediates, the samples
 * and outputs stepped by post-indexed loads and stores. This function copies the input with
 * its padding rows (the input zero point) into scratch, then calls them: dilated, the copy
 * dilation-phase major (a phase's samples in consecutive rows) and `longer` for the phases
 * with ceil(out / d) outputs, `shorter` for those with floor(out / d); else `longer` once. packed: the records (depthwise_kx1_imm.imm_records), word 0 the channel
 * count.
 *
 * Scratch: tg_dw_kx1_imm_rows rows of C bytes, + 3 so that the input rows are word aligned,
 * rounded up to 16 (depthwise_kx1_imm.imm_scratch); the input 4-byte aligned for the fast copy.
 * No copy and no scratch where the layer has no padding, is not dilated and the loads reach no
 * position past the input (tg_dw_kx1_imm_direct, depthwise_kx1_imm.imm_direct): the loops read
 * the input itself. The output must not overlap the input.
 */
#include <stdint.h>

#include "tg_depthwise_conv2d_kx1_imm_s8_dsp.h"
#include "tg_depthwise_conv2d_kx1_s8_dsp.h"
#include "tg_kernels.h"

/* Rows of a dilation phase in the copy: its samples up to two past its last output
   (depthwise_kx1_imm.phase_rows). */
static int32_t tg_dw_kx1_imm_phase_rows(const tg_dw_kx1_geom_t *g)
{
    return (g->out + g->dilation - 1) / g->dilation + (g->kernel > 3 ? 4 : 2);
}

/* Rows of the padded copy (depthwise_kx1_imm.imm_rows). */
static int32_t tg_dw_kx1_imm_rows(const tg_dw_kx1_geom_t *g)
{
    if (g->stride == 1 && g->dilation > 1) {
        return g->dilation * tg_dw_kx1_imm_phase_rows(g);
    }
    const int32_t reach = g->stride == 2 ? 2 * g->out + 4 : g->out + (g->kernel > 3 ? 4 : 2);
    const int32_t input = g->pad + g->len;
    return reach > input ? reach : input;
}

/* Whether the loops read the input itself (depthwise_kx1_imm.imm_direct): no padding, not
   dilated at stride 1, every position the loads reach inside the input. */
static int32_t tg_dw_kx1_imm_direct(const tg_dw_kx1_geom_t *g)
{
    return g->pad == 0 && !(g->stride == 1 && g->dilation > 1) && tg_dw_kx1_imm_rows(g) <= g->len;
}

/* count bytes of v4's (replicated) byte from dst: 16 per STM from the first aligned one. */
static void tg_dw_kx1_imm_fill(int8_t *dst, int32_t count, int32_t v4)
{
    int32_t i;
    for (i = 0; i < count && ((uintptr_t)(dst + i) & 3u) != 0; ++i) {
        dst[i] = (int8_t)v4;
    }
    int32_t blocks = (count - i) / 16;
    if (blocks > 0) {
        int8_t *d = dst + i;
        __asm__ volatile("mov   r4, %[v]\n\t"
                         "mov   r5, %[v]\n\t"
                         "mov   r6, %[v]\n\t"
                         "mov   r7, %[v]\n\t"
                         "1:\n\t"
                         "stmia %[d]!, {r4, r5, r6, r7}\n\t"
                         "subs  %[n], %[n], #1\n\t"
                         "bne   1b"
                         : [d] "+r"(d), [n] "+r"(blocks)
                         : [v] "r"(v4)
                         : "r4", "r5", "r6", "r7", "cc", "memory");
        i += (count - i) & ~15;
    }
    for (; i < count; ++i) {
        dst[i] = (int8_t)v4;
    }
}

/* count bytes from src to dst, 32 bytes per LDM / STM where both are word aligned. */
static void tg_dw_kx1_imm_copy(int8_t *dst, const int8_t *src, int32_t count)
{
    int32_t i = 0;
    if ((((uintptr_t)src | (uintptr_t)dst) & 3u) == 0 && count >= 32) {
        int32_t blocks = count / 32;
        const int8_t *s = src;
        int8_t *d = dst;
        __asm__ volatile("tst   %[n], #1\n\t"
                         "beq   2f\n\t"
                         "ldmia %[s]!, {r4, r5, r6, r7, r8, r9, r10, r11}\n\t"
                         "stmia %[d]!, {r4, r5, r6, r7, r8, r9, r10, r11}\n\t"
                         "2:\n\t"
                         "asrs  %[n], %[n], #1\n\t"
                         "beq   3f\n\t"
                         "1:\n\t"
                         "ldmia %[s]!, {r4, r5, r6, r7, r8, r9, r10, r11}\n\t"
                         "stmia %[d]!, {r4, r5, r6, r7, r8, r9, r10, r11}\n\t"
                         "ldmia %[s]!, {r4, r5, r6, r7, r8, r9, r10, r11}\n\t"
                         "stmia %[d]!, {r4, r5, r6, r7, r8, r9, r10, r11}\n\t"
                         "subs  %[n], %[n], #1\n\t"
                         "bne   1b\n\t"
                         "3:"
                         : [s] "+r"(s), [d] "+r"(d), [n] "+r"(blocks)
                         :
                         : "r4", "r5", "r6", "r7", "r8", "r9", "r10", "r11", "cc", "memory");
        i = count & ~31;
    }
    for (; i < count; ++i) {
        dst[i] = src[i];
    }
}

/* Dilated: phase r's samples r, r + d, .. of the padded sequence in rows r * L, r * L + 1, ..
   (L = tg_dw_kx1_imm_phase_rows), the zero point outside the input. */
static void tg_dw_kx1_imm_copy_phases(const tg_dw_kx1_geom_t *g, int32_t c, const int8_t *input, int8_t *copy,
                                      int32_t zp4)
{
    const int32_t rows = tg_dw_kx1_imm_phase_rows(g);
    for (int32_t r = 0; r < g->dilation; ++r) {
        for (int32_t j = 0; j < rows; ++j) {
            const int32_t at = r + j * g->dilation - g->pad;
            int8_t *const dst = copy + (r * rows + j) * c;
            if (at >= 0 && at < g->len) {
                tg_dw_kx1_imm_copy(dst, input + at * c, c);
            } else {
                tg_dw_kx1_imm_fill(dst, c, zp4);
            }
        }
    }
}

void tg_depthwise_conv2d_kx1_imm_s8_dsp(const tg_conv2d_params_t *p, const int8_t *input, const int32_t *packed,
                                        int8_t *scratch, int8_t *output, tg_dw_kx1_imm_fn longer,
                                        tg_dw_kx1_imm_fn shorter)
{
    tg_dw_kx1_geom_t g;
    tg_dw_kx1_geometry(p, &g);
    const int32_t c = p->in_c, d = g.stride == 1 ? g.dilation : 1;
    const int32_t zp4 = (int32_t)(((uint32_t)-p->input_offset & 0xFFu) * 0x01010101u);
    if (d > 1) {
        const int32_t rows = tg_dw_kx1_imm_phase_rows(&g), extra = g.out % d;
        tg_dw_kx1_imm_copy_phases(&g, c, input, scratch, zp4);
        for (int32_t r = 0; r < d && r < g.out; ++r) {
            const tg_dw_kx1_imm_t a = {scratch + r * rows * c, output + r * c, packed + 1, c};
            (extra == 0 || r < extra ? longer : shorter)(&a);
        }
        return;
    }
    if (tg_dw_kx1_imm_direct(&g)) {
        const tg_dw_kx1_imm_t a = {input, output, packed + 1, c};
        longer(&a);
        return;
    }
    int8_t *const copy = scratch + ((uint32_t)-(g.pad * c) & 3u);
    tg_dw_kx1_imm_fill(scratch, (int32_t)(copy - scratch) + g.pad * c, zp4);
    tg_dw_kx1_imm_copy(copy + g.pad * c, input, g.len * c);
    tg_dw_kx1_imm_fill(copy + (g.pad + g.len) * c, (tg_dw_kx1_imm_rows(&g) - g.pad - g.len) * c, zp4);
    const tg_dw_kx1_imm_t a = {copy, output, packed + 1, c};
    longer(&a);
}
