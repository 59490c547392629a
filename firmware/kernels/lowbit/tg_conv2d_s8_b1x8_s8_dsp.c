/*
 * tg_conv2d_s8_b1x8_s8_dsp: tg_conv2d_s8_b1_s8 (binary weights x int8 activations) for
 * ARMv7E-M, the weights stored as byte masks (tg_kernels_b1.h, LOWBIT.md "Binary weights as
 * byte masks"): per output pixel the receptive field's bytes u = x + 128 (padded taps: the
 * zero point's) are gathered once into a stack buffer (K <= TG_B1X8_FIELD_BYTES); per group of 4 output channels each field word is ANDed
 * with the channels' mask words (one LDM) and USADA8 adds the 4 kept bytes: 10 instructions
 * for 16 weights. sum w a = 2 P - U - (128 + zp) sum w, P the kept sum, U the field's sum.
 * Equals tg_conv2d_s8_b1_s8 bit for bit. numpy twin: tinygen.ref.binary.conv2d_s8_b1_s8.
 */
#include <arm_acle.h>
#include <stdint.h>
#include <string.h>

#include "tg_kernels_b1.h"
#include "tg_requant.h"

/* one field word (a += 4) against 4 mask words (w += 16; LDM into r4-r7, ascending) */
#define TG_B1X8_STEP                                                    \
    __asm__("ldr %[x], [%[a]], #4\n\t"                                  \
            "ldmia %[w]!, {%[m0], %[m1], %[m2], %[m3]}\n\t"             \
            "and %[m0], %[m0], %[x]\n\t"                                \
            "and %[m1], %[m1], %[x]\n\t"                                \
            "and %[m2], %[m2], %[x]\n\t"                                \
            "and %[m3], %[m3], %[x]\n\t"                                \
            "usada8 %[s0], %[m0], %[z], %[s0]\n\t"                      \
            "usada8 %[s1], %[m1], %[z], %[s1]\n\t"                      \
            "usada8 %[s2], %[m2], %[z], %[s2]\n\t"                      \
            "usada8 %[s3], %[m3], %[z], %[s3]"                          \
            : [s0] "+r"(s0), [s1] "+r"(s1), [s2] "+r"(s2), [s3] "+r"(s3), \
              [a] "+r"(a), [w] "+r"(w), [x] "=&r"(x), [m0] "=&r"(m0), [m1] "=&r"(m1), \
              [m2] "=&r"(m2), [m3] "=&r"(m3)                             \
            : [z] "r"(0u), "m"(*(const uint32_t(*)[1])a), "m"(*(const uint32_t(*)[4])w))

/* The kept sums of 4 channels over `words` field words. */
static inline __attribute__((always_inline)) void tg_b1x8_dot4(const uint32_t *a, const uint32_t *w, int32_t words,
                                                               uint32_t *d)
{
    const uint32_t *const end = a + words;
    uint32_t s0 = 0, s1 = 0, s2 = 0, s3 = 0, x;
    register uint32_t m0 __asm__("r4");
    register uint32_t m1 __asm__("r5");
    register uint32_t m2 __asm__("r6");
    register uint32_t m3 __asm__("r7");
    while (end - a >= 4) {
        TG_B1X8_STEP;
        TG_B1X8_STEP;
        TG_B1X8_STEP;
        TG_B1X8_STEP;
    }
    while (a != end) {
        TG_B1X8_STEP;
    }
    d[0] = s0;
    d[1] = s1;
    d[2] = s2;
    d[3] = s3;
}

/* One output pixel's field bytes u = x + 128 (padded taps: pad), zero up to whole words. */
static void tg_b1x8_field(const tg_conv2d_params_t *p, const int8_t *input, int32_t oy, int32_t ox, uint8_t pad,
                          int32_t words, uint8_t *dst)
{
    const int32_t c = p->in_c;
    uint8_t *d = dst;
    int32_t ky, kx, i;
    for (ky = 0; ky < p->kernel_h; ++ky) {
        const int32_t iy = oy * p->stride_h - p->pad_top + ky * p->dilation_h;
        for (kx = 0; kx < p->kernel_w; ++kx) {
            const int32_t ix = ox * p->stride_w - p->pad_left + kx * p->dilation_w;
            if (iy < 0 || iy >= p->in_h || ix < 0 || ix >= p->in_w) {
                memset(d, pad, (size_t)c);
            } else {
                const int8_t *x = &input[(iy * p->in_w + ix) * c];
                for (i = 0; i + 4 <= c; i += 4) {
                    uint32_t v;
                    memcpy(&v, x + i, 4);
                    v ^= 0x80808080u;
                    memcpy(d + i, &v, 4);
                }
                for (; i < c; ++i) {
                    d[i] = (uint8_t)((uint8_t)x[i] ^ 0x80u);
                }
            }
            d += c;
        }
    }
    memset(d, 0, (size_t)(dst + 4 * words - d));
}

void tg_conv2d_s8_b1x8_s8_dsp(const tg_conv2d_params_t *p, const int8_t *input, const uint32_t *packed,
                              const int32_t *bias, const int32_t *multiplier, const int8_t *shift,
                              int8_t *output)
{
    uint32_t field[TG_B1X8_FIELD_BYTES / 4];    /* on the stack, as tg_conv2d_s8_planes_s8's */
    const int32_t words = (p->kernel_h * p->kernel_w * p->in_c + 3) / 4;
    const int32_t groups = (p->out_c + 3) / 4;
    const int32_t *const corr = (const int32_t *)packed;
    const uint32_t *const masks = packed + 4 * groups;
    const uint8_t pad = (uint8_t)(128 - p->input_offset);
    const int32_t out_c = p->out_c, out_off = p->output_offset, act_min = p->act_min, act_max = p->act_max;
    int32_t oy, ox, g, i, j;

    for (oy = 0; oy < p->out_h; ++oy) {
        for (ox = 0; ox < p->out_w; ++ox) {
            int8_t *const out = &output[(oy * p->out_w + ox) * out_c];
            uint32_t u = 0;
            tg_b1x8_field(p, input, oy, ox, pad, words, (uint8_t *)field);
            for (j = 0; j < words; ++j) {
                u = __usada8(field[j], 0u, u);
            }
            for (g = 0; g < groups; ++g) {
                uint32_t d[4];
                const int32_t n = out_c - 4 * g < 4 ? out_c - 4 * g : 4;
                tg_b1x8_dot4(field, &masks[g * 4 * words], words, d);
                for (i = 0; i < n; ++i) {
                    const int32_t o = 4 * g + i;
                    out[o] = tg_requant_channel_s8((int32_t)(2u * d[i] - u) + corr[o], bias, multiplier, shift, o,
                                                   out_off, act_min, act_max);
                }
            }
        }
    }
}
