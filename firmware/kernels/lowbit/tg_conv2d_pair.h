/*
 * The body of the pixel-pair packed-multiply kernels (tg_conv2d_pair_u4_s4_s8 and its _dsp
 * variant): see tg_kernels_pair.h for the method and the constant's layout, LOWBIT.md for the
 * field words. The portable loops take the dot of a pixel pair and a channel pair (the inner
 * loop) and the scaling step of the requantization (SMMLAR) as arguments, inlined; the DSP
 * kernel runs its plain-weight layers' channel pairs in assembly instead.
 *
 * Per pixel pair: the interleaved field (in_off 0: each pixel's words packed straight into
 * their places; otherwise both fields packed as the other packed kernels pack them,
 * tg_packed_field, into the scratch's second and third fields, then interleaved into its first
 * two); per channel pair: the dot (4 sums D, started at -8 U of their pixel) and the 4 outputs.
 */
#ifndef TG_CONV2D_PAIR_H
#define TG_CONV2D_PAIR_H

#include <stdint.h>

#include "tg_conv2d_packed.h"
#include "tg_kernels_pair.h"
#include "tg_pair_walk.h"

/*
 * d[0..3] += the fields of the sums of `steps` interleaved field word pairs at a (pixel 0's,
 * pixel 1's) times the interleaved weight word pairs at w (channel 0's, channel 1's):
 * d[0] pixel 0 x channel 0, d[1] pixel 0 x channel 1, d[2] pixel 1 x channel 0, d[3] pixel 1
 * x channel 1. steps >= 1.
 */
typedef void (*tg_pair_dot_fn)(const uint32_t *a, const uint32_t *w, int32_t steps, int32_t *d);

/* SMMLAR(acc2, m, r) + (acc2 >> 31) (tg_kernels_pair.h's requantization before its shift) */
typedef int32_t (*tg_pair_scale_fn)(int32_t acc2, int32_t m, int32_t r);

/* the portable dot: blocks of TG_PACKED_U4_BLOCK word pairs, each sum's field added to d */
static inline __attribute__((always_inline)) void tg_pair_dot_u4(const uint32_t *a, const uint32_t *w,
                                                                 int32_t steps, int32_t *d)
{
    const uint32_t *const end = a + 2 * steps;

    while (a != end) {
        const uint32_t *const stop = end - a > 2 * TG_PACKED_U4_BLOCK ? a + 2 * TG_PACKED_U4_BLOCK : end;
        uint64_t s00 = 0, s01 = 0, s10 = 0, s11 = 0;
        do {
            s00 += (uint64_t)a[0] * w[0];
            s01 += (uint64_t)a[0] * w[1];
            s10 += (uint64_t)a[1] * w[0];
            s11 += (uint64_t)a[1] * w[1];
            a += 2;
            w += 2;
        } while (a != stop);
        tg_packed_fold4(s00, s01, s10, s11, (TG_PACKED_U4_LANES - 1) * TG_PACKED_U4_SPACING, TG_PACKED_U4_SPACING,
                        d);
    }
}

/* the portable scaling: r + floor((acc2 * m + 2^31) / 2^32) + (acc2 >> 31) */
static inline int32_t tg_pair_scale(int32_t acc2, int32_t m, int32_t r)
{
    /* arithmetic shifts of negative values: see tg_requant.h */
    return (int32_t)(((int64_t)acc2 * m + ((int64_t)1 << 31)) >> 32) + r + (acc2 >> 31);
}

/*
 * one output from its doubled accumulator and its channel's record: the record's r has the
 * clamp's bottom folded in (r = (1 + 2 (output_offset - act_min)) 2^(n-1)), so the shifted
 * value is the output minus act_min, clamped to [0, span = act_max - act_min]
 */
static inline __attribute__((always_inline)) int8_t tg_pair_out(int32_t acc2, const int32_t *rec, int32_t lo,
                                                                int32_t span, tg_pair_scale_fn scale)
{
    int32_t v = scale(acc2, rec[1], rec[2]) >> rec[3];
    v = v < 0 ? 0 : v;
    return (int8_t)((v > span ? span : v) + lo);
}

/*
 * dst[2 j] = a[j], dst[2 j + 1] = b[j] for j < n, where a may be dst + n (and b dst + 2 n, or
 * a): step j writes dst[2 j] and dst[2 j + 1] < n + j + 1, so it only overwrites words of a
 * that earlier steps (or its own first statement) have read.
 */
static inline void tg_pair_interleave(uint32_t *dst, const uint32_t *a, const uint32_t *b, int32_t n)
{
    int32_t j;
    for (j = 0; j < n; ++j) {
        dst[2 * j] = a[j];
        dst[2 * j + 1] = b[j];
    }
}

/* rows of the input ring (in_off 0): the rows one output pixel reads, at most in_h */
static inline int32_t tg_pair_ring_rows(const tg_conv2d_packed_params_t *p)
{
    const int32_t span = (p->kernel_h - 1) * p->dilation_h + 1;
    return span < p->in_h ? span : p->in_h;
}

/* words per input pixel in the ring: its field words of one tap, then the sum of its u */
static inline int32_t tg_pair_ring_words(const tg_conv2d_packed_params_t *p)
{
    return (p->in_c + TG_PACKED_U4_LANES - 1) / TG_PACKED_U4_LANES + 1;
}

/*
 * The ring (in_off 0): input row iy packed once per call into slot iy % tg_pair_ring_rows,
 * each pixel as one tap's words (tg_packed_tap) and their sum. Output pixels come in raster
 * order, so their first rows never decrease: packing the rows of a pixel's window that are not
 * packed yet (after *top, the last packed row) only overwrites rows that no later pixel reads.
 */
static inline __attribute__((always_inline)) void tg_pair_ring_fill(const tg_conv2d_packed_params_t *p,
                                                                    const int8_t *input, int32_t iy0,
                                                                    uint32_t *ring, int32_t *top)
{
    const int32_t c = p->in_c, rows = tg_pair_ring_rows(p), rw = tg_pair_ring_words(p);
    int32_t last = iy0 + (p->kernel_h - 1) * p->dilation_h, iy = *top + 1 > iy0 ? *top + 1 : iy0, ix;

    last = last < p->in_h ? last : p->in_h - 1;
    for (iy = iy > 0 ? iy : 0; iy <= last; ++iy) {
        uint32_t *dst = &ring[(iy % rows) * p->in_w * rw];
        const int8_t *x = &input[iy * p->in_w * c];
        for (ix = 0; ix < p->in_w; ++ix, x += c, dst += rw) {
            int32_t sum = 0;
            tg_packed_tap(x, c, TG_PACKED_KIND_U4, 0, 0, dst, &sum);
            dst[rw - 1] = (uint32_t)sum;
        }
    }
    *top = last > *top ? last : *top;
}

/*
 * One output pixel's field for in_off 0 (tg_packed_field's words) at dst[0], dst[2], ...: its
 * half of the pair's interleaving, copied from the ring (filled first where the pixel needs
 * rows not packed yet). Returns U, the sum of its u.
 */
static inline __attribute__((always_inline)) int32_t tg_pair_field_u4(const tg_conv2d_packed_params_t *p,
                                                                       const int8_t *input, int32_t px,
                                                                       uint32_t *ring, int32_t *top, uint32_t *dst)
{
    const int32_t c = p->in_c, full = c / TG_PACKED_U4_LANES, rest = c % TG_PACKED_U4_LANES;
    const int32_t rows = tg_pair_ring_rows(p), rw = tg_pair_ring_words(p);
    const int32_t iy0 = px / p->out_w * p->stride_h - p->pad_top;
    const int32_t ix0 = px % p->out_w * p->stride_w - p->pad_left;
    const int32_t pad_u = -p->input_offset;     /* the zero point's u */
    const uint32_t pad_word = tg_packed_splat((uint32_t)pad_u, TG_PACKED_U4_LANES, TG_PACKED_KIND_U4);
    const uint32_t pad_rest = tg_packed_splat((uint32_t)pad_u, rest, TG_PACKED_KIND_U4);
    int32_t sum = 0, pads = 0, ky, kx, j;

    tg_pair_ring_fill(p, input, iy0, ring, top);
    for (ky = 0; ky < p->kernel_h; ++ky) {
        const int32_t iy = iy0 + ky * p->dilation_h;
        const uint32_t *const row = &ring[(iy < 0 ? 0 : iy % rows) * p->in_w * rw];
        for (kx = 0; kx < p->kernel_w; ++kx) {
            const int32_t ix = ix0 + kx * p->dilation_w;
            if (iy < 0 || iy >= p->in_h || ix < 0 || ix >= p->in_w) {
                dst = tg_pair_pad_tap(dst, full, pad_word, rest, pad_rest);
                ++pads;
            } else {
                const uint32_t *src = &row[ix * rw];
                for (j = rw - 1; j >= 2; j -= 2, src += 2, dst += 4) {
                    const uint32_t a = src[0], b = src[1];
                    dst[0] = a;
                    dst[2] = b;
                }
                if (j != 0) {
                    *dst = *src++;
                    dst += 2;
                }
                sum += (int32_t)*src;
            }
        }
    }
    return sum + pads * c * pad_u;
}

/* tg_pair_field_u4 from the ring, not inlined: one copy serves every instantiation of the loops (flash) */
static __attribute__((noinline)) int32_t tg_pair_field_ring_u4(const tg_conv2d_packed_params_t *p, const int8_t *input,
                                                               int32_t px, uint32_t *ring, int32_t *top, uint32_t *dst)
{
    return tg_pair_field_u4(p, input, px, ring, top, dst);
}

/*
 * Whether the kernel packs its input once per row into a ring (tg_kernels_pair.h's
 * TG_PAIR_RING): for in_off 0 where every input pixel is read by 4 or more output pixels
 * (kernel_h * kernel_w >= 4 * stride_h * stride_w, a 3x3 stride-1 layer); elsewhere each
 * field is packed tap by tap.
 */
static inline int32_t tg_pair_uses_ring(const tg_conv2d_packed_params_t *p)
{
    return p->in_off == 0 && p->kernel_h * p->kernel_w >= 4 * p->stride_h * p->stride_w;
}

/*
 * The interleaved field of output pixels px and px + 1 (px alone, paired with itself, when it
 * is the last of an odd count) in the scratch's first two fields; u[0], u[1] their sums of u.
 * For in_off 0 without the ring each field is packed by `walk` (w: set up by tg_pair_walk_setup). With the ring
 * (tg_pair_uses_ring) the fields are copied from it (behind the two fields; *top: its last
 * packed row, -1 at the start of a call). Returns whether there are two.
 */
static inline __attribute__((always_inline)) int32_t tg_pair_fields(const tg_conv2d_packed_params_t *p,
                                                                    const int8_t *input, int32_t px,
                                                                    uint32_t *field, int32_t *top, int32_t *u,
                                                                    tg_pair_walk_t *w, tg_pair_walk_fn walk)
{
    const int32_t steps = tg_conv2d_packed_steps(p, TG_PACKED_U4_LANES);
    const int32_t two = px + 1 < p->out_h * p->out_w;
    uint32_t *const f0 = field + steps;         /* interleaved in place: see tg_pair_interleave */
    uint32_t *const f1 = f0 + steps;

    if (tg_pair_uses_ring(p)) {
        uint32_t *const ring = field + 2 * steps;
        u[0] = tg_pair_field_ring_u4(p, input, px, ring, top, field);
        u[1] = tg_pair_field_ring_u4(p, input, two ? px + 1 : px, ring, top, field + 1);
        return two;
    }
    if (p->in_off == 0) {                       /* the compiler's inputs: packed in place */
        u[0] = tg_pair_field_walk_u4(p, input, px, w, field, walk);
        u[1] = tg_pair_field_walk_u4(p, input, two ? px + 1 : px, w, field + 1, walk);
        return two;
    }
    u[0] = tg_packed_field(p, input, px / p->out_w, px % p->out_w, TG_PACKED_KIND_U4, f0);
    u[1] = two ? tg_packed_field(p, input, (px + 1) / p->out_w, (px + 1) % p->out_w, TG_PACKED_KIND_U4, f1) : u[0];
    tg_pair_interleave(field, f0, two ? f1 : f0, steps);
    return two;
}

/* the doubled accumulator of a sum D (odd weights: 2 c + 1, e = 2 U) */
static inline __attribute__((always_inline)) int32_t tg_pair_acc2(int32_t d, int32_t e, int32_t k, int32_t odd)
{
    return odd ? 4 * d + e + k : 2 * d + k;
}

/*
 * The outputs of output channels o and o + 1 (o alone where o + 1 == out_c) at both pixels of
 * the interleaved field: the dot, then the requantization in C. w, rec: the pair's weight
 * words and records.
 */
static inline __attribute__((always_inline)) void tg_pair_channels(
    const tg_conv2d_packed_params_t *p, const uint32_t *field, const uint32_t *w, const int32_t *rec,
    int32_t o, const int32_t *u, int8_t *out0, int8_t *out1, int32_t odd, tg_pair_dot_fn dot,
    tg_pair_scale_fn scale)
{
    const int32_t lo = p->act_min, span = p->act_max - p->act_min;
    const int32_t e0 = 2 * u[0], e1 = 2 * u[1];
    int32_t d[4];

    d[0] = d[1] = -8 * u[0];
    d[2] = d[3] = -8 * u[1];
    dot(field, w, tg_conv2d_packed_steps(p, TG_PACKED_U4_LANES), d);
    out0[o] = tg_pair_out(tg_pair_acc2(d[0], e0, rec[0], odd), rec, lo, span, scale);
    out1[o] = tg_pair_out(tg_pair_acc2(d[2], e1, rec[0], odd), rec, lo, span, scale);
    if (o + 1 < p->out_c) {
        const int32_t *const rec1 = rec + TG_PAIR_RECORD_WORDS;
        out0[o + 1] = tg_pair_out(tg_pair_acc2(d[1], e0, rec1[0], odd), rec1, lo, span, scale);
        out1[o + 1] = tg_pair_out(tg_pair_acc2(d[3], e1, rec1[0], odd), rec1, lo, span, scale);
    }
}

static inline __attribute__((always_inline)) void tg_conv2d_pair_run(
    const tg_conv2d_packed_params_t *p, const int8_t *input, const uint32_t *packed, int8_t *scratch,
    int8_t *output, int32_t odd, tg_pair_dot_fn dot, tg_pair_scale_fn scale, tg_pair_walk_fn walk)
{
    const int32_t steps = tg_conv2d_packed_steps(p, TG_PACKED_U4_LANES);
    const int32_t pairs = (p->out_c + 1) / 2, pixels = p->out_h * p->out_w;
    const uint32_t *const weights = packed + 2 * TG_PAIR_RECORD_WORDS * pairs;
    uint32_t *const field = (uint32_t *)__builtin_assume_aligned(scratch, 4);
    int32_t px, q, top = -1;
    tg_pair_walk_t w;

    tg_pair_walk_setup(p, &w);
    for (px = 0; px < pixels; px += 2) {
        int32_t u[2];
        int8_t *const out0 = &output[px * p->out_c];
        int8_t *const out1 = tg_pair_fields(p, input, px, field, &top, u, &w, walk) ? out0 + p->out_c : out0;
        for (q = 0; q < pairs; ++q) {
            tg_pair_channels(p, field, &weights[2 * q * steps], (const int32_t *)packed + 2 * TG_PAIR_RECORD_WORDS * q,
                             2 * q, u, out0, out1, odd, dot, scale);
        }
    }
}

/* the kernel: its loops instantiated for odd and plain weights */
static inline __attribute__((always_inline)) void tg_conv2d_pair(const tg_conv2d_packed_params_t *p,
                                                                 const int8_t *input, const uint32_t *packed,
                                                                 int8_t *scratch, int8_t *output,
                                                                 tg_pair_dot_fn dot, tg_pair_scale_fn scale,
                                                                 tg_pair_walk_fn walk)
{
    if (p->odd) {
        tg_conv2d_pair_run(p, input, packed, scratch, output, 1, dot, scale, walk);
    } else {
        tg_conv2d_pair_run(p, input, packed, scratch, output, 0, dot, scale, walk);
    }
}

#endif /* TG_CONV2D_PAIR_H */
