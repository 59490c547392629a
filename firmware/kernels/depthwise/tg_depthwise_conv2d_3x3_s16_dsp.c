/*
 * tg_depthwise_conv2d_3x3_s16_dsp: depthwise 2-D convolution of a 16x8 model for ARMv7E-M
 * (Cortex-M4/M7 DSP extension), 3x3 windows, stride 1, dilation 1, depth multiplier 1, any
 * padding: int16 input and output, one constant `packed` (tinygen.kernels.s16_dsp.
 * s16_dsp_depthwise_3x3_packed): per pair of channels (2k, 2k + 1) its 9 taps' weights widened to
 * int16, one word per tap (channel 2k in the bottom half; an odd count's missing channel 0),
 * then the two channels' requantization records (int64 bias, multiplier and shift folded;
 * tg_mat_mult_s16_dsp.h): what a block reads sits together, at immediate offsets.
 *
 * Per output row the window's rows are clipped to the input once (the padding's products are 0
 * and left out, as TFLite does). The pixels whose 3 columns lie inside the input go in blocks of
 * TG_DW3S_PX along the row: per pair of channels (c, c + 1) each kernel row's 3 weight words (two
 * channels' int16 weights each) are loaded once for the block, and each of the block's
 * TG_DW3S_PX + 2 input columns once (one word: the two channels), then multiplied lane by lane
 * with SMLABB / SMLATT into every pixel of the block that reads that column: 12 products per 6
 * loads on 4 pixels, the loaded taps shared by the neighbouring outputs. The pixels left over
 * one by one the same way, the edge pixels (columns in the padding) with their columns clipped.
 * An odd channel count's last channel alone, with halfword loads (the packed weights' pad 0 and
 * the input not read past the channel).
 *
 * Accumulation: int32. Each product |x * w| <= 32768 * 128 = 2^22 and a window has 9 taps, so
 * |sum| <= 9 * 2^22 < 2^31 for any weights: the exact sum TFLite forms in int64. Then
 * tg_s16_requant_rec (one SMLAL: tg_requantize_s64 of the sum plus the int64 bias; the proof is
 * at the records in tg_mat_mult_s16_dsp.h), saturated to int16 (SSAT), and, where the layer's
 * activation range is narrower, the row clamped to it after (clamping a saturated value to a
 * range inside int16's gives the clamp of the value itself). Equals tg_depthwise_conv2d_s16 bit for
 * bit on the layers it takes (tinygen.kernels.s16_table); numpy twin:
 * tinygen.ref.int16.depthwise_conv2d_s16.
 */
#include <arm_acle.h>
#include <stdint.h>
#include <string.h>

#include "tg_kernels.h"
#include "tg_mat_mult_s16_dsp.h"

/* output pixels per block along a row */
#define TG_DW3S_PX 3
/* the packed constant per channel pair (tinygen.kernels.s16_dsp.s16_dsp_depthwise_3x3_packed), int16:
   9 weight words (tap ky * 3 + kx: the pair's two int16 weights), then the two channels' records */
#define TG_DW3S_TAP 2
#define TG_DW3S_PAIR (9 * TG_DW3S_TAP + 2 * TG_S16_RECORD)

/* What every block of a call shares. */
typedef struct {
    const int16_t *rec;            /* the requantization records */
    int32_t x_px;                  /* input step between columns, int16 (in_c) */
    int32_t x_row;                 /* input step between rows, int16 */
    int32_t row_step;              /* bytes from a row's fifth column to the next row's first */
    int32_t out_c;
} tg_dw3s_t;

/* Channel c's word at p: channels c, c + 1 (pair) or channel c alone in the bottom half. */
static inline __attribute__((always_inline)) int32_t tg_dw3s_load(const int16_t *p, int32_t pair)
{
    return pair ? tg_s16_load_pair(p) : (int32_t)*p;
}

/*
 * One kernel row of a block of 3 pixels on a channel pair: the 5 input columns at xp (s bytes
 * apart) against the row's weight words w0, w1, w2 (tap 0, 1, 2): column j adds tap j - i of pixel
 * i, SMLABB into the bottom channel's sum lo, SMLATT into the top one's hi. 5 loads, 2 adds, 18
 * products, in registers (GCC spills the sums of the C loop at this size). No memory operand:
 * the kernel never writes its input, and the input and output do not overlap.
 */
#define TG_DW3S_MAC(acc_lo, acc_hi, w) \
    "smlabb %[" #acc_lo "], %[x], %[" #w "], %[" #acc_lo "]\n\t" \
    "smlatt %[" #acc_hi "], %[x], %[" #w "], %[" #acc_hi "]\n\t"

/* One output of tg_dw3s_requant3: offset + acc * m (SMLAL), its high word >> rs, SSAT. */
#define TG_DW3S_RQ(acc)                                        \
    "ldr    %[vlo], [%[rec]]\n\t"                              \
    "ldr    %[vhi], [%[rec], #4]\n\t"                          \
    "smlal  %[vlo], %[vhi], %[" #acc "], %[m]\n\t"             \
    "asr    %[" #acc "], %[vhi], %[rs]\n\t"                    \
    "ssat   %[" #acc "], #16, %[" #acc "]\n\t"

/* The body of a kernel row (see tg_dw3s_row3), as assembly text: xp ends 4 columns on. */
#define TG_DW3S_ROW                                \
    "ldr    %[x], [%[xp]]\n\t"                    \
    TG_DW3S_MAC(l0, h0, w0)                        \
    "ldr    %[x], [%[xp], %[s]]\n\t"              \
    TG_DW3S_MAC(l0, h0, w1)                        \
    TG_DW3S_MAC(l1, h1, w0)                        \
    "add    %[xp], %[xp], %[s], lsl #1\n\t"       \
    "ldr    %[x], [%[xp]]\n\t"                    \
    TG_DW3S_MAC(l0, h0, w2)                        \
    TG_DW3S_MAC(l1, h1, w1)                        \
    TG_DW3S_MAC(l2, h2, w0)                        \
    "ldr    %[x], [%[xp], %[s]]\n\t"              \
    TG_DW3S_MAC(l1, h1, w2)                        \
    TG_DW3S_MAC(l2, h2, w1)                        \
    "add    %[xp], %[xp], %[s], lsl #1\n\t"       \
    "ldr    %[x], [%[xp]]\n\t"                    \
    TG_DW3S_MAC(l2, h2, w2)

#define TG_DW3S_ROW_OPERANDS(...)                                                                        \
    : [l0] "+r"(lo[0]), [h0] "+r"(hi[0]), [l1] "+r"(lo[1]), [h1] "+r"(hi[1]), [l2] "+r"(lo[2]),      \
      [h2] "+r"(hi[2]), [x] "=&r"(x), [xp] "+r"(xp), __VA_ARGS__

static inline __attribute__((always_inline)) void tg_dw3s_row3(const int16_t *xp, int32_t s, int32_t w0, int32_t w1,
                                                               int32_t w2, int32_t lo[], int32_t hi[])
{
    int32_t x;
    __asm__(TG_DW3S_ROW
            TG_DW3S_ROW_OPERANDS([w0] "+r"(w0), [w1] "+r"(w1), [w2] "+r"(w2))
            : [s] "r"(s));
}

/*
 * All 3 kernel rows of a block of 3 pixels on a channel pair in one piece of assembly: each
 * row's 3 weight words loaded from w (the pair's 9 tap words, 4 bytes apart, TG_DW3S_TAP), its
 * 5 columns as tg_dw3s_row3, then xp moved to the next input row by step (in memory: the
 * registers are the 6 sums, the 3 weights, the column, xp, s and w).
 */
static inline __attribute__((always_inline)) void tg_dw3s_rows3(const int16_t *xp, int32_t s, const int32_t *step,
                                                                const int16_t *w, int32_t lo[], int32_t hi[])
{
    int32_t x, w0, w1, w2;
    __asm__("ldr    %[w0], [%[w]]\n\t"
            "ldr    %[w1], [%[w], #4]\n\t"
            "ldr    %[w2], [%[w], #8]\n\t"
            TG_DW3S_ROW
            "ldr    %[x], %[step]\n\t"
            "add    %[xp], %[xp], %[x]\n\t"
            "ldr    %[w0], [%[w], #12]\n\t"
            "ldr    %[w1], [%[w], #16]\n\t"
            "ldr    %[w2], [%[w], #20]\n\t"
            TG_DW3S_ROW
            "ldr    %[x], %[step]\n\t"
            "add    %[xp], %[xp], %[x]\n\t"
            "ldr    %[w0], [%[w], #24]\n\t"
            "ldr    %[w1], [%[w], #28]\n\t"
            "ldr    %[w2], [%[w], #32]\n\t"
            TG_DW3S_ROW
            TG_DW3S_ROW_OPERANDS([w0] "=&r"(w0), [w1] "=&r"(w1), [w2] "=&r"(w2))
            : [s] "r"(s), [w] "r"(w), [step] "m"(*step));
}

/*
 * a[0..2] (one channel's sums of a block of 3 pixels) requantized by the record at rec
 * (tg_s16_requant_rec, the offset reloaded for each SMLAL rather than copied) and saturated to
 * int16: 17 instructions for 3 outputs.
 */
static inline __attribute__((always_inline)) void tg_dw3s_requant3(const int16_t *rec, int32_t a[])
{
    int32_t m, rs, vlo, vhi;
    __asm__("ldr    %[m], [%[rec], #8]\n\t"
            "ldr    %[rs], [%[rec], #12]\n\t"
            TG_DW3S_RQ(a0)
            TG_DW3S_RQ(a1)
            TG_DW3S_RQ(a2)
            : [a0] "+r"(a[0]), [a1] "+r"(a[1]), [a2] "+r"(a[2]), [m] "=&r"(m), [rs] "=&r"(rs), [vlo] "=&r"(vlo),
              [vhi] "=&r"(vhi)
            : [rec] "r"(rec));
}

/*
 * px output pixels of one row (constant after inlining), channel c and, for `pair`, c + 1: x the
 * input at the first window row inside the input, column kx_lo of pixel 0's window, channel c;
 * w the weights of tap (first row, kx_lo), channel c; rows window rows and cols (<= 3) window
 * columns inside the input, cols 3 for px > 1; out the output of pixel 0, channel c.
 */
static inline __attribute__((always_inline)) void tg_dw3s_block(const tg_dw3s_t *g, const int16_t *x,
                                                                const int16_t *w, int32_t rows, int32_t cols,
                                                                int32_t c, int32_t px, int32_t pair, int16_t *out)
{
    int32_t lo[TG_DW3S_PX] = {0}, hi[TG_DW3S_PX] = {0};
    int32_t ky, i, j;

    if (rows == 3 && cols == 3 && pair && px == 3) {      /* the usual block: the rows unrolled */
        tg_dw3s_rows3(x, 2 * g->x_px, &g->row_step, w, lo, hi);
        rows = 0;
    }
    for (ky = rows; ky != 0; --ky) {
        if (cols == 3 && pair && px == 3) {
            tg_dw3s_row3(x, 2 * g->x_px, tg_s16_load_pair(w), tg_s16_load_pair(w + TG_DW3S_TAP),
                         tg_s16_load_pair(w + 2 * TG_DW3S_TAP), lo, hi);
        } else if (cols == 3) {
            const int32_t w0 = tg_dw3s_load(w, pair), w1 = tg_dw3s_load(w + TG_DW3S_TAP, pair);
            const int32_t w2 = tg_dw3s_load(w + 2 * TG_DW3S_TAP, pair);
            const int16_t *xp = x;
#pragma GCC unroll 6
            for (j = 0; j < px + 2; ++j) {      /* input column j: taps 0..2 of pixels j..j-2 */
                const int32_t xj = tg_dw3s_load(xp, pair);
                xp += g->x_px;
                if (j < px) {
                    lo[j] = __smlabb(xj, w0, lo[j]);
                    hi[j] = __smlatt(xj, w0, hi[j]);
                }
                if (j >= 1 && j - 1 < px) {
                    lo[j - 1] = __smlabb(xj, w1, lo[j - 1]);
                    hi[j - 1] = __smlatt(xj, w1, hi[j - 1]);
                }
                if (j >= 2) {
                    lo[j - 2] = __smlabb(xj, w2, lo[j - 2]);
                    hi[j - 2] = __smlatt(xj, w2, hi[j - 2]);
                }
            }
        } else {                                /* an edge pixel: its columns clipped */
            for (j = 0; j < cols; ++j) {
                const int32_t xj = tg_dw3s_load(x + j * g->x_px, pair), wj = tg_dw3s_load(w + j * TG_DW3S_TAP, pair);
                lo[0] = __smlabb(xj, wj, lo[0]);
                hi[0] = __smlatt(xj, wj, hi[0]);
            }
        }
        x += g->x_row;
        w += 3 * TG_DW3S_TAP;
    }
    {
        /* the records read once for the block, every result formed before the first store (the
           int16 output may alias the records as far as the compiler knows) */
        const int16_t *const rec = g->rec + c / 2 * TG_DW3S_PAIR;
        int16_t y0[TG_DW3S_PX], y1[TG_DW3S_PX];
        if (px == 3 && pair) {          /* the usual block: the records read in place */
            tg_dw3s_requant3(rec, lo);
            tg_dw3s_requant3(rec + TG_S16_RECORD, hi);
#pragma GCC unroll 3
            for (i = 0; i < 3; ++i) {
                const uint32_t v = ((uint32_t)lo[i] & 0xFFFFu) | (uint32_t)hi[i] << 16;   /* PKHBT */
                memcpy(out + i * g->out_c, &v, sizeof v);
            }
            return;
        }
        const tg_s16_record_t r0 = tg_s16_record(rec), r1 = pair ? tg_s16_record(rec + TG_S16_RECORD) : r0;
#pragma GCC unroll 4
        for (i = 0; i < px; ++i) {
            y0[i] = tg_s16_sat(tg_s16_requant_rec(lo[i], r0));
            y1[i] = pair ? tg_s16_sat(tg_s16_requant_rec(hi[i], r1)) : 0;
        }
#pragma GCC unroll 4
        for (i = 0; i < px; ++i) {
            out[i * g->out_c] = y0[i];
            if (pair) {
                out[i * g->out_c + 1] = y1[i];
            }
        }
    }
}

/* Every channel of px pixels (see tg_dw3s_block): channel pairs, then an odd count's last one. */
static inline __attribute__((always_inline)) void tg_dw3s_pixels(const tg_dw3s_t *g, const int16_t *x,
                                                                 const int16_t *w, int32_t rows, int32_t cols,
                                                                 int32_t px, int16_t *out)
{
    int32_t c;
    for (c = 0; c + 2 <= g->out_c; c += 2) {
        tg_dw3s_block(g, x + c, w + c / 2 * TG_DW3S_PAIR, rows, cols, c, px, 1, out + c);
    }
    if (c < g->out_c) {
        tg_dw3s_block(g, x + c, w + c / 2 * TG_DW3S_PAIR, rows, cols, c, px, 0, out + c);
    }
}

/* One pixel whose window may reach into the left or right padding (columns clipped). */
static __attribute__((noinline)) void tg_dw3s_edge(const tg_dw3s_t *g, const int16_t *x_row, const int16_t *w_row,
                                                   int32_t rows, int32_t in_x0, int32_t in_w, int16_t *out)
{
    const int32_t kx_lo = in_x0 < 0 ? -in_x0 : 0;
    const int32_t kx_hi = in_w - in_x0 < 3 ? in_w - in_x0 : 3;
    if (kx_hi <= kx_lo) {
        tg_dw3s_pixels(g, x_row, w_row, 0, 0, 1, out);      /* the whole window in the padding */
        return;
    }
    tg_dw3s_pixels(g, x_row + (in_x0 + kx_lo) * g->x_px, w_row + kx_lo * TG_DW3S_TAP, rows, kx_hi - kx_lo, 1, out);
}

void tg_depthwise_conv2d_3x3_s16_dsp(const tg_conv2d_params_t *p, const int16_t *input, const int16_t *packed,
                                     int16_t *output)
{
    tg_dw3s_t g;
    int32_t out_y, out_x;
    const int32_t x_first = p->pad_left;                /* first output column with its window inside */
    const int32_t x_end = p->in_w - 2 + p->pad_left;    /* one past the last */

    g.rec = packed + 9 * TG_DW3S_TAP;
    g.x_px = p->in_c;
    g.x_row = p->in_w * p->in_c;
    g.row_step = 2 * (g.x_row - 4 * g.x_px);
    g.out_c = p->out_c;
    for (out_y = 0; out_y < p->out_h; ++out_y) {
        const int32_t in_y0 = out_y - p->pad_top;
        const int32_t ky_lo = in_y0 < 0 ? -in_y0 : 0;
        const int32_t ky_hi = p->in_h - in_y0 < 3 ? p->in_h - in_y0 : 3;
        const int32_t rows = ky_hi > ky_lo ? ky_hi - ky_lo : 0;
        const int16_t *const x_row = input + (in_y0 + ky_lo) * g.x_row;   /* input column 0 */
        const int16_t *const w_row = packed + 3 * ky_lo * TG_DW3S_TAP;
        int16_t *const out_row = output + out_y * p->out_w * p->out_c;
        const int32_t lo = x_first < p->out_w ? x_first : p->out_w;
        const int32_t hi = x_end < p->out_w ? x_end : p->out_w;

        for (out_x = 0; out_x < lo; ++out_x) {
            tg_dw3s_edge(&g, x_row, w_row, rows, out_x - p->pad_left, p->in_w, out_row + out_x * p->out_c);
        }
        for (; out_x + TG_DW3S_PX <= hi; out_x += TG_DW3S_PX) {
            tg_dw3s_pixels(&g, x_row + (out_x - p->pad_left) * g.x_px, w_row, rows, 3, TG_DW3S_PX,
                           out_row + out_x * p->out_c);
        }
        for (; out_x < hi; ++out_x) {
            tg_dw3s_pixels(&g, x_row + (out_x - p->pad_left) * g.x_px, w_row, rows, 3, 1, out_row + out_x * p->out_c);
        }
        for (; out_x < p->out_w; ++out_x) {
            tg_dw3s_edge(&g, x_row, w_row, rows, out_x - p->pad_left, p->in_w, out_row + out_x * p->out_c);
        }
        tg_s16_clamp_span(out_row, p->out_w * p->out_c, p->act_min, p->act_max);
    }
}
