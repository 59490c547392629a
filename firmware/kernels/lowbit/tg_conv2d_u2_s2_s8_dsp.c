/*
 * tg_conv2d_u2_s2_s8_dsp: tg_conv2d_u2_s2_s8 for ARMv7E-M (Cortex-M4 / M7), two output
 * pixels per pass over the weights. Equals the portable kernel bit for bit.
 * numpy twin: tinygen.ref.subbyte.conv2d_u2_s2_s8.
 *
 * Per pair of output pixels both fields are packed interleaved (pixel 0's word j, pixel 1's
 * word j; the fields' sums of u by USADA8) so that one LDRD reads both. Per group of 4
 * output channels one pass keeps 8 SMLAD sums (2 pixels x 4 channels) in r4-r11: per field
 * word LDRD (2 field words), 2 LDRD (4 weight words), 8 SMLAD, i.e. 11 instructions for 32
 * products (the one-pixel loop: 6 for 16), 16 words a loop turn. Blocks of at most
 * TG_PACKED_U2_BLOCK words keep every field exact, as in the portable kernel. The block's
 * epilogue turns the fields into the pixel's sums (doubled with odd, plus -2 U or -3 U).
 * An odd last pixel takes the one-pixel loop (tg_packed_dot4_u2_dsp, 6 instructions for 16
 * products) instead; a single pixel (a fully connected layer) the one-pixel kernel's body.
 *
 * Then one pass per pixel pair requantizes: each channel's constants (corr + bias and the
 * requantization operands, computed once per call) loaded once for both pixels;
 * tg_requantize_bounded with the output zero point folded in where every channel's
 * multiplier, shift and bias allow it (checked once per call), else tg_requantize_fast.
 *
 * Scratch: tg_conv2d_u2_s2_s8_dsp_buffer_size(p) bytes: the interleaved pair of fields
 * (2 * steps words), 4 words of constants per channel and the pair's sums (2 words per
 * channel), channels rounded up to 4.
 */
#include <stdint.h>

#include "tg_conv2d_packed.h"
#include "tg_conv2d_packed_dsp.h"
#include "tg_kernels_packed.h"
#include "tg_requant_pair_dsp.h"

/* one field word pair (a += 8 bytes) against 4 weight words (w += 16 bytes): 8 SMLAD */
#define TG_U2X2_STEP                          \
    "ldrd r2, r3, [r0], #8\n\t"               \
    "ldrd r12, lr, [r1], #8\n\t"              \
    "smlad r4, r2, r12, r4\n\t"               \
    "smlad r5, r2, lr, r5\n\t"                \
    "smlad r8, r3, r12, r8\n\t"               \
    "smlad r9, r3, lr, r9\n\t"                \
    "ldrd r12, lr, [r1], #8\n\t"              \
    "smlad r6, r2, r12, r6\n\t"               \
    "smlad r7, r2, lr, r7\n\t"                \
    "smlad r10, r3, r12, r10\n\t"             \
    "smlad r11, r3, lr, r11\n\t"

/*
 * What a block does with its 8 sums after the fields are taken (tg_u2x2_block): the fields
 * doubled with `odd`, plus the pixel's base. Blocks after a field's first add no base
 * (tg_u2x2_dot).
 */
typedef struct {
    int32_t base0, base1;           /* the two pixels' -2 U (odd: -3 U) */
    int32_t odd;                    /* 1: the fields doubled */
    int32_t *acc1;                  /* pixel 1's 4 accumulators (pixel 0's: d) */
} tg_u2x2_epilogue_t;

/*
 * d[0..3] (pixel 0, channels 0..3) and e->acc1[0..3] (pixel 1) = (the fields, bits 13..25,
 * of the SMLAD sums of n interleaved word pairs at a against their weight words at w) << odd
 * + base, 1 <= n <= TG_PACKED_U2_BLOCK: 16 pairs a turn, then 8, then one at a time. Every
 * register but sp is used in the loops; their end addresses are kept on the stack.
 */
__attribute__((naked, noinline)) static void tg_u2x2_block(const uint32_t *a __attribute__((unused)),
                                                           const uint32_t *w __attribute__((unused)),
                                                           uint32_t n __attribute__((unused)),
                                                           int32_t *d __attribute__((unused)),
                                                           const tg_u2x2_epilogue_t *e __attribute__((unused)))
{
    __asm__ volatile(
        "push {r4-r11, lr}\n\t"
        "add r12, r0, r2, lsl #3\n\t"           /* end = a + n pairs * 8 bytes */
        "bic lr, r2, #7\n\t"
        "add lr, r0, lr, lsl #3\n\t"            /* end of the 8-pair chunk (none or one) */
        "bic r2, r2, #15\n\t"
        "add r2, r0, r2, lsl #3\n\t"            /* end of the 16-pair turns */
        "push {r2, r3, r12, lr}\n\t"            /* [sp] turns' end, [sp + 4] d, [sp + 8] end, [sp + 12] chunk's */
        "movs r4, #0\n\t"
        "movs r5, #0\n\t"
        "movs r6, #0\n\t"
        "movs r7, #0\n\t"
        "mov r8, #0\n\t"
        "mov r9, #0\n\t"
        "mov r10, #0\n\t"
        "mov r11, #0\n\t"
        "cmp r0, r2\n\t"
        "beq 2f\n\t"
        "1:\n\t"
        TG_U2X2_STEP TG_U2X2_STEP TG_U2X2_STEP TG_U2X2_STEP
        TG_U2X2_STEP TG_U2X2_STEP TG_U2X2_STEP TG_U2X2_STEP
        TG_U2X2_STEP TG_U2X2_STEP TG_U2X2_STEP TG_U2X2_STEP
        TG_U2X2_STEP TG_U2X2_STEP TG_U2X2_STEP TG_U2X2_STEP
        "ldr r2, [sp]\n\t"
        "cmp r0, r2\n\t"
        "bne 1b\n\t"
        "2:\n\t"
        "ldr r2, [sp, #12]\n\t"
        "cmp r0, r2\n\t"
        "beq 6f\n\t"
        TG_U2X2_STEP TG_U2X2_STEP TG_U2X2_STEP TG_U2X2_STEP
        TG_U2X2_STEP TG_U2X2_STEP TG_U2X2_STEP TG_U2X2_STEP
        "6:\n\t"
        "ldr r2, [sp, #8]\n\t"
        "cmp r0, r2\n\t"
        "beq 4f\n\t"
        "3:\n\t"
        TG_U2X2_STEP
        "ldr r2, [sp, #8]\n\t"
        "cmp r0, r2\n\t"
        "bne 3b\n\t"
        "4:\n\t"
        "pop {r2, r3, r12, lr}\n\t"             /* r3 = d */
        "ldr r12, [sp, #36]\n\t"                /* e, the fifth argument, above the 9 saved registers */
        "ldmia r12, {r0, r1, r2}\n\t"           /* base0, base1, odd */
        "ubfx r4, r4, #13, #13\n\t"
        "ubfx r5, r5, #13, #13\n\t"
        "ubfx r6, r6, #13, #13\n\t"
        "ubfx r7, r7, #13, #13\n\t"
        "ubfx r8, r8, #13, #13\n\t"
        "ubfx r9, r9, #13, #13\n\t"
        "ubfx r10, r10, #13, #13\n\t"
        "ubfx r11, r11, #13, #13\n\t"
        "cbz r2, 5f\n\t"
        "lsls r4, r4, #1\n\t"
        "lsls r5, r5, #1\n\t"
        "lsls r6, r6, #1\n\t"
        "lsls r7, r7, #1\n\t"
        "lsl r8, r8, #1\n\t"
        "lsl r9, r9, #1\n\t"
        "lsl r10, r10, #1\n\t"
        "lsl r11, r11, #1\n\t"
        "5:\n\t"
        "add r4, r4, r0\n\t"
        "add r5, r5, r0\n\t"
        "add r6, r6, r0\n\t"
        "add r7, r7, r0\n\t"
        "add r8, r8, r1\n\t"
        "add r9, r9, r1\n\t"
        "add r10, r10, r1\n\t"
        "add r11, r11, r1\n\t"
        "ldr r0, [r12, #12]\n\t"                /* acc1 */
        "stm r3, {r4-r7}\n\t"
        "stm r0, {r8-r11}\n\t"
        "pop {r4-r11, pc}\n\t");
}

/* One group's accumulators at both pixels: acc0[0..3], e->acc1[0..3]. */
static inline __attribute__((always_inline)) void tg_u2x2_dot(const uint32_t *a, const uint32_t *w, int32_t steps,
                                                              int32_t *acc0, const tg_u2x2_epilogue_t *e)
{
    const int32_t first = steps > TG_PACKED_U2_BLOCK ? TG_PACKED_U2_BLOCK : steps;
    int32_t left, k;

    tg_u2x2_block(a, w, (uint32_t)first, acc0, e);
    for (left = steps - first; left > 0; left -= TG_PACKED_U2_BLOCK) {    /* fields over 224 words */
        int32_t more[8];
        const tg_u2x2_epilogue_t z = {0, 0, e->odd, &more[4]};
        a += 2 * TG_PACKED_U2_BLOCK;
        w += 4 * TG_PACKED_U2_BLOCK;
        tg_u2x2_block(a, w, (uint32_t)(left > TG_PACKED_U2_BLOCK ? TG_PACKED_U2_BLOCK : left), more, &z);
        for (k = 0; k < 4; ++k) {
            acc0[k] += more[k];
            e->acc1[k] += more[4 + k];
        }
    }
}

/*
 * The fast packing (u = x, in [0, 3]): the 4 bytes of each word at x (up to end, a multiple
 * of 4 bytes further, at least 8) become a field word at dst[0], dst[2], ...: lanes at bits 0,
 * 16 (bytes 0, 2) stay, bytes 1, 3 move up 5 bits to 13, 29 (t = v & 0x00FF00FF, word =
 * t + ((v - t) << 5)); USADA8 adds the bytes to sum. Returns the sum. 7 instructions a word.
 */
__attribute__((naked, noinline)) static uint32_t tg_u2x2_pack_words(const int8_t *x __attribute__((unused)),
                                                                    uint32_t *dst __attribute__((unused)),
                                                                    const int8_t *end __attribute__((unused)),
                                                                    uint32_t sum __attribute__((unused)))
{
    __asm__ volatile(
        "push {r4-r7}\n\t"
        "mov r12, #0x00ff00ff\n\t"
        "movs r7, #0\n\t"
        "sub r6, r2, r0\n\t"
        "tst r6, #4\n\t"                         /* an odd number of words: one first */
        "beq 1f\n\t"
        "ldr r4, [r0], #4\n\t"
        "usada8 r3, r4, r7, r3\n\t"
        "and r5, r4, r12\n\t"
        "sub r4, r4, r5\n\t"
        "add r4, r5, r4, lsl #5\n\t"
        "str r4, [r1], #8\n\t"
        "1:\n\t"
        "ldr r4, [r0], #4\n\t"
        "ldr r6, [r0], #4\n\t"
        "usada8 r3, r4, r7, r3\n\t"
        "and r5, r4, r12\n\t"
        "sub r4, r4, r5\n\t"
        "add r4, r5, r4, lsl #5\n\t"
        "str r4, [r1], #8\n\t"
        "usada8 r3, r6, r7, r3\n\t"
        "and r5, r6, r12\n\t"
        "sub r6, r6, r5\n\t"
        "add r6, r5, r6, lsl #5\n\t"
        "str r6, [r1], #8\n\t"
        "cmp r0, r2\n\t"
        "bne 1b\n\t"
        "mov r0, r3\n\t"
        "pop {r4-r7}\n\t"
        "bx lr\n\t");
}

/*
 * n values x (+ in_off) packed 4 to a word (the last word zero beyond n) at dst[0], dst[2],
 * ...; *sum gains their u. Returns the next word.
 */
static inline __attribute__((always_inline)) uint32_t *tg_u2x2_pack(const int8_t *x, int32_t n, int32_t in_off,
                                                                     uint32_t *dst, uint32_t *sum)
{
    uint32_t s = *sum;
    int32_t i = 0, l;
    if (in_off == 0 && n >= 2 * TG_PACKED_U2_LANES) {     /* the bytes are the u: tg_u2x2_pack_words */
        const int32_t words = n / TG_PACKED_U2_LANES;
        s = tg_u2x2_pack_words(x, dst, x + TG_PACKED_U2_LANES * words, s);
        dst += 2 * words;
        i = TG_PACKED_U2_LANES * words;
    }
    for (; i < n; i += TG_PACKED_U2_LANES, dst += 2) {
        uint32_t w = 0;
        for (l = 0; l < TG_PACKED_U2_LANES && i + l < n; ++l) {
            const int32_t u = x[i + l] + in_off;
            w += (uint32_t)u << tg_packed_shift(TG_PACKED_KIND_U2, l);
            s += (uint32_t)u;
        }
        *dst = w;
    }
    *sum = s;
    return dst;
}

/* `taps` padded taps (full words of the zero point's u, then the tap's last word) at dst, stride 2 */
static inline __attribute__((always_inline)) uint32_t *tg_u2x2_pad(int32_t taps, int32_t full, int32_t rest,
                                                                    uint32_t pad_word, uint32_t pad_rest,
                                                                    uint32_t *dst)
{
    int32_t t, i;
    for (t = 0; t < taps; ++t) {
        for (i = 0; i < full; ++i, dst += 2) {
            *dst = pad_word;
        }
        if (rest != 0) {
            *dst = pad_rest;
            dst += 2;
        }
    }
    return dst;
}

/*
 * One pixel's field (tg_packed_field's words) at dst[0], dst[2], ...: the pair's interleaving.
 * Returns U, the sum of its u over every tap and channel. Where in_c is a multiple of 4 and
 * the columns are not dilated, a row's in-bounds taps are one run of bytes.
 */
static inline __attribute__((always_inline)) int32_t tg_u2x2_field(const tg_conv2d_packed_params_t *p,
                                                                   const int8_t *input, int32_t q, uint32_t *dst)
{
    const int32_t c = p->in_c, full = c / TG_PACKED_U2_LANES, rest = c % TG_PACKED_U2_LANES;
    const int32_t kw = p->kernel_w, in_off = p->in_off;
    const int32_t iy0 = q / p->out_w * p->stride_h - p->pad_top;
    const int32_t ix0 = q % p->out_w * p->stride_w - p->pad_left;
    const int32_t pad_u = in_off - p->input_offset;
    const uint32_t pad_word = tg_packed_splat((uint32_t)pad_u, TG_PACKED_U2_LANES, TG_PACKED_KIND_U2);
    const uint32_t pad_rest = tg_packed_splat((uint32_t)pad_u, rest, TG_PACKED_KIND_U2);
    const int32_t runs = rest == 0 && p->dilation_w == 1;
    /* the in-bounds columns kx in [lo, hi) of an undilated row */
    const int32_t lo = ix0 < 0 ? -ix0 : 0;
    const int32_t hi_raw = p->in_w - ix0 < kw ? p->in_w - ix0 : kw;
    const int32_t hi = hi_raw < lo ? lo : hi_raw;
    uint32_t sum = 0;
    int32_t pad_taps = 0, ky, kx;

    for (ky = 0; ky < p->kernel_h; ++ky) {
        const int32_t iy = iy0 + ky * p->dilation_h;
        if (iy < 0 || iy >= p->in_h) {
            dst = tg_u2x2_pad(kw, full, rest, pad_word, pad_rest, dst);
            pad_taps += kw;
        } else if (runs) {
            dst = tg_u2x2_pad(lo, full, rest, pad_word, pad_rest, dst);
            dst = tg_u2x2_pack(&input[(iy * p->in_w + ix0 + lo) * c], (hi - lo) * c, in_off, dst, &sum);
            dst = tg_u2x2_pad(kw - hi, full, rest, pad_word, pad_rest, dst);
            pad_taps += kw - (hi - lo);
        } else {
            for (kx = 0; kx < kw; ++kx) {
                const int32_t ix = ix0 + kx * p->dilation_w;
                if (ix < 0 || ix >= p->in_w) {
                    dst = tg_u2x2_pad(1, full, rest, pad_word, pad_rest, dst);
                    ++pad_taps;
                } else {
                    dst = tg_u2x2_pack(&input[(iy * p->in_w + ix) * c], c, in_off, dst, &sum);
                }
            }
        }
    }
    return (int32_t)sum + pad_taps * c * pad_u;
}

void tg_conv2d_u2_s2_s8_dsp(const tg_conv2d_packed_params_t *p, const int8_t *input, const uint32_t *packed,
                            const int32_t *bias, const int32_t *multiplier, const int8_t *shift,
                            int8_t *scratch, int8_t *output)
{
    const int32_t steps = tg_conv2d_packed_steps(p, TG_PACKED_U2_LANES);
    const int32_t out_c = p->out_c, groups = (out_c + 3) / 4;
    const int32_t pixels = p->out_h * p->out_w;
    const int32_t odd = p->odd != 0;
    const int32_t *const corr = (const int32_t *)packed;
    const uint32_t *const weights = packed + 4 * groups;
    uint32_t *const pair = (uint32_t *)__builtin_assume_aligned(scratch, 4);
    tg_pair_chan_t *const chan = (tg_pair_chan_t *)(pair + 2 * steps);
    int32_t *const acc0 = (int32_t *)(chan + 4 * groups);
    int32_t *const acc1 = acc0 + 4 * groups;
    int32_t bounded, q, g, i;

    if (pixels == 1) {                  /* (a fully connected layer): the one-pixel kernel's body */
        tg_conv2d_packed(p, input, packed, bias, multiplier, shift, scratch, output, TG_PACKED_KIND_U2,
                         tg_packed_dot4_u2_dsp);
        return;
    }
    /* |sum w u| <= 9 K: |w| <= 3, u <= 3, K = 4 steps lanes */
    bounded = tg_pair_channels(out_c, p->output_offset, corr, bias, multiplier, shift,
                               steps < ((int32_t)1 << 30) / 36 ? 36 * steps : (int32_t)1 << 30, chan);
    for (q = 0; q + 1 < pixels; q += 2) {
        tg_u2x2_epilogue_t e;
        /* sum (c + 2) u = D, sum c u = D - 2 U; with odd, sum (2c + 1) u = 2 D - 3 U */
        e.base0 = -(2 + odd) * tg_u2x2_field(p, input, q, pair);
        e.base1 = -(2 + odd) * tg_u2x2_field(p, input, q + 1, pair + 1);
        e.odd = odd;
        for (g = 0; g < groups; ++g) {
            e.acc1 = &acc1[4 * g];
            tg_u2x2_dot(pair, &weights[g * 4 * steps], steps, &acc0[4 * g], &e);
        }
        tg_pair_out(out_c, p->output_offset, p->act_min, p->act_max, chan, bounded, acc0, 4 * groups,
                    &output[q * out_c], out_c, multiplier, shift);
    }
    if (q < pixels) {                   /* an odd last pixel: the one-pixel loop (tg_conv2d_packed_dsp.h) */
        const int32_t base = -(2 + odd) * tg_packed_field(p, input, q / p->out_w, q % p->out_w,
                                                          TG_PACKED_KIND_U2, pair);
        for (g = 0; g < groups; ++g) {
            int32_t d[4];
            tg_packed_dot4_u2_dsp(pair, &weights[g * 4 * steps], steps, d);
            for (i = 0; i < 4; ++i) {
                acc0[4 * g + i] = (d[i] << odd) + base;
            }
        }
        tg_pair_out(out_c, p->output_offset, p->act_min, p->act_max, chan, bounded, acc0, 0, &output[q * out_c], 0,
                    multiplier, shift);
    }
}
