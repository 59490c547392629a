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
 * columns 0..1 and 2..3. Four output pixels per step at stride 1 (69 instructions per
 * channel for 36 MACs, requantization included, see tg_dw3_quads), two at stride 2
 * and for the rest of a row (39 per channel for 18 MACs, tg_dw3_pairs), an odd last
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
 *   (tests/test_kernels_dsp_depthwise.py checks the row order on every small shape).
 *
 * Needs __ARM_FEATURE_DSP (-mcpu=cortex-m4 / cortex-m7).
 */
#include <arm_acle.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

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
                                        const int32_t *multiplier, const int32_t *shift)
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
    const int32_t *bias, *multiplier, *shift;
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
                          const int32_t *shift, int32_t taps, int32_t channels, int32_t scale,
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

/* ------------------------------------------------------------------------ */
/* 3x3 windows, dilation 1, stride_w 1 or 2: widened column pairs, SMLAD    */
/* ------------------------------------------------------------------------ */

/*
 * The 3x3 path's per-channel records, packed at build time after a header word
 * (tinygen/kernels/depthwise_dsp.py, depthwise_dsp_records) and walked by one pointer:
 * the doubled bias; per kernel row r the doubled weights w[r][0] | w[r][1] << 16 (one
 * SMLAD against a column pair) and w[r][2]; then the requantization's multiplier,
 * n = -shift and R = (1 + 2 * output_offset) << (n - 1) (see TG_DW3_REQUANT). The header
 * word is the channel count where the layer's shape and constants let the 3x3 path serve
 * it, 0 otherwise.
 */
#define TG_DW3_RECORD_WORDS 10

/* Words per channel in a ring row: column pairs (2k, 2k + 1) of the padded input row
   (column pad_left is input column 0), as far as the loads reach. */
static int32_t tg_dw3_row_words(const tg_conv2d_params_t *p)
{
    const int32_t loads = (p->out_w - 1) * p->stride_w + 4;    /* columns a row's loads reach */
    const int32_t padded = p->pad_left + p->in_w;
    return ((loads > padded ? loads : padded) + 1) / 2;
}

/* lo and hi as the two int16 halves of a word */
static inline int32_t tg_dw3_pack(int32_t lo, int32_t hi)
{
    return (int32_t)(((uint32_t)lo & 0xFFFFu) | ((uint32_t)hi << 16));
}

/* Two words to a word-aligned address: STRD. */
static inline void tg_dw3_store2(int32_t *d, int32_t a, int32_t b)
{
    __asm__("strd %1, %2, %0" : "=m"(*(int64_t *)(void *)d) : "r"(a), "r"(b));
}

/*
 * One column pair of a ring row, 4 channels at a time: x points at channel 0 of the
 * pair's first input column, lo / hi (constants where inlined) say whether the first /
 * second column lies inside the input; a padding column reads as 4 zero-point bytes,
 * which the offset turns into 0. PKHBT puts channels 0, 1 of both columns in
 * one word, so SXTAB16 and its rotated form give channel 0's and channel 1's pairs
 * directly (PKHTB likewise for channels 2, 3).
 */
static inline __attribute__((always_inline)) int32_t
tg_dw3_gather_pair(const int8_t *x, int32_t channels, int32_t offset2, int32_t zero_point4, int32_t lo,
                   int32_t hi, int32_t *d)
{
    int32_t c;
#pragma GCC unroll 2
    for (c = 0; c + 4 <= channels; c += 4) {
        const int32_t va = lo ? tg_dsp_load_s8x4(x + c) : zero_point4;
        const int32_t vb = hi ? tg_dsp_load_s8x4(x + channels + c) : zero_point4;
        const int32_t t01 = tg_dsp_pkhbt(va, vb), t23 = tg_dsp_pkhtb(vb, va);
        tg_dw3_store2(d + c, __sxtab16(offset2, t01), tg_dsp_sxtab16_odd(offset2, t01));
        tg_dw3_store2(d + c + 2, __sxtab16(offset2, t23), tg_dsp_sxtab16_odd(offset2, t23));
    }
    return c;
}

/*
 * Input row src (channel 0 of its first pixel) widened with the input offset into a
 * ring row: word k * channels + c holds channel c at padded columns 2k and 2k + 1.
 * Words with no input column are left as they are (zero).
 */
static __attribute__((noinline)) void
tg_dw3_gather(const int8_t *src, int32_t channels, int32_t in_w, int32_t pad_left, int32_t row_words,
              int32_t offset2, int32_t *dst)
{
    const int32_t offset = (int16_t)offset2;
    const int32_t zero_point4 = (int32_t)((uint32_t)(-offset & 0xFF) * 0x01010101u);
    int32_t k;
    for (k = 0; k < row_words; ++k) {
        const int32_t j = 2 * k - pad_left;        /* the input column of the pair's first half */
        const int8_t *const x = src + j * channels;
        int32_t *const d = dst + k * channels;
        int32_t c;
        if (j >= 0 && j + 1 < in_w) {
            c = tg_dw3_gather_pair(x, channels, offset2, zero_point4, 1, 1, d);
        } else if (j + 1 == 0) {
            c = tg_dw3_gather_pair(x, channels, offset2, zero_point4, 0, 1, d);
        } else if (j + 1 == in_w) {
            c = tg_dw3_gather_pair(x, channels, offset2, zero_point4, 1, 0, d);
        } else {
            continue;
        }
        for (; c < channels; ++c) {     /* the channels after the last block of 4 */
            const int32_t lo = j >= 0 ? x[c] + offset : 0;
            const int32_t hi = j + 1 < in_w ? x[channels + c] + offset : 0;
            d[c] = tg_dw3_pack(lo, hi);
        }
    }
}

/*
 * The requantization, in the loops below: tg_dw_requant_small with the output offset
 * folded in, 4 instructions per output. With x = SMMULR(acc2, multiplier) (|x| < 2^30)
 * and n = -shift, tg_dw_requant_small is
 *   SSAT8(floor((floor((x - [x < 0]) / 2^(n-1)) + 1 + 2 * output_offset) / 2))
 *   = SSAT8(floor((x - [x < 0] + R) / 2^n)),   R = (1 + 2 * output_offset) * 2^(n-1)
 * (nested floors of divisions by powers of two combine, and R is a multiple of
 * 2^(n-1)). SMMLAR(acc2, multiplier, R) gives x + R in one instruction. [x < 0] may be
 * replaced by [acc2 < 0] (the multiplier is >= 0, so x has acc2's sign or is 0, and
 * for x == 0 both give the output offset as R / 2^(n-1) is odd). The records are
 * packed only where the sum stays inside int32 (depthwise_dsp.py checks
 * |x| + |R| + 1 < 2^31 per channel). Then ASR by n and SSAT.
 *
 * Registers of the loops: rec walks the records (post-incremented by the first load,
 * the rest addressed below it), a, b, c the ring rows of kernel rows 0..2 (one word
 * per channel, post-incremented), n the channel count (the next column pair is
 * n words on, the step's second output pixel n bytes on), out the output (post-
 * incremented). s0, s1 are the sums, x0, x1 column pairs, w0, w1 record words.
 */
#define TG_DW3_REQUANT(dst, sum)                           \
    "smmlar %[" #dst "], %[" #sum "], %[w0], %[x0]\n\t"   \
    "add    %[" #dst "], %[" #dst "], %[" #sum "], asr #31\n\t" \
    "asr    %[" #dst "], %[" #dst "], %[w1]\n\t"           \
    "ssat   %[" #dst "], #8, %[" #dst "]\n\t"

#define TG_DW3_OPERANDS                                                                          \
    : [rec] "+r"(rec), [a] "+r"(a), [b] "+r"(b), [c] "+r"(c), [out] "+r"(out), [s0] "=&r"(s0), \
      [s1] "=&r"(s1), [x0] "=&r"(x0), [x1] "=&r"(x1), [w0] "=&r"(w0), [w1] "=&r"(w1)            \
    : [n] "r"(channels), [end] "r"(rec_end)                                                      \
    : "memory", "cc"

/* Kernel row at pointer r, weights at record offset off, stride 1: output 0 takes columns
   0, 1 (SMLAD) and 2; output 1 columns 1, 2, 3 (three halfword products). s1in is s1,
   or s0 (the bias) in the first row. */
#define TG_DW3_ROW_S1(r, off, s1in)                            \
    "ldrd   %[w0], %[w1], [%[rec], #" #off "]\n\t"             \
    "ldr    %[x1], [%[" #r "], %[n], lsl #2]\n\t"              \
    "ldr    %[x0], [%[" #r "]], #4\n\t"                        \
    "smlatb %[s1], %[x0], %[w0], %[" #s1in "]\n\t"             \
    "smlad  %[s0], %[x0], %[w0], %[s0]\n\t"                    \
    "smlabb %[s0], %[x1], %[w1], %[s0]\n\t"                    \
    "smlabt %[s1], %[x1], %[w0], %[s1]\n\t"                    \
    "smlatb %[s1], %[x1], %[w1], %[s1]\n\t"

/* Kernel row, stride 2: output 0 takes columns 0, 1 and 2; output 1 columns 2, 3 and 4. */
#define TG_DW3_ROW_S2(r, off, s1in)                            \
    "ldrd   %[w0], %[w1], [%[rec], #" #off "]\n\t"             \
    "ldr    %[x1], [%[" #r "], %[n], lsl #2]\n\t"              \
    "ldr    %[x0], [%[" #r "], %[n], lsl #3]\n\t"              \
    "smlad  %[s1], %[x1], %[w0], %[" #s1in "]\n\t"             \
    "smlabb %[s0], %[x1], %[w1], %[s0]\n\t"                    \
    "smlabb %[s1], %[x0], %[w1], %[s1]\n\t"                    \
    "ldr    %[x0], [%[" #r "]], #4\n\t"                        \
    "smlad  %[s0], %[x0], %[w0], %[s0]\n\t"

/* Kernel row, one output: columns 0, 1 and 2. */
#define TG_DW3_ROW_1(r, off)                                   \
    "ldrd   %[w0], %[w1], [%[rec], #" #off "]\n\t"             \
    "ldr    %[x1], [%[" #r "], %[n], lsl #2]\n\t"              \
    "ldr    %[x0], [%[" #r "]], #4\n\t"                        \
    "smlad  %[s0], %[x0], %[w0], %[s0]\n\t"                    \
    "smlabb %[s0], %[x1], %[w1], %[s0]\n\t"

/* The requantization constants of the record just walked past, then both outputs stored. */
#define TG_DW3_STORE2                                          \
    "ldrd   %[w0], %[w1], [%[rec], #-12]\n\t"                  \
    "ldr    %[x0], [%[rec], #-4]\n\t"                          \
    TG_DW3_REQUANT(x1, s0)                                     \
    TG_DW3_REQUANT(s0, s1)                                     \
    "strb   %[s0], [%[out], %[n]]\n\t"                         \
    "strb   %[x1], [%[out]], #1\n\t"                           \
    "cmp    %[rec], %[end]\n\t"                                \
    "bne    1b\n\t"

/*
 * Two adjacent output pixels of a row, every channel (stride 1 or 2), written to out
 * (the first pixel's channel 0); a, b, c at the first window's column pair.
 */
static inline __attribute__((always_inline)) void
tg_dw3_pairs(const int32_t *rec, const int32_t *rec_end, const int32_t *a, const int32_t *b, const int32_t *c,
             int32_t channels, int32_t stride, int8_t *out)
{
    int32_t s0, s1, x0, x1, w0, w1;
    if (stride == 1) {
        __asm__ volatile(
            "1:\n\t"
            "ldr    %[s0], [%[rec]], #40\n\t"
            TG_DW3_ROW_S1(a, -36, s0)
            TG_DW3_ROW_S1(b, -28, s1)
            TG_DW3_ROW_S1(c, -20, s1)
            TG_DW3_STORE2
            TG_DW3_OPERANDS);
    } else {
        __asm__ volatile(
            "1:\n\t"
            "ldr    %[s0], [%[rec]], #40\n\t"
            TG_DW3_ROW_S2(a, -36, s0)
            TG_DW3_ROW_S2(b, -28, s1)
            TG_DW3_ROW_S2(c, -20, s1)
            TG_DW3_STORE2
            TG_DW3_OPERANDS);
    }
}

/* Kernel row, stride 1, four outputs: columns 0..5 as three column pairs (p23 and p45
   first, from the row's pointer before p01's post-increment). s0in is s0 or, in the
   first row, s0 for all four sums (the bias, before s0 takes its first product). */
#define TG_DW3_ROW_Q(r, off, s1in, s2in, s3in)                 \
    "ldrd   %[w0], %[w1], [%[rec], #" #off "]\n\t"             \
    "ldr    %[x1], [%[" #r "], %[n], lsl #2]\n\t"              \
    "ldr    %[x0], [%[" #r "], %[n], lsl #3]\n\t"              \
    "smlad  %[s2], %[x1], %[w0], %[" #s2in "]\n\t"             \
    "smlatb %[s3], %[x1], %[w0], %[" #s3in "]\n\t"             \
    "smlabt %[s1], %[x1], %[w0], %[" #s1in "]\n\t"             \
    "smlabb %[s2], %[x0], %[w1], %[s2]\n\t"                    \
    "smlabt %[s3], %[x0], %[w0], %[s3]\n\t"                    \
    "smlatb %[s3], %[x0], %[w1], %[s3]\n\t"                    \
    "smlatb %[s1], %[x1], %[w1], %[s1]\n\t"                    \
    "smlabb %[s0], %[x1], %[w1], %[s0]\n\t"                    \
    "ldr    %[x0], [%[" #r "]], #4\n\t"                        \
    "smlad  %[s0], %[x0], %[w0], %[s0]\n\t"                    \
    "smlatb %[s1], %[x0], %[w0], %[s1]\n\t"

/*
 * Four adjacent output pixels of a stride-1 row, every channel: 69 instructions per
 * channel for 36 MACs. The loop end lives in memory: all 14 registers are taken.
 */
static inline __attribute__((always_inline)) void
tg_dw3_quads(const int32_t *rec, const int32_t *rec_end, const int32_t *a, const int32_t *b, const int32_t *c,
             int32_t channels, int8_t *out)
{
    int32_t s0, s1, s2, s3, x0, x1, w0, w1;
    __asm__ volatile(
        "1:\n\t"
        "ldr    %[s0], [%[rec]], #40\n\t"
        TG_DW3_ROW_Q(a, -36, s0, s0, s0)
        TG_DW3_ROW_Q(b, -28, s1, s2, s3)
        TG_DW3_ROW_Q(c, -20, s1, s2, s3)
        "ldrd   %[w0], %[w1], [%[rec], #-12]\n\t"
        "ldr    %[x0], [%[rec], #-4]\n\t"
        TG_DW3_REQUANT(x1, s0)
        TG_DW3_REQUANT(s0, s1)
        TG_DW3_REQUANT(s1, s2)
        TG_DW3_REQUANT(s2, s3)
        "strb   %[s0], [%[out], %[n]]\n\t"
        "strb   %[s1], [%[out], %[n], lsl #1]\n\t"
        "add    %[s3], %[out], %[n], lsl #1\n\t"
        "strb   %[s2], [%[s3], %[n]]\n\t"
        "strb   %[x1], [%[out]], #1\n\t"
        "ldr    %[x0], %[end]\n\t"
        "cmp    %[rec], %[x0]\n\t"
        "bne    1b\n\t"
        : [rec] "+r"(rec), [a] "+r"(a), [b] "+r"(b), [c] "+r"(c), [out] "+r"(out), [s0] "=&r"(s0),
          [s1] "=&r"(s1), [s2] "=&r"(s2), [s3] "=&r"(s3), [x0] "=&r"(x0), [x1] "=&r"(x1), [w0] "=&r"(w0),
          [w1] "=&r"(w1)
        : [n] "r"(channels), [end] "m"(rec_end)
        : "memory", "cc");
}

/* One output pixel, every channel (the last of an odd row). */
static void tg_dw3_single(const int32_t *rec, const int32_t *rec_end, const int32_t *a, const int32_t *b,
                          const int32_t *c, int32_t channels, int8_t *out)
{
    int32_t s0, s1, x0, x1, w0, w1;
    __asm__ volatile(
        "1:\n\t"
        "ldr    %[s0], [%[rec]], #40\n\t"
        TG_DW3_ROW_1(a, -36)
        TG_DW3_ROW_1(b, -28)
        TG_DW3_ROW_1(c, -20)
        "ldrd   %[w0], %[w1], [%[rec], #-12]\n\t"
        "ldr    %[x0], [%[rec], #-4]\n\t"
        TG_DW3_REQUANT(x1, s0)
        "strb   %[x1], [%[out]], #1\n\t"
        "cmp    %[rec], %[end]\n\t"
        "bne    1b\n\t"
        TG_DW3_OPERANDS);
    (void)s1;
}

/* count output bytes clamped to [act_min, act_max], 4 at a time with SIMD (SSUB8 sets a
   GE flag per byte, SEL picks by them). */
static void tg_dw3_clamp(int8_t *out, int32_t count, int32_t lo, int32_t hi)
{
    int32_t i;
    for (i = 0; i + 4 <= count; i += 4) {
        uint32_t v = (uint32_t)tg_dsp_load_s8x4(out + i);
        (void)__ssub8((int8x4_t)v, (int8x4_t)lo);
        v = __sel((uint8x4_t)v, (uint8x4_t)lo);
        (void)__ssub8((int8x4_t)hi, (int8x4_t)v);
        v = __sel((uint8x4_t)v, (uint8x4_t)hi);
        memcpy(out + i, &v, sizeof v);
    }
    for (; i < count; ++i) {
        out[i] = (int8_t)(out[i] < (lo >> 24) ? lo >> 24 : out[i] > (hi >> 24) ? hi >> 24 : out[i]);
    }
}

/* One output row, all channels, from the ring rows of kernel rows 0..2 (a, b, c: word 0
   is channel 0's pair of columns 0, 1): two output pixels per step, then an odd last one.
   stride is a constant where inlined. */
static inline __attribute__((always_inline)) void
tg_dw3_row(const int32_t *rec, const int32_t *a, const int32_t *b, const int32_t *c, int32_t channels,
           int32_t out_w, int32_t stride, int8_t *out)
{
    const int32_t *const rec_end = rec + channels * TG_DW3_RECORD_WORDS;
    const int32_t step = stride * channels;     /* words between the column pairs of two steps */
    int32_t x = 0;
    if (stride == 1) {
        for (; x + 4 <= out_w; x += 4, a += 2 * channels, b += 2 * channels, c += 2 * channels,
             out += 4 * channels) {
            tg_dw3_quads(rec, rec_end, a, b, c, channels, out);
        }
    }
    for (; x + 2 <= out_w; x += 2, a += step, b += step, c += step, out += 2 * channels) {
        tg_dw3_pairs(rec, rec_end, a, b, c, channels, stride, out);
    }
    if (x < out_w) {
        tg_dw3_single(rec, rec_end, a, b, c, channels, out);
    }
}

/* tg_dw3_row for stride_w 1 or 2. */
static __attribute__((noinline)) void
tg_dw3_row_any(const int32_t *rec, const int32_t *a, const int32_t *b, const int32_t *c, int32_t channels,
               int32_t out_w, int32_t stride, int8_t *out)
{
    if (stride == 1) {
        tg_dw3_row(rec, a, b, c, channels, out_w, 1, out);
    } else {
        tg_dw3_row(rec, a, b, c, channels, out_w, 2, out);
    }
}

/*
 * The 3x3 path. rec: the records (after the packed header word). Scratch: a ring of 3
 * widened rows (input row r in ring row r mod 3; padding rows and columns zero). Output
 * rows in increasing order; per output row, the input rows its windows need that are not
 * yet in the ring are read (all channels) first, then the row's outputs are computed and
 * written.
 */
static void tg_dw3_run(const tg_conv2d_params_t *p, const int8_t *input, const int32_t *rec, int8_t *scratch,
                       int8_t *output)
{
    const int32_t channels = p->in_c, in_w = p->in_w, out_w = p->out_w;
    const int32_t offset2 = (int32_t)(((uint32_t)p->input_offset & 0xFFFFu) * 0x00010001u);
    const int32_t act_min4 = (int32_t)((uint32_t)(p->act_min & 0xFF) * 0x01010101u);
    const int32_t act_max4 = (int32_t)((uint32_t)(p->act_max & 0xFF) * 0x01010101u);
    const int32_t row_step = tg_dw3_row_words(p) * channels;   /* words per ring row */
    int32_t *const ring = (int32_t *)(void *)scratch;
    int32_t out_y, r, next_row = -p->pad_top;      /* the first input row not yet in the ring */

    for (r = 0; r < 3 * row_step; r += channels) {     /* the column pairs wholly in the padding */
        const int32_t j = 2 * (r % row_step / channels) - p->pad_left;
        if (j + 1 < 0 || j >= in_w) {
            memset(ring + r, 0, (size_t)channels * sizeof *ring);
        }
    }
    for (out_y = 0; out_y < p->out_h; ++out_y) {
        const int32_t top = out_y * p->stride_h - p->pad_top;
        int8_t *const out_row = output + out_y * out_w * channels;
        for (r = next_row > top ? next_row : top; r < top + 3; ++r) {
            int32_t *const row = ring + (r + 3) % 3 * row_step;
            if (r >= 0 && r < p->in_h) {
                tg_dw3_gather(input + r * in_w * channels, channels, in_w, p->pad_left, row_step / channels,
                              offset2, row);
            } else {
                memset(row, 0, (size_t)row_step * sizeof *row);
            }
        }
        next_row = top + 3;
        tg_dw3_row_any(rec, ring + (top + 3) % 3 * row_step, ring + (top + 4) % 3 * row_step,
                       ring + (top + 5) % 3 * row_step, channels, out_w, p->stride_w, out_row);
        if (act_min4 != (int32_t)0x80808080u || act_max4 != 0x7F7F7F7F) {
            tg_dw3_clamp(out_row, out_w * channels, act_min4, act_max4);
        }
    }
}

/* Any window: the widened weights in scratch, pixel by pixel. */
static void tg_dw_any_window(const tg_conv2d_params_t *p, const int8_t *input, const int8_t *weights,
                             const int32_t *bias, const int32_t *multiplier, const int32_t *shift,
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
            } else {
                tg_dw_pixel_any(&ctx, x, tap, n_rows, n_cols, out);
            }
        }
    }
}

void tg_depthwise_conv2d_s8_dsp(const tg_conv2d_params_t *p, const int8_t *input,
                                const int8_t *weights, const int32_t *bias,
                                const int32_t *multiplier, const int32_t *shift,
                                const int32_t *packed, int8_t *scratch, int8_t *output)
{
    if (packed[0] == p->in_c) {     /* the 3x3 path's records were packed at build time */
        tg_dw3_run(p, input, packed + 1, scratch, output);
    } else {
        tg_dw_any_window(p, input, weights, bias, multiplier, shift, scratch, output);
    }
}
