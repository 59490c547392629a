/*
 * The direct convolution core for ARMv7E-M (Cortex-M4/M7 DSP extension), shared by
 * tg_conv2d_direct_s8_dsp (a plain conv) and tg_conv2d_add_s8_dsp (a conv with a
 * fused residual add), and by their per-layer specializations. No scratch: the
 * input is read where it lies.
 *
 * Per output pixel and block of 4 output channels, the in-bounds kernel rows are
 * walked; in each, the in-bounds taps are one run of contiguous input bytes
 * (kernel columns x in_c, for dilation 1; one run per tap otherwise) and the
 * matching weights are contiguous too, so padded taps are skipped rather than
 * multiplied by zero. The weights come widened to int16 at build time
 * (tinygen.kernels.direct_dsp.conv2d_direct_dsp_weights; tg_kernels.h gives the
 * layout). Each input word is widened once to two int16 pairs with the input offset
 * added (SXTAB16 with a packed offset pair: x + offset lies in [-255, 255]) and
 * feeds the 4 channels: per group of 4 input values, 1 LDR, 2 SXTAB16, 4 LDRD and
 * 8 SMLAD for 16 multiply-accumulates; on a dual-issue core (TG_DUAL_ISSUE, the
 * Cortex-M7) 9 LDR, scheduled beside the SMLADs (tg_conv_direct_group). Runs whose
 * length is not a multiple of 4 (in_c not a multiple of 4) take their last values one
 * at a time. All sums are int32 as in TFLite.
 *
 * Needs __ARM_FEATURE_DSP (-mcpu=cortex-m4 / cortex-m7).
 */
#ifndef TG_CONV2D_DIRECT_S8_DSP_H
#define TG_CONV2D_DIRECT_S8_DSP_H

#include <arm_acle.h>
#include <stddef.h>
#include <stdint.h>

#include "tg_dsp_s8.h"
#include "tg_kernels.h"
#include "tg_mat_mult_s8_dsp.h"

/* The geometry of a direct convolution: the fields tg_conv2d_params_t and tg_conv2d_add_params_t share. */
typedef struct {
    int32_t in_h, in_w, in_c;
    int32_t out_h, out_w, out_c;
    int32_t kernel_h, kernel_w;
    int32_t stride_h, stride_w;
    int32_t dilation_h, dilation_w;
    int32_t pad_top, pad_left;
    int32_t input_offset;
} tg_conv_direct_t;

/* In-bounds kernel taps [first, end) of a window starting at `origin` (dilation d, size k, extent n). */
typedef struct {
    int32_t first, end;
} tg_conv_taps_t;

static inline tg_conv_taps_t tg_conv_direct_taps(int32_t origin, int32_t d, int32_t k, int32_t n)
{
    tg_conv_taps_t t;
    t.first = origin < 0 ? (-origin + d - 1) / d : 0;
    t.end = n - origin <= 0 ? 0 : (n - origin + d - 1) / d;
    t.end = t.end < k ? t.end : k;
    t.first = t.first < t.end ? t.first : t.end;
    return t;
}

/* TG_DUAL_ISSUE=1: the board's core issues two instructions a cycle (the Cortex-M7: its board files' cflags). */
#if defined(TG_DUAL_ISSUE) && TG_DUAL_ISSUE
/* The 32 bytes of one group's widened weights (4 channels x 2 pair words), as one memory operand. */
typedef struct {
    int32_t w[8];
} __attribute__((may_alias)) tg_conv_direct_group_w_t;

/*
 * One group: 4 input bytes at *x (then x += 4) widened with the offset pair, times the 4
 * channels' 8 weight words at *w (then w += 8 words). One asm block so that the order holds:
 * the weights come in pairs of single LDRs at fixed offsets between the SMLADs, so that on the
 * Cortex-M7 each SMLAD issues beside a load and none reads a just-loaded register (12 cycles a
 * group against 16 with LDRD, which issues alone: tinygen.cycles.cortex_m7). Its code is larger.
 */
static inline __attribute__((always_inline)) void tg_conv_direct_group(const int8_t **x, const int32_t **w,
                                                                       int32_t offset2, int32_t *a0, int32_t *a1,
                                                                       int32_t *a2, int32_t *a3)
{
    int32_t xa, xb, u, v, t;
    __asm__("ldr %[t], [%[x]], #4\n\t"
            "ldr %[u], [%[w]]\n\t"
            "ldr %[v], [%[w], #4]\n\t"
            "sxtab16 %[xa], %[o], %[t]\n\t"
            "sxtab16 %[xb], %[o], %[t], ror #8\n\t"
            "smlad %[a0], %[xa], %[u], %[a0]\n\t"
            "ldr %[u], [%[w], #8]\n\t"
            "ldr %[t], [%[w], #12]\n\t"
            "smlad %[a0], %[xb], %[v], %[a0]\n\t"
            "smlad %[a1], %[xa], %[u], %[a1]\n\t"
            "ldr %[u], [%[w], #16]\n\t"
            "ldr %[v], [%[w], #20]\n\t"
            "smlad %[a1], %[xb], %[t], %[a1]\n\t"
            "smlad %[a2], %[xa], %[u], %[a2]\n\t"
            "ldr %[u], [%[w], #24]\n\t"
            "ldr %[t], [%[w], #28]\n\t"
            "smlad %[a2], %[xb], %[v], %[a2]\n\t"
            "smlad %[a3], %[xa], %[u], %[a3]\n\t"
            "add %[w], %[w], #32\n\t"
            "smlad %[a3], %[xb], %[t], %[a3]"
            : [xa] "=&r"(xa), [xb] "=&r"(xb), [u] "=&r"(u), [v] "=&r"(v), [t] "=&r"(t), [x] "+r"(*x),
              [w] "+r"(*w), [a0] "+r"(*a0), [a1] "+r"(*a1), [a2] "+r"(*a2), [a3] "+r"(*a3)
            : [o] "r"(offset2), "m"(*(const tg_s32_alias_t *)(const void *)*x),
              "m"(*(const tg_conv_direct_group_w_t *)*w));
}
#else
/* One channel's 4 products: the widened weight pair words at *w (stepped on by 8 bytes). */
static inline __attribute__((always_inline)) int32_t tg_conv_direct_mac(const int32_t **w, int32_t xa, int32_t xb,
                                                                        int32_t acc)
{
    int32_t wa, wb;
    tg_load_pair_post(w, &wa, &wb);
    return __smlad(xb, wb, __smlad(xa, wa, acc));
}

/* One group (see the dual-issue version above) with LDRD: fewer, smaller instructions, for the cores
   that issue one instruction a cycle (the M4's ART and the M33's cache hold the loops' code). */
static inline __attribute__((always_inline)) void tg_conv_direct_group(const int8_t **x, const int32_t **w,
                                                                       int32_t offset2, int32_t *a0, int32_t *a1,
                                                                       int32_t *a2, int32_t *a3)
{
    const int32_t v = tg_dsp_load_s8x4_post(x);
    const int32_t xa = __sxtab16(offset2, v), xb = tg_dsp_sxtab16_odd(offset2, v);
    *a0 = tg_conv_direct_mac(w, xa, xb, *a0);
    *a1 = tg_conv_direct_mac(w, xa, xb, *a1);
    *a2 = tg_conv_direct_mac(w, xa, xb, *a2);
    *a3 = tg_conv_direct_mac(w, xa, xb, *a3);
}
#endif

/* acc[c] += the 4 channels' sums over `groups` groups of 4 input bytes at x, weights w. */
static inline __attribute__((always_inline)) void tg_conv_direct_groups(const int8_t *x, const int16_t *w,
                                                                        int32_t groups, int32_t offset2,
                                                                        int32_t acc[4])
{
    const int32_t *wp = (const int32_t *)__builtin_assume_aligned(w, 4);
    int32_t a0 = acc[0], a1 = acc[1], a2 = acc[2], a3 = acc[3];
    int32_t k;
    /* counted: the loads step their pointers in assembly, invisible to the compiler; a
       specialized layer's whole kernel row has a known trip count, unrolled with no exit tests */
#pragma GCC unroll 4
    for (k = groups; k != 0; --k) {
        tg_conv_direct_group(&x, &wp, offset2, &a0, &a1, &a2, &a3);
    }
    acc[0] = a0;
    acc[1] = a1;
    acc[2] = a2;
    acc[3] = a3;
}

/* Channel c's weight for element k of a packed kernel row of `len` elements (see tg_kernels.h). */
static inline int32_t tg_conv_direct_weight(const int16_t *row, int32_t len, int32_t k, int32_t c)
{
    if (k >= (len & ~3)) {
        return row[4 * k + c];
    }
    return row[16 * (k >> 2) + 4 * c + ((k & 1) << 1) + ((k >> 1) & 1)];
}

/* acc[c] += (x[k] + offset) * channel c's weight k, for k in [from, to) of a packed row. */
static inline __attribute__((always_inline)) void tg_conv_direct_values(const int8_t *x, const int16_t *row,
                                                                        int32_t len, int32_t from, int32_t to,
                                                                        int32_t offset, int32_t acc[4])
{
    int32_t k, c;
    for (k = from; k < to; ++k) {
        const int32_t xk = x[k - from] + offset;
#pragma GCC unroll 4
        for (c = 0; c < 4; ++c) {
            acc[c] += xk * tg_conv_direct_weight(row, len, k, c);
        }
    }
}

/* Values of one block of 4 output channels in the packed weights: 4 * kernel_h * kernel_w * in_c. */
static inline int32_t tg_conv_direct_block_values(const tg_conv_direct_t *g)
{
    return 4 * g->kernel_h * g->kernel_w * g->in_c;
}

/*
 * acc[c] = bias + the sums of channels oc + c (c < 4; a zero bias for channels past out_c,
 * whose packed weights are zero) at the output pixel whose window starts at (in_y, in_x),
 * its in-bounds taps rows x cols; w: the block's packed weights (4 channels from oc).
 */
static inline __attribute__((always_inline)) void tg_conv_direct_sums(const tg_conv_direct_t *g,
                                                                      const int8_t *input, const int16_t *w,
                                                                      const int32_t *bias, int32_t oc,
                                                                      tg_conv_taps_t rows, tg_conv_taps_t cols,
                                                                      int32_t in_y, int32_t in_x, int32_t acc[4])
{
    const int32_t in_c = g->in_c, len = g->kernel_w * in_c, body = len & ~3;
    const int32_t offset = g->input_offset;
    const int32_t offset2 = (int32_t)(((uint32_t)offset & 0xFFFFu) * 0x00010001u);
    int32_t ky, kx, c;
#pragma GCC unroll 4
    for (c = 0; c < 4; ++c) {
        acc[c] = bias != NULL && oc + c < g->out_c ? bias[oc + c] : 0;
    }
    for (ky = rows.first; ky < rows.end; ++ky) {
        const int8_t *x = &input[((in_y + ky * g->dilation_h) * g->in_w + in_x) * in_c];
        const int16_t *row = w + 4 * ky * len;
        if (g->dilation_w == 1 && cols.first == 0 && cols.end == g->kernel_w) {     /* the whole row */
            tg_conv_direct_groups(x, row, body >> 2, offset2, acc);
            tg_conv_direct_values(x + body, row, len, body, len, offset, acc);
        } else if ((in_c & 3) == 0 && g->dilation_w == 1) {     /* clipped: one run of whole groups */
            kx = cols.first * in_c;
            tg_conv_direct_groups(x + kx, row + 4 * kx, (cols.end - cols.first) * in_c >> 2, offset2, acc);
        } else if ((in_c & 3) == 0) {           /* dilated: one run of whole groups per tap */
            for (kx = cols.first; kx < cols.end; ++kx) {
                tg_conv_direct_groups(x + kx * g->dilation_w * in_c, row + 4 * kx * in_c, in_c >> 2, offset2, acc);
            }
        } else {                                /* any other taps, one value at a time */
            for (kx = cols.first; kx < cols.end; ++kx) {
                tg_conv_direct_values(x + kx * g->dilation_w * in_c, row, len, kx * in_c, (kx + 1) * in_c, offset,
                                      acc);
            }
        }
    }
}

/*
 * The plain convolution's body: outputs in raster order, per pixel the channel blocks in
 * increasing order, each written after all its reads (the output must not overlap the
 * input). q: the quantization (tg_mat_mult_quant); bounded: q->bounded as a constant.
 */
static inline __attribute__((always_inline)) void tg_conv2d_direct_s8_dsp_with(
    const tg_conv_direct_t *g, const tg_mat_mult_quant_t *q, int32_t bounded, const int8_t *input,
    const int16_t *packed, const int32_t *bias, const int32_t *multiplier, const int8_t *shift, int8_t *output)
{
    const tg_mat_mult_out_t oq = {q->output_offset, q->act_min, q->act_max};
    int32_t out_y, out_x, oc, c;
    int8_t *out = output;
    for (out_y = 0; out_y < g->out_h; ++out_y) {
        const int32_t in_y = out_y * g->stride_h - g->pad_top;
        const tg_conv_taps_t rows = tg_conv_direct_taps(in_y, g->dilation_h, g->kernel_h, g->in_h);
        for (out_x = 0; out_x < g->out_w; ++out_x) {
            const int32_t in_x = out_x * g->stride_w - g->pad_left;
            const tg_conv_taps_t cols = tg_conv_direct_taps(in_x, g->dilation_w, g->kernel_w, g->in_w);
            for (oc = 0; oc < g->out_c; oc += 4) {
                const int32_t n = g->out_c - oc < 4 ? g->out_c - oc : 4;
                int32_t acc[4];
                tg_conv_direct_sums(g, input, packed + (oc >> 2) * tg_conv_direct_block_values(g), bias, oc, rows, cols,
                                    in_y, in_x, acc);
#pragma GCC unroll 4
                for (c = 0; c < n; ++c) {
                    out[oc + c] = tg_mat_mult_out(acc[c], multiplier[oc + c], shift[oc + c], oq, bounded);
                }
            }
            out += g->out_c;
        }
    }
}

static inline tg_conv_direct_t tg_conv_direct_of(const tg_conv2d_params_t *p)
{
    const tg_conv_direct_t g = {p->in_h,     p->in_w,       p->in_c,       p->out_h,      p->out_w,
                                p->out_c,    p->kernel_h,   p->kernel_w,   p->stride_h,   p->stride_w,
                                p->dilation_h, p->dilation_w, p->pad_top, p->pad_left, p->input_offset};
    return g;
}

/*
 * Per-layer specialization: tg_conv2d_direct_s8_dsp with p pointing to the layer's static
 * const parameters and `bounded` tg_mat_mult_quant's verdict computed at build time
 * (tinygen.kernels.specialize).
 */
static inline __attribute__((always_inline)) void tg_conv2d_direct_s8_dsp_inline(
    const tg_conv2d_params_t *p, int32_t bounded, const int8_t *input, const int16_t *packed, const int32_t *bias,
    const int32_t *multiplier, const int8_t *shift, int8_t *output)
{
    const tg_conv_direct_t g = tg_conv_direct_of(p);
    const tg_mat_mult_quant_t q = {p->input_offset, p->output_offset, p->act_min, p->act_max, bounded};
    if (bounded) {      /* with TG_REQUANT_POS where the build set it */
        tg_conv2d_direct_s8_dsp_with(&g, &q, 1 | TG_REQUANT_POS_OF(bounded), input, packed, bias, multiplier, shift,
                                     output);
    } else {
        tg_conv2d_direct_s8_dsp_with(&g, &q, 0, input, packed, bias, multiplier, shift, output);
    }
}

#endif /* TG_CONV2D_DIRECT_S8_DSP_H */
