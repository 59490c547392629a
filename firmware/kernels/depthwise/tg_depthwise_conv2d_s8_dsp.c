/*
 * tg_depthwise_conv2d_s8_dsp: depthwise 2-D convolution with depth multiplier 1
 * (any kernel size, stride, dilation, padding) for ARMv7E-M (Cortex-M4/M7 DSP
 * extension), int8 in/out, per-channel requantization. Equals
 * tg_depthwise_conv2d_s8 bit for bit on the nodes it serves.
 * numpy twin: tinygen.ref.kernels.depthwise_conv2d_s8.
 *
 * Two paths.
 *
 * 3x3 windows with dilation 1 and stride_w 1 or 2 (with at most 2 padded rows on top
 * and columns on the left, an output no larger than the input along each axis, and
 * constants that keep the requantization exact: tinygen/kernels/depthwise_dsp.py
 * decides at build time and packs the per-channel records, the weights as
 * (w[r][0], w[r][1]) int16 pairs and w[r][2]): the input rows are widened once into a
 * ring of 3 rows in scratch, each a sequence of column pairs: per pair and channel one
 * word holding the channel at two adjacent columns (+ input offset) as int16, so a
 * kernel row of one output is one SMLAD and one SMLABB against the words of its
 * columns 0..1 and 2..3. Four output pixels per step (66 instructions per channel for
 * 36 MACs at stride 1, 72 at stride 2, requantization included, see tg_dw3_quads_row),
 * two for the rest of a row (39 per channel for 18 MACs, tg_dw3_pairs), an odd last
 * pixel alone, each step channel after channel in inline assembly. Padded rows and
 * columns are zero words: (zero point + input offset) is 0, as in TFLite.
 *
 * Any other window (and the layers the 3x3 path does not take): NHWC keeps an input
 * pixel's channels contiguous and TFLite's [1][kh][kw][C] weights keep a tap's channels
 * contiguous, so 4 channels are computed together: per tap one 32-bit load of 4 input
 * bytes, widened to two int16 pairs with the input offset added (SXTAB16 and its ROR #8
 * form), one load of the 4 weights widened with SXTB16, then one SMLABB or SMLATT per
 * channel (SMLAD would add two channels together). Padded taps are skipped. A window
 * cut by the border visits only its valid taps; the common cases (3 or 2 valid
 * columns, the full 3x3 window) are unrolled by the compiler. Channels beyond the last
 * multiple of 4 are computed one at a time.
 *
 * Loop order (the in-place memory plan, tinygen/passes/inplace.py, relies on it):
 * - any-window path: output pixels in raster order, one pixel (or 2 adjacent pixels of
 *   one output row) at a time; within it, channel blocks in increasing order; each
 *   block's outputs are written after all reads of that block's taps, and a block reads
 *   only its own channels' input bytes.
 * - 3x3 path: output rows in increasing order; before any output of a row is written,
 *   every input row its windows need has been read (copied into scratch, all channels),
 *   and nothing of the input is read afterwards but rows below those. With the output
 *   no larger than the input along each axis and at most 2 padded rows on top, a row's
 *   writes, even at the input's own address, reach no input byte a later row reads: the
 *   output may overlap its input at any distance >= 0, so the any-window path's
 *   distance (what inplace.py plans) is safe for both paths
 *   (tests/kernels/test_kernels_dsp_depthwise.py checks the row order on every small shape).
 *
 * Needs __ARM_FEATURE_DSP (-mcpu=cortex-m4 / cortex-m7).
 */
#include <arm_acle.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "tg_depthwise_conv2d_3x3_s8_dsp.h"
#include "tg_dsp_s8.h"
#include "tg_kernels.h"
#include "tg_requant.h"

/* Where a window's taps lie, in bytes, and what every tap shares. */
typedef struct {
    int32_t channels;       /* C: bytes between adjacent pixels of a row */
    int32_t in_row_step;    /* between kernel rows in the input: dilation_h * in_w * C */
    int32_t in_col_step;    /* between kernel columns in the input: dilation_w * C */
    int32_t w_row_step;     /* between kernel rows in the weights: kernel_w * C */
    int32_t taps;           /* kernel_h * kernel_w */
    int32_t kernel_w;
    int32_t offset2;        /* the input offset in both int16 halves */
} tg_dw_taps_t;

/* Output quantization, copied out of the parameters (stores through int8_t pointers may alias them). */
typedef struct {
    int32_t input_offset, output_offset;
    int32_t round_offset;           /* 1 + 2 * output_offset: see tg_dw_requant_small */
    int32_t act_min4, act_max4;     /* act_min and act_max in each of the 4 bytes */
    int32_t small;                  /* every accumulator fits tg_dw_requant_small */
} tg_dw_quant_t;

/*
 * Largest |accumulator| for which tg_dw_requant_small is exact: a = acc * 2^max(shift, 0)
 * must satisfy |a| < 2^30, so that 2 * a is an int32.
 */
#define TG_DW_SMALL_LIMIT ((int32_t)1 << 30)

/*
 * tg_requantize(acc, multiplier, shift) + output_offset saturated to int8, from
 * acc2 = 2 * acc and inv_shift = ~shift (the scratch holds weights and biases
 * doubled, and ~shift), for multiplier >= 0 and |acc * 2^max(shift, 0)| < 2^30
 * (tg_dw_accumulators_small). With a = acc << max(shift, 0):
 *  - SaturatingRoundingDoublingHighMul(a, multiplier) for multiplier >= 0 is
 *    floor((a * multiplier + 2^30) / 2^31) (see tg_requantize_fast in tg_requant.h),
 *    which is floor((2a * multiplier + 2^31) / 2^32): SMMULR of 2a, one instruction.
 *  - RoundingDivideByPOT(x, n), n = -shift >= 1, is
 *    floor((floor((x - [x < 0]) / 2^(n-1)) + 1) / 2) (also shown there); adding
 *    output_offset inside the last halving as 2 * output_offset is exact, and SSAT
 *    does the halving and the saturation together.
 */
static inline int32_t tg_dw_requant_small(int32_t acc2, int32_t multiplier, int32_t inv_shift,
                                          const tg_dw_quant_t *q)
{
    if (__builtin_expect(inv_shift >= 0, 1)) {      /* shift < 0 */
        const int32_t x = tg_dsp_smmulr(acc2, multiplier);
        /* inv_shift == n - 1; arithmetic shifts of negative values: see tg_requant.h */
        return tg_dsp_ssat8_asr1(((x + (x >> 31)) >> inv_shift) + q->round_offset);
    }
    return tg_dsp_ssat8(tg_dsp_smmulr((int32_t)((uint32_t)acc2 << ~inv_shift), multiplier) + q->output_offset);
}

/* The general case: TFLite's requantization + output_offset, saturated to int8. */
static inline int32_t tg_dw_requant(int32_t acc, int32_t multiplier, int32_t shift, const tg_dw_quant_t *q)
{
    return tg_dsp_ssat8(tg_requantize(acc, multiplier, shift) + q->output_offset);
}

/* 1 when every channel's accumulator and left shift meet tg_dw_requant_small's bound. */
static int32_t tg_dw_accumulators_small(const tg_conv2d_params_t *p, const int32_t *bias,
                                        const int32_t *multiplier, const int8_t *shift)
{
    /* |(x + input_offset) * w| <= 255 * 128 per tap */
    const int32_t taps = p->kernel_h * p->kernel_w;
    int32_t c;
    if (taps > 1024) {
        return 0;
    }
    for (c = 0; c < p->out_c; ++c) {
        const int32_t b = bias != NULL ? bias[c] : 0;
        const int32_t left = shift[c] > 0 ? shift[c] : 0;
        int32_t bound;
        if (multiplier[c] < 0 || b <= -TG_DW_SMALL_LIMIT || b >= TG_DW_SMALL_LIMIT || left >= 30) {
            return 0;
        }
        bound = (b < 0 ? -b : b) + taps * 255 * 128;    /* < 2^30 + 2^25 */
        if (bound >= (TG_DW_SMALL_LIMIT >> left)) {
            return 0;
        }
    }
    return 1;
}

/* Byte 0 of v into byte `lsb / 8` of packed: BFI (the compiler does not always find it). */
#define TG_DW_BFI(packed, v, lsb) __asm__("bfi %0, %1, #" #lsb ", #8" : "+r"(packed) : "r"(v))

/* Hides a pointer's value from the optimizer: the loads after it are addressed from it. */
#define TG_DW_OPAQUE(ptr) __asm__("" : "+r"(ptr))

/*
 * Four accumulators of channels c..c+3 requantized, clamped to [act_min, act_max]
 * with byte-wise SIMD (SSUB8 sets a GE flag per byte, SEL picks by them), stored as one word.
 */
static inline __attribute__((always_inline)) void
tg_dw_store4(int8_t *out, int32_t acc0, int32_t acc1, int32_t acc2, int32_t acc3,
             const int32_t multiplier[4], const int32_t inv_shift[4], const tg_dw_quant_t *q)
{
    uint32_t packed, b1, b2, b3;
    if (q->small) {
        packed = (uint32_t)tg_dw_requant_small(acc0, multiplier[0], inv_shift[0], q);
        b1 = (uint32_t)tg_dw_requant_small(acc1, multiplier[1], inv_shift[1], q);
        b2 = (uint32_t)tg_dw_requant_small(acc2, multiplier[2], inv_shift[2], q);
        b3 = (uint32_t)tg_dw_requant_small(acc3, multiplier[3], inv_shift[3], q);
    } else {
        /* the scratch holds the weights and biases as they are */
        packed = (uint32_t)tg_dw_requant(acc0, multiplier[0], ~inv_shift[0], q);
        b1 = (uint32_t)tg_dw_requant(acc1, multiplier[1], ~inv_shift[1], q);
        b2 = (uint32_t)tg_dw_requant(acc2, multiplier[2], ~inv_shift[2], q);
        b3 = (uint32_t)tg_dw_requant(acc3, multiplier[3], ~inv_shift[3], q);
    }
    TG_DW_BFI(packed, b1, 8);
    TG_DW_BFI(packed, b2, 16);
    TG_DW_BFI(packed, b3, 24);
    (void)__ssub8((int8x4_t)packed, (int8x4_t)q->act_min4);
    packed = __sel((uint8x4_t)packed, (uint8x4_t)q->act_min4);       /* max(packed, act_min) */
    (void)__ssub8((int8x4_t)q->act_max4, (int8x4_t)packed);
    packed = __sel((uint8x4_t)packed, (uint8x4_t)q->act_max4);       /* min(packed, act_max) */
    memcpy(out, &packed, sizeof packed);
}

static inline int8_t tg_dw_out(int32_t acc, int32_t multiplier, int32_t shift, const tg_dw_quant_t *q)
{
    acc = tg_dw_requant(acc, multiplier, shift, q);
    acc = acc < q->act_min4 >> 24 ? q->act_min4 >> 24 : acc;
    acc = acc > q->act_max4 >> 24 ? q->act_max4 >> 24 : acc;
    return (int8_t)acc;
}

/* Scratch words per block of 4 channels: the widened weights, then bias, multiplier, shift. */
#define TG_DW_BLOCK_WORDS(taps) (2 * (taps) + 12)

/* Everything a pixel needs that stays the same through the call. */
typedef struct {
    tg_dw_taps_t t;
    tg_dw_quant_t q;
    const int8_t *weights;
    const int32_t *wide;    /* the scratch records (tg_dw_prepare); NULL when in_c < 4 */
    const int32_t *bias, *multiplier;
    const int8_t *shift;
} tg_dw_ctx_t;

/*
 * One output pixel, all channels. x points at the window's first valid tap
 * (channel 0), tap is that tap's index in the kernel; n_rows x n_cols valid taps
 * from there, col_step bytes apart along a row (t.in_col_step, or C where the
 * compiler should know they are equal); taps and kernel_w as in t, passed as
 * constants where known. Inlined with constant n_rows / n_cols for the common
 * windows, so the tap loops unroll. cx must be the caller's local copy of the
 * context: then the compiler knows the stores to out leave it unchanged.
 */
static inline __attribute__((always_inline)) void
tg_dw_pixel(const tg_dw_ctx_t *cx, const int8_t *x, int32_t tap, int32_t n_rows, int32_t n_cols,
            int32_t col_step, int32_t taps, int32_t kernel_w, int8_t *out)
{
    const tg_dw_taps_t *const t = &cx->t;
    const int32_t channels = t->channels;
    const int32_t *block = cx->wide;
    int32_t c = 0;

    for (; c + 4 <= channels; c += 4, block += TG_DW_BLOCK_WORDS(taps)) {
        const int8_t *xr = x + c;
        const int32_t *wr = block + 2 * tap;
        const int32_t *const quant = block + 2 * taps;
        int32_t acc0 = quant[0], acc1 = quant[1], acc2 = quant[2], acc3 = quant[3];
        int32_t r, k;
        /* unrolled completely where n_rows and n_cols are constants */
#pragma GCC unroll 3
        for (r = 0; r < n_rows; ++r) {
            /* one pointer per row, the taps at register offsets from it (GCC would
               otherwise keep a pointer per tap, spilled to the stack) */
            TG_DW_OPAQUE(xr);
#pragma GCC unroll 3
            for (k = 0; k < n_cols; ++k) {
                const int32_t vx = tg_dsp_load_s8x4(xr + k * col_step);
                const int32_t x02 = __sxtab16(t->offset2, vx), x13 = tg_dsp_sxtab16_odd(t->offset2, vx);
                const int32_t w02 = wr[2 * k], w13 = wr[2 * k + 1];
                acc0 = __smlabb(x02, w02, acc0);
                acc2 = __smlatt(x02, w02, acc2);
                acc1 = __smlabb(x13, w13, acc1);
                acc3 = __smlatt(x13, w13, acc3);
            }
            xr += t->in_row_step;
            wr += 2 * kernel_w;
        }
        tg_dw_store4(out + c, acc0, acc1, acc2, acc3, quant + 4, quant + 8, &cx->q);
    }
    for (; c < channels; ++c) {     /* the channels after the last block of 4 */
        const int8_t *xr = x + c;
        const int8_t *wr = cx->weights + tap * channels + c;
        int32_t acc = cx->bias != NULL ? cx->bias[c] : 0;
        int32_t r, k;
        for (r = 0; r < n_rows; ++r) {
            for (k = 0; k < n_cols; ++k) {
                acc += ((int32_t)xr[k * col_step] + cx->q.input_offset) * (int32_t)wr[k * channels];
            }
            xr += t->in_row_step;
            wr += t->w_row_step;
        }
        out[c] = tg_dw_out(acc, cx->multiplier[c], cx->shift[c], &cx->q);
    }
}

/*
 * count adjacent output pixels of a row whose 3x3 windows (dilation 1 along W)
 * lie wholly inside the input, the first at x, the next x_step bytes on: the
 * interior of most layers, with the context's setup paid once per run.
 */
static __attribute__((noinline)) void tg_dw_run_3x3(const tg_dw_ctx_t *ctx, const int8_t *x, int32_t x_step,
                                                    int32_t count, int8_t *out)
{
    const tg_dw_ctx_t cx = *ctx;
    int32_t i;
    for (i = 0; i < count; ++i, x += x_step, out += cx.t.channels) {
        tg_dw_pixel(&cx, x, 0, 3, 3, cx.t.channels, 9, 3, out);
    }
}

/* 3 valid columns (the top and bottom borders of a 3x3 kernel). */
static __attribute__((noinline)) void tg_dw_pixel_3cols(const tg_dw_ctx_t *ctx, const int8_t *x, int32_t tap,
                                                        int32_t n_rows, int8_t *out)
{
    const tg_dw_ctx_t cx = *ctx;
    tg_dw_pixel(&cx, x, tap, n_rows, 3, cx.t.in_col_step, cx.t.taps, cx.t.kernel_w, out);
}

/* 2 valid columns (the left and right borders of a 3-wide kernel with padding 1). */
static __attribute__((noinline)) void tg_dw_pixel_2cols(const tg_dw_ctx_t *ctx, const int8_t *x, int32_t tap,
                                                        int32_t n_rows, int8_t *out)
{
    const tg_dw_ctx_t cx = *ctx;
    tg_dw_pixel(&cx, x, tap, n_rows, 2, cx.t.in_col_step, cx.t.taps, cx.t.kernel_w, out);
}

/* 1 valid column (a temporal k x 1 kernel, or a window cut to one column). */
static __attribute__((noinline)) void tg_dw_pixel_1col(const tg_dw_ctx_t *ctx, const int8_t *x, int32_t tap,
                                                       int32_t n_rows, int8_t *out)
{
    const tg_dw_ctx_t cx = *ctx;
    tg_dw_pixel(&cx, x, tap, n_rows, 1, cx.t.in_col_step, cx.t.taps, cx.t.kernel_w, out);
}

/* Any window. */
static __attribute__((noinline)) void tg_dw_pixel_any(const tg_dw_ctx_t *ctx, const int8_t *x, int32_t tap,
                                                      int32_t n_rows, int32_t n_cols, int8_t *out)
{
    const tg_dw_ctx_t cx = *ctx;
    tg_dw_pixel(&cx, x, tap, n_rows, n_cols, cx.t.in_col_step, cx.t.taps, cx.t.kernel_w, out);
}

/* The first valid tap index and the number of valid taps along one axis. */
static inline int32_t tg_dw_valid(int32_t origin, int32_t dilation, int32_t kernel, int32_t size,
                                  int32_t *first)
{
    int32_t k0 = 0, k1 = kernel;
    while (k0 < kernel && origin + k0 * dilation < 0) {
        ++k0;
    }
    while (k1 > k0 && origin + (k1 - 1) * dilation >= size) {
        --k1;
    }
    *first = k0;
    return k1 - k0;
}

/*
 * The scratch, one record of TG_DW_BLOCK_WORDS(taps) words per whole block of 4
 * channels: each tap's 4 weights widened once to int16 pairs (SXTB16), word
 * 2 * tap holding channels 0 and 2 of the block, the next word channels 1 and 3
 * (one LDRD per tap); then the block's 4 biases (0 without bias), 4 multipliers
 * and 4 ~shifts, so that a single pointer walks everything a block reads.
 * scale 2 doubles weights and biases (|2 * w| <= 256 is still an int16), so the
 * sums come out doubled as tg_dw_requant_small wants them.
 */
static void tg_dw_prepare(const int8_t *weights, const int32_t *bias, const int32_t *multiplier,
                          const int8_t *shift, int32_t taps, int32_t channels, int32_t scale,
                          int32_t *block)
{
    int32_t c, tap, i;
    for (c = 0; c + 4 <= channels; c += 4) {
        for (tap = 0; tap < taps; ++tap, block += 2) {
            const int32_t vw = tg_dsp_load_s8x4(weights + tap * channels + c);
            /* int16 lanes: w * 2 does not carry into the upper lane's bits, but keep the
               arithmetic per lane (SADD16) rather than on the whole word */
            block[0] = scale == 2 ? __sadd16(__sxtb16(vw), __sxtb16(vw)) : __sxtb16(vw);
            block[1] = scale == 2 ? __sadd16(tg_dsp_sxtb16_odd(vw), tg_dsp_sxtb16_odd(vw))
                                  : tg_dsp_sxtb16_odd(vw);
        }
        for (i = 0; i < 4; ++i) {
            block[i] = bias != NULL ? bias[c + i] * scale : 0;
            block[4 + i] = multiplier[c + i];
            block[8 + i] = ~shift[c + i];
        }
        block += 12;
    }
}

/* Any window: the widened weights in scratch, pixel by pixel (also the kernel
 * tg_depthwise_conv2d_widen_s8_dsp, tg_kernels.h). */
void tg_dw_any_window(const tg_conv2d_params_t *p, const int8_t *input, const int8_t *weights,
                      const int32_t *bias, const int32_t *multiplier, const int8_t *shift,
                      int8_t *scratch, int8_t *output)
{
    const int32_t channels = p->in_c;
    const int32_t taps = p->kernel_h * p->kernel_w;
    /* the arena places scratch buffers 16-byte aligned (LDRD needs 4); NULL when in_c < 4 */
    int32_t *const wide = (int32_t *)(void *)scratch;
    const tg_dw_ctx_t ctx = {
        {channels, p->dilation_h * p->in_w * channels, p->dilation_w * channels, p->kernel_w * channels,
         taps, p->kernel_w, (int32_t)(((uint32_t)p->input_offset & 0xFFFFu) * 0x00010001u)},
        {p->input_offset, p->output_offset, 1 + 2 * p->output_offset,
         (int32_t)((uint32_t)(p->act_min & 0xFF) * 0x01010101u),
         (int32_t)((uint32_t)(p->act_max & 0xFF) * 0x01010101u),
         tg_dw_accumulators_small(p, bias, multiplier, shift)},
        weights, wide, bias, multiplier, shift,
    };
    const int32_t fast_3x3 = p->kernel_h == 3 && p->kernel_w == 3 && p->dilation_w == 1;
    int32_t out_y, out_x;
    int8_t *out = output;

    tg_dw_prepare(weights, bias, multiplier, shift, taps, channels, ctx.q.small ? 2 : 1, wide);
    for (out_y = 0; out_y < p->out_h; ++out_y) {
        const int32_t in_y = out_y * p->stride_h - p->pad_top;
        int32_t ky;
        const int32_t n_rows = tg_dw_valid(in_y, p->dilation_h, p->kernel_h, p->in_h, &ky);
        const int8_t *in_row = input + (in_y + ky * p->dilation_h) * p->in_w * channels;
        for (out_x = 0; out_x < p->out_w; ++out_x, out += channels) {
            const int32_t in_x = out_x * p->stride_w - p->pad_left;
            int32_t kx;
            const int32_t n_cols = tg_dw_valid(in_x, p->dilation_w, p->kernel_w, p->in_w, &kx);
            const int32_t tap = ky * p->kernel_w + kx;
            const int8_t *x = in_row + (in_x + kx * p->dilation_w) * channels;
            if (fast_3x3 && n_rows == 3 && n_cols == 3) {
                /* this pixel and those after it whose windows end inside the row */
                const int32_t last = (p->in_w - 3 + p->pad_left) / p->stride_w;
                const int32_t count = (last < p->out_w - 1 ? last : p->out_w - 1) - out_x + 1;
                tg_dw_run_3x3(&ctx, x, p->stride_w * channels, count, out);
                out_x += count - 1;
                out += (count - 1) * channels;
            } else if (n_cols == 3) {
                tg_dw_pixel_3cols(&ctx, x, tap, n_rows, out);
            } else if (n_cols == 2) {
                tg_dw_pixel_2cols(&ctx, x, tap, n_rows, out);
            } else if (n_cols == 1) {
                tg_dw_pixel_1col(&ctx, x, tap, n_rows, out);
            } else {
                tg_dw_pixel_any(&ctx, x, tap, n_rows, n_cols, out);
            }
        }
    }
}

void tg_depthwise_conv2d_s8_dsp(const tg_conv2d_params_t *p, const int8_t *input,
                                const int8_t *weights, const int32_t *bias,
                                const int32_t *multiplier, const int8_t *shift,
                                const int32_t *packed, int8_t *scratch, int8_t *output)
{
    if (packed[0] == p->in_c) {     /* the 3x3 path's records were packed at build time */
        tg_dw3_run(p, input, packed + 1, scratch, output);
    } else {
        tg_dw_any_window(p, input, weights, bias, multiplier, shift, scratch, output);
    }
}
