/*
 * tg_conv2d_s8_b1lut_s8_dsp: tg_conv2d_s8_b1_s8 (binary weights x int8 activations) for
 * ARMv7E-M by table lookup (tg_kernels_b1.h, LOWBIT.md "Binary weights by table lookup"), two
 * output pixels at a time. Equals tg_conv2d_s8_b1_s8 bit for bit.
 * numpy twin: tinygen.ref.binary.conv2d_s8_b1_s8.
 *
 * Per pixel pair the two receptive fields' bytes u = x + 128 (padded taps: the zero point's)
 * are gathered into scratch; per chunk of 64 inputs a table of 256 int32 entries is built in
 * scratch (16 groups of 4 inputs x 16 weight patterns; entry 16 j + m: the sum of the u of
 * group j whose weight is +1 under pattern m, pixel 0 in the low int16 half, pixel 1 in the
 * high one: at most 4 * 255 each), then every output channel reads its 16 index bytes (4
 * words) and adds 16 entries: UXTB, LDR, ADD for 4 weights x 2 pixels. 16 entries keep each
 * half below 2^16; the halves go to the channel's two int32 sums P after every chunk.
 * sum w (x - zp) = 2 P - U - (128 + zp) sum w (corr, in the constant's channel records), U
 * the field's sum of u. Both pixels are requantized together (tg_requant_pair_dsp.h) from the
 * records computed at compile time (tinygen.quant.pack_b1lut.pair_records): none in scratch.
 */
#include <arm_acle.h>
#include <stdint.h>
#include <string.h>

#include "tg_kernels_b1.h"
#include "tg_requant.h"
#include "tg_requant_pair_dsp.h"

/* One pixel's field bytes u = x + 128 (padded taps: pad) into dst, zero up to `bytes`; returns U. */
static uint32_t tg_b1lut_field(const tg_conv2d_params_t *p, const int8_t *input, int32_t q, uint8_t pad,
                               int32_t bytes, uint8_t *dst)
{
    const int32_t c = p->in_c, oy = q / p->out_w, ox = q % p->out_w;
    uint8_t *d = dst;
    uint32_t u = 0;
    int32_t ky, kx, i;
    for (ky = 0; ky < p->kernel_h; ++ky) {
        const int32_t iy = oy * p->stride_h - p->pad_top + ky * p->dilation_h;
        for (kx = 0; kx < p->kernel_w; ++kx) {
            const int32_t ix = ox * p->stride_w - p->pad_left + kx * p->dilation_w;
            if (iy < 0 || iy >= p->in_h || ix < 0 || ix >= p->in_w) {
                memset(d, pad, (size_t)c);
                u += (uint32_t)pad * (uint32_t)c;
            } else {
                const int8_t *x = &input[(iy * p->in_w + ix) * c];
                for (i = 0; i + 4 <= c; i += 4) {
                    uint32_t v;
                    memcpy(&v, x + i, 4);
                    v ^= 0x80808080u;
                    u = __usada8(v, 0u, u);
                    memcpy(d + i, &v, 4);
                }
                for (; i < c; ++i) {
                    d[i] = (uint8_t)((uint8_t)x[i] ^ 0x80u);
                    u += d[i];
                }
            }
            d += c;
        }
    }
    memset(d, 0, (size_t)(dst + bytes - d));
    return u;
}

/* The chunk's table from 64 bytes of each field: t[16 j + m], see the top. */
static void tg_b1lut_table(const uint8_t *f0, const uint8_t *f1, uint32_t *t)
{
    int32_t j;
    for (j = 0; j < 16; ++j, t += 16) {
        uint32_t a, b;
        memcpy(&a, f0 + 4 * j, 4);
        memcpy(&b, f1 + 4 * j, 4);
        {
            const uint32_t e = __uxtb16(a), f = __uxtb16(b);            /* bytes 0, 2 */
            const uint32_t g = __uxtb16(a >> 8), h = __uxtb16(b >> 8);  /* bytes 1, 3 */
            const uint32_t v0 = (e & 0xFFFFu) | (f << 16), v2 = (e >> 16) | (f & 0xFFFF0000u);
            const uint32_t v1 = (g & 0xFFFFu) | (h << 16), v3 = (g >> 16) | (h & 0xFFFF0000u);
            t[0] = v0 + v1 + v2 + v3;
            t[1] = t[0] - v0;
            t[2] = t[0] - v1;
            t[3] = t[1] - v1;
            t[4] = t[0] - v2;
            t[5] = t[1] - v2;
            t[6] = t[2] - v2;
            t[7] = t[3] - v2;
            t[8] = t[0] - v3;
            t[9] = t[1] - v3;
            t[10] = t[2] - v3;
            t[11] = t[3] - v3;
            t[12] = t[4] - v3;
            t[13] = t[5] - v3;
            t[14] = t[6] - v3;
            t[15] = t[7] - v3;
        }
    }
}

/* The 4 entries one index word picks, added to s. */
static inline __attribute__((always_inline)) uint32_t tg_b1lut_word(const uint32_t *t, uint32_t w, uint32_t s)
{
    s += t[w & 0xFFu];
    s += t[(w >> 8) & 0xFFu];
    s += t[(w >> 16) & 0xFFu];
    return s + t[w >> 24];
}

/* The chunk's lookups for every channel: p0[o], p1[o] += the two halves of its entries' sum. */
static inline __attribute__((always_inline)) void tg_b1lut_chunk(const uint32_t *t, const uint32_t *idx, int32_t words,
                                                                 int32_t out_c, uint32_t *p0, uint32_t *p1)
{
    int32_t o, k;
    if (words == 4) {                   /* a whole chunk: 16 lookups written out */
        for (o = 0; o < out_c; ++o, idx += 4) {
            uint32_t s = tg_b1lut_word(t, idx[0], 0u);
            s = tg_b1lut_word(t, idx[1], s);
            s = tg_b1lut_word(t, idx[2], s);
            s = tg_b1lut_word(t, idx[3], s);
            p0[o] += s & 0xFFFFu;
            p1[o] += s >> 16;
        }
        return;
    }
    for (o = 0; o < out_c; ++o, idx += 4) {
        uint32_t s = 0;
        for (k = 0; k < words; ++k) {
            s = tg_b1lut_word(t, idx[k], s);
        }
        p0[o] += s & 0xFFFFu;
        p1[o] += s >> 16;
    }
}

void tg_conv2d_s8_b1lut_s8_dsp(const tg_conv2d_params_t *p, const int8_t *input, const uint32_t *packed,
                               const int32_t *bias, const int32_t *multiplier, const int8_t *shift,
                               int8_t *scratch, int8_t *output)
{
    const int32_t k = p->kernel_h * p->kernel_w * p->in_c;
    const int32_t chunks = (k + TG_B1LUT_CHUNK - 1) / TG_B1LUT_CHUNK;
    const int32_t out_c = p->out_c, pixels = p->out_h * p->out_w;
    const int32_t bounded = (int32_t)packed[0];    /* the records allow tg_pair_requant */
    const tg_pair_chan_t *const chan = (const tg_pair_chan_t *)(packed + 4);
    const uint32_t *const index = packed + 4 + 4 * ((out_c + 3) / 4 * 4);
    const uint8_t pad = (uint8_t)(128 - p->input_offset);
    uint32_t *const table = (uint32_t *)__builtin_assume_aligned(scratch, 4);
    uint32_t *const p0 = table + 256, *const p1 = p0 + out_c;
    uint8_t *const f0 = (uint8_t *)(p1 + out_c), *const f1 = f0 + TG_B1LUT_CHUNK * chunks;
    int32_t q, c, o;

    (void)bias;                                     /* folded into the records' cb */

    for (q = 0; q < pixels; q += 2) {
        const int32_t q1 = q + 1 < pixels ? q + 1 : q;
        const uint32_t u0 = tg_b1lut_field(p, input, q, pad, TG_B1LUT_CHUNK * chunks, f0);
        const uint32_t u1 = tg_b1lut_field(p, input, q1, pad, TG_B1LUT_CHUNK * chunks, f1);
        int8_t *const out0 = &output[q * out_c], *const out1 = &output[q1 * out_c];
        memset(p0, 0, 8 * (size_t)out_c);
        for (c = 0; c < chunks; ++c) {
            const int32_t left = k - TG_B1LUT_CHUNK * c;           /* inputs left: the last chunk's words */
            const int32_t words = left >= TG_B1LUT_CHUNK ? 4 : (left + 15) / 16;
            tg_b1lut_table(f0 + TG_B1LUT_CHUNK * c, f1 + TG_B1LUT_CHUNK * c, table);
            tg_b1lut_chunk(table, &index[4 * out_c * c], words, out_c, p0, p1);
        }
        for (o = 0; o < out_c; ++o) {       /* sum w u = 2 P - U, in place */
            p0[o] = 2u * p0[o] - u0;
            p1[o] = 2u * p1[o] - u1;
        }
        tg_pair_out(out_c, p->output_offset, p->act_min, p->act_max, chan, bounded, (const int32_t *)p0, out_c,
                    out0, (int32_t)(out1 - out0), multiplier, shift);
    }
}
