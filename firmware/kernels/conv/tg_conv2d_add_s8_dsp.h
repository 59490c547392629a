/*
 * The body of tg_conv2d_add_s8_dsp (a 2-D convolution with a fused residual add, int8,
 * ARMv7E-M; see tg_conv2d_add_s8_dsp.c for the contract), shared by the generic kernel
 * and the per-layer specialization tg_conv2d_add_s8_dsp_inline, which a generated
 * layer calls with its static const parameters. The convolution is the direct core of
 * tg_conv2d_direct_s8_dsp.h (4 output channels per step, weights widened at build
 * time); the epilogue per output byte is the conv's requantization and clamp, then
 * TFLite's ADD arithmetic with the skip byte, in one of three modes.
 *
 * Needs __ARM_FEATURE_DSP (-mcpu=cortex-m4 / cortex-m7).
 */
#ifndef TG_CONV2D_ADD_S8_DSP_H
#define TG_CONV2D_ADD_S8_DSP_H

#include <stddef.h>
#include <stdint.h>

#include "tg_conv2d_direct_s8_dsp.h"
#include "tg_dsp_s8.h"
#include "tg_kernels.h"
#include "tg_requant.h"

/*
 * The epilogue's modes, checked once per call: TG_CONV_ADD_GENERAL, TFLite's arithmetic as
 * it is; TG_CONV_ADD_FAST, the conv's requantization by tg_requantize_fast (multipliers
 * >= 0) and the add's by SMMULR, as tg_add_s8_dsp does it and proves it exact there
 * (left_shift <= 20, multipliers >= 0, input shifts in [-31, 0], output shift in
 * [-31, -1]); TG_CONV_ADD_BOUNDED, the same with tg_requantize_bounded for the conv
 * (multipliers in [2^30, 2^31), shifts in [-31, -1], |bias| + depth * 255 * 128 < 2^30).
 */
enum { TG_CONV_ADD_GENERAL, TG_CONV_ADD_FAST, TG_CONV_ADD_BOUNDED };
/* A fast mode may carry TG_REQUANT_POS (tg_mat_mult_s8_dsp.h), which a specialized layer sets
   where add_act_min >= add_output_offset: the add's requantization leaves out its sign's ADD. */

/* Twice the add's rescaled input v (= x + offset), for n = -shift: n_minus_1 < 0 when n == 0. */
static inline __attribute__((always_inline)) int32_t tg_conv_add_twice(int32_t v, int32_t left_shift_1, int32_t m,
                                                                       int32_t n_minus_1)
{
    const int32_t x = tg_dsp_smmulr((int32_t)((uint32_t)v << left_shift_1), m);
    if (n_minus_1 < 0) {
        return x * 2;
    }
    /* arithmetic shifts of negative values: see tg_requant.h */
    return (int32_t)((uint32_t)(((x + (x >> 31)) >> n_minus_1) + 1) & ~1u);
}

/* The fast modes' term of one input byte v of the add: twice its rescaled value, for the conv's byte
   (which == 0) or the skip's (which == 1). A function of the byte alone: a layer may tabulate it
   for the 256 values (tg_conv_add_tables). */
static inline __attribute__((always_inline)) int32_t tg_conv_add_term(const tg_conv2d_add_params_t *p, int32_t v,
                                                                      int32_t which)
{
    return which == 0
               ? tg_conv_add_twice(v + p->conv_offset, p->add_left_shift + 1, p->conv_multiplier, -p->conv_shift - 1)
               : tg_conv_add_twice(v + p->skip_offset, p->add_left_shift + 1, p->skip_multiplier, -p->skip_shift - 1);
}

/* The fast modes' output byte from the sum of the two terms: the add's output requantization and clamp. */
static inline __attribute__((always_inline)) int8_t tg_conv_add_sum(const tg_conv2d_add_params_t *p, int32_t sum,
                                                                    int32_t mode)
{
    const int32_t x = tg_dsp_smmulr(sum, p->add_output_multiplier);
    /* the sign's ADD (x >> 31) left out where TG_REQUANT_POS: see tg_requant.h */
    int32_t out = tg_dsp_ssat8_asr1(((x + (mode & TG_REQUANT_POS ? 0 : x >> 31)) >> (-p->add_output_shift - 1)) + 1 +
                                    2 * p->add_output_offset);
    out = out < p->add_act_min ? p->add_act_min : out;
    out = out > p->add_act_max ? p->add_act_max : out;
    return (int8_t)out;
}

/* Both inputs' terms for the 256 byte values, by the byte's unsigned value u = (uint8_t)v (one LDRB
   and one LDR with LSL #2 per input): tab[u] the conv's, tab[256 + u] the skip's. An output byte is then
   tg_conv_add_sum(p, tab[(uint8_t)c] + tab[256 + (uint8_t)skip], mode), the same bits. */
static inline __attribute__((always_inline)) void tg_conv_add_tables(const tg_conv2d_add_params_t *p, int32_t *tab)
{
    int32_t v;
#pragma GCC unroll 1
    for (v = -128; v < 128; ++v) {
        tab[(uint8_t)v] = tg_conv_add_term(p, v, 0);
        tab[256 + (uint8_t)v] = tg_conv_add_term(p, v, 1);
    }
}

/* The most output shift (n = -add_output_shift - 1) at which tg_conv_add_run folds the output offset into
   the multiply (fold): |(1 + 2 offset) 2^n| <= 255 * 2^20 < 2^28, and |smmulr| < 2^30, so no sum overflows. */
#define TG_CONV_ADD_FOLD_MAX_SHIFT 20

/*
 * n output bytes from n conv bytes and n skip bytes by the tables (tg_conv_add_tables), as tg_conv_add_sum
 * computes them; pos: TG_REQUANT_POS, clamp: the add's bounds narrower than int8. fold (with pos, and
 * n <= TG_CONV_ADD_FOLD_MAX_SHIFT), the constant n + 1 (0: not folded): ((x >> n) + 1 + 2 offset) >> 1 is
 * (x + (1 + 2 offset) 2^n) >> (n + 1) (adding a multiple of 2^n commutes with the floor), x + c for
 * x = SMMULR(s, m) is SMMLAR(s, m, c), and the shift by the constant n + 1 is SSAT's own: two instructions
 * fewer per byte.
 */
static inline __attribute__((always_inline)) void tg_conv_add_run(const tg_conv2d_add_params_t *p, const int32_t *tc,
                                                                  const int32_t *ts, const int8_t *conv,
                                                                  const int8_t *skip, int8_t *out, int32_t n,
                                                                  int32_t pos, int32_t clamp, int32_t fold)
{
    const uint8_t *const cu = (const uint8_t *)conv, *const su = (const uint8_t *)skip;
    const int32_t m = p->add_output_multiplier, sh = -p->add_output_shift - 1, off = 1 + 2 * p->add_output_offset;
    const int32_t lift = fold ? off * ((int32_t)1 << (fold - 1)) : 0;
    const int32_t lo = p->add_act_min, hi = p->add_act_max;
    int32_t k;
    /* unrolled: the loop's compare and branch (a pipeline refill on the Cortex-M4) once per 8 bytes */
#pragma GCC unroll 8
    for (k = 0; k < n; ++k) {
        int32_t o;
        if (fold) {
            o = tg_dsp_ssat8_asrn(tg_dsp_smmlar(tc[cu[k]] + ts[su[k]], m, lift), fold);
        } else {
            const int32_t x = tg_dsp_smmulr(tc[cu[k]] + ts[su[k]], m);
            o = tg_dsp_ssat8_asr1(((x + (pos ? 0 : x >> 31)) >> sh) + off);
        }
        if (clamp) {
            o = o < lo ? lo : o;
            o = o > hi ? hi : o;
        }
        out[k] = (int8_t)o;      /* after skip[k] is read: out may be skip */
    }
}

/* tg_conv_add_run out of line (its own registers, not the caller's loop's), one function per
   (TG_REQUANT_POS, clamp, fold): a specialized layer links only the one it calls. */
#define TG_CONV_ADD_BLOCK(name, pos, clamp, fold)                                                                \
    static __attribute__((noinline, unused)) void name(const tg_conv2d_add_params_t *p, const int32_t *tc,    \
                                                       const int32_t *ts, const int8_t *conv, const int8_t *skip, \
                                                       int8_t *out, int32_t n)                                    \
    {                                                                                                             \
        tg_conv_add_run(p, tc, ts, conv, skip, out, n, pos, clamp, fold);                                         \
    }
/* the folded loops, one per output shift n + 1 of 1..TG_CONV_ADD_FOLD_MAX_SHIFT + 1, with the clamp and without */
#define TG_CONV_ADD_FOLD(s)                                          \
    TG_CONV_ADD_BLOCK(tg_conv_add_block_fold_##s, 1, 0, s)           \
    TG_CONV_ADD_BLOCK(tg_conv_add_block_fold_clamp_##s, 1, 1, s)
#define TG_CONV_ADD_FOLDS(X)                                                                                      \
    X(1) X(2) X(3) X(4) X(5) X(6) X(7) X(8) X(9) X(10) X(11) X(12) X(13) X(14) X(15) X(16) X(17) X(18) X(19) X(20) \
    X(21)
TG_CONV_ADD_FOLDS(TG_CONV_ADD_FOLD)
TG_CONV_ADD_BLOCK(tg_conv_add_block_pos, 1, 0, 0)
TG_CONV_ADD_BLOCK(tg_conv_add_block_pos_clamp, 1, 1, 0)
TG_CONV_ADD_BLOCK(tg_conv_add_block_sign, 0, 0, 0)
TG_CONV_ADD_BLOCK(tg_conv_add_block_sign_clamp, 0, 1, 0)
#undef TG_CONV_ADD_FOLD
#undef TG_CONV_ADD_BLOCK

typedef void (*tg_conv_add_block_fn)(const tg_conv2d_add_params_t *, const int32_t *, const int32_t *, const int8_t *,
                                     const int8_t *, int8_t *, int32_t);

/* The folded loop of the layer's output shift (-add_output_shift of 1..TG_CONV_ADD_FOLD_MAX_SHIFT + 1): a
   constant in a specialized layer, where the switch folds away. */
static inline __attribute__((always_inline)) tg_conv_add_block_fn tg_conv_add_fold_fn(const tg_conv2d_add_params_t *p,
                                                                                    int32_t clamp)
{
#define TG_CONV_ADD_CASE(s)                                                 \
    case s:                                                                 \
        return clamp ? tg_conv_add_block_fold_clamp_##s : tg_conv_add_block_fold_##s;
    switch (-p->add_output_shift) {
        TG_CONV_ADD_FOLDS(TG_CONV_ADD_CASE)
    default:
        return NULL;       /* not reached: the shift is checked before */
    }
#undef TG_CONV_ADD_CASE
}

/* n output bytes of the fused add from the tables of tg_conv_add_tables at tab (the skip's passed apart: no
   address arithmetic between a byte's load and its entry's), the loop picked by mode's TG_REQUANT_POS, the
   output shift and the add's bounds (clamped only where narrower than SSAT's): constants in a specialized layer. */
static inline __attribute__((always_inline)) void tg_conv_add_block(const tg_conv2d_add_params_t *p, const int32_t *tab,
                                                                    const int8_t *conv, const int8_t *skip,
                                                                    int8_t *out, int32_t n, int32_t mode)
{
    const int32_t clamp = p->add_act_min > -128 || p->add_act_max < 127;
    if (!(mode & TG_REQUANT_POS)) {
        (clamp ? tg_conv_add_block_sign_clamp : tg_conv_add_block_sign)(p, tab, tab + 256, conv, skip, out, n);
    } else if (-p->add_output_shift - 1 <= TG_CONV_ADD_FOLD_MAX_SHIFT) {
        tg_conv_add_fold_fn(p, clamp)(p, tab, tab + 256, conv, skip, out, n);
    } else {
        (clamp ? tg_conv_add_block_pos_clamp : tg_conv_add_block_pos)(p, tab, tab + 256, conv, skip, out, n);
    }
}

/* One output byte from the conv's clamped result c and the skip byte: the add's arithmetic. */
static inline __attribute__((always_inline)) int8_t tg_conv_add_of(const tg_conv2d_add_params_t *p, int32_t c,
                                                                   int32_t skip, int32_t mode)
{
    const int32_t kind = TG_REQUANT_KIND(mode);
    int32_t out;
    if (kind == TG_CONV_ADD_GENERAL) {
        const int32_t sum =
            tg_requantize_smaller_than_one_exp((c + p->conv_offset) * ((int32_t)1 << p->add_left_shift),
                                               p->conv_multiplier, p->conv_shift) +
            tg_requantize_smaller_than_one_exp((skip + p->skip_offset) * ((int32_t)1 << p->add_left_shift),
                                               p->skip_multiplier, p->skip_shift);
        out = tg_requantize_smaller_than_one_exp(sum, p->add_output_multiplier, p->add_output_shift) +
              p->add_output_offset;
    } else {
        return tg_conv_add_sum(p, tg_conv_add_term(p, c, 0) + tg_conv_add_term(p, skip, 1), mode);
    }
    out = out < p->add_act_min ? p->add_act_min : out;
    out = out > p->add_act_max ? p->add_act_max : out;
    return (int8_t)out;
}

/* One output byte from the conv's sum and the skip byte. */
static inline __attribute__((always_inline)) int8_t tg_conv_add_out(const tg_conv2d_add_params_t *p, int32_t acc,
                                                                    int32_t m, int32_t s, int32_t skip, int32_t mode)
{
    const int32_t kind = TG_REQUANT_KIND(mode);
    int32_t c;
    if (kind == TG_CONV_ADD_BOUNDED) {
        c = tg_requantize_bounded(acc, m, s);
    } else if (kind == TG_CONV_ADD_FAST) {
        c = tg_requantize_fast(acc, m, s);
    } else {
        c = tg_requantize(acc, m, s);
    }
    c += p->output_offset;
    c = c < p->act_min ? p->act_min : c;
    c = c > p->act_max ? p->act_max : c;
    return tg_conv_add_of(p, c, skip, mode);
}

/*
 * Outputs in raster order, per pixel the channel blocks in increasing order: output byte
 * p is written once, after its window and skip byte p are read, and no other output
 * reads skip byte p, so the output may take the skip's place.
 */
static inline __attribute__((always_inline)) void tg_conv_add_all(const tg_conv2d_add_params_t *p, const int8_t *input,
                                                                  const int8_t *skip, const int16_t *packed,
                                                                  const int32_t *bias, const int32_t *multiplier,
                                                                  const int8_t *shift, int32_t mode, int8_t *output)
{
    const tg_conv_direct_t g = {p->in_h,     p->in_w,       p->in_c,       p->out_h,      p->out_w,
                                p->out_c,    p->kernel_h,   p->kernel_w,   p->stride_h,   p->stride_w,
                                p->dilation_h, p->dilation_w, p->pad_top, p->pad_left, p->input_offset};
    int32_t out_y, out_x, oc, c, at = 0;
    for (out_y = 0; out_y < g.out_h; ++out_y) {
        const int32_t in_y = out_y * g.stride_h - g.pad_top;
        const tg_conv_taps_t rows = tg_conv_direct_taps(in_y, g.dilation_h, g.kernel_h, g.in_h);
        for (out_x = 0; out_x < g.out_w; ++out_x) {
            const int32_t in_x = out_x * g.stride_w - g.pad_left;
            const tg_conv_taps_t cols = tg_conv_direct_taps(in_x, g.dilation_w, g.kernel_w, g.in_w);
            for (oc = 0; oc < g.out_c; oc += 4) {
                const int32_t n = g.out_c - oc < 4 ? g.out_c - oc : 4;
                int32_t acc[4];
                tg_conv_direct_sums(&g, input, packed + (oc >> 2) * tg_conv_direct_block_values(&g), bias, oc, rows,
                                    cols, in_y, in_x, acc);
#pragma GCC unroll 4
                for (c = 0; c < n; ++c) {
                    output[at + oc + c] = tg_conv_add_out(p, acc[c], multiplier[oc + c], shift[oc + c],
                                                          skip[at + oc + c], mode);
                }
            }
            at += g.out_c;
        }
    }
}

/* Whether the add's parameters allow the fast modes (TG_CONV_ADD_FAST's conditions on p). */
static inline int32_t tg_conv_add_fast_add(const tg_conv2d_add_params_t *p)
{
    return p->add_left_shift >= 0 && p->add_left_shift <= 20 && p->conv_multiplier >= 0 && p->skip_multiplier >= 0 &&
           p->add_output_multiplier >= 0 && p->conv_shift <= 0 && p->skip_shift <= 0 && p->add_output_shift < 0 &&
           p->conv_shift >= -31 && p->skip_shift >= -31 && p->add_output_shift >= -31;
}

/* The epilogue's mode for a call, checked once (see TG_CONV_ADD_GENERAL). */
static inline int32_t tg_conv_add_mode(const tg_conv2d_add_params_t *p, const int32_t *bias,
                                       const int32_t *multiplier, const int8_t *shift)
{
    const int32_t depth = p->kernel_h * p->kernel_w * p->in_c;
    const int32_t bias_limit = ((int32_t)1 << 30) - (depth < 32768 ? depth : 32767) * 255 * 128;
    int32_t fast = tg_conv_add_fast_add(p);
    int32_t bounded = fast && depth < 32768;
    int32_t oc;
    for (oc = 0; oc < p->out_c && fast; ++oc) {
        const int32_t b = bias != NULL ? bias[oc] : 0;
        fast = multiplier[oc] >= 0 && shift[oc] >= -31 && shift[oc] <= 31;
        bounded = bounded && multiplier[oc] >= ((int32_t)1 << 30) && shift[oc] <= -1 && b < bias_limit &&
                  b > -bias_limit;
    }
    return !fast ? TG_CONV_ADD_GENERAL : bounded ? TG_CONV_ADD_BOUNDED : TG_CONV_ADD_FAST;
}

/* Every output with the mode a constant in each branch. */
static inline __attribute__((always_inline)) void tg_conv2d_add_s8_dsp_body(
    const tg_conv2d_add_params_t *p, int32_t mode, const int8_t *input, const int8_t *skip, const int16_t *packed,
    const int32_t *bias, const int32_t *multiplier, const int8_t *shift, int8_t *output)
{
    if (mode == TG_CONV_ADD_BOUNDED) {
        tg_conv_add_all(p, input, skip, packed, bias, multiplier, shift, TG_CONV_ADD_BOUNDED, output);
    } else if (mode == TG_CONV_ADD_FAST) {
        tg_conv_add_all(p, input, skip, packed, bias, multiplier, shift, TG_CONV_ADD_FAST, output);
    } else {
        tg_conv_add_all(p, input, skip, packed, bias, multiplier, shift, TG_CONV_ADD_GENERAL, output);
    }
}

/*
 * Per-layer specialization: tg_conv2d_add_s8_dsp with p pointing to the layer's static
 * const parameters and `bounded` the conv's tg_mat_mult_quant verdict computed at build
 * time (tinygen.kernels.specialize): with it and the add's fast conditions (constants of
 * p) the mode is TG_CONV_ADD_BOUNDED at build time; otherwise it is checked per call.
 */
static inline __attribute__((always_inline)) void tg_conv2d_add_s8_dsp_inline(
    const tg_conv2d_add_params_t *p, int32_t bounded, const int8_t *input, const int8_t *skip, const int16_t *packed,
    const int32_t *bias, const int32_t *multiplier, const int8_t *shift, int8_t *output)
{
    if (bounded && tg_conv_add_fast_add(p)) {
        tg_conv_add_all(p, input, skip, packed, bias, multiplier, shift,
                        TG_CONV_ADD_BOUNDED | TG_REQUANT_POS_OF(bounded), output);
    } else {
        tg_conv2d_add_s8_dsp_body(p, tg_conv_add_mode(p, bias, multiplier, shift), input, skip, packed, bias,
                                  multiplier, shift, output);
    }
}

#endif /* TG_CONV2D_ADD_S8_DSP_H */
