/*
 * tg_conv2d_s8_b1_s8_dsp: tg_conv2d_s8_b1_s8 for ARMv7E-M (Cortex-M4/M7, DSP extension):
 * int8 activations x packed binary weights with additions only, four at a time.
 * Same arguments and bytes as the portable kernel; numpy twin:
 * tinygen.ref.binary.conv2d_s8_b1_s8.
 *
 * With x = q + 128 (unsigned bytes: q ^ 0x80) and M a byte mask (0xFF where the weight
 * bit is 1, i.e. -1), USADA8(x, M) sums x where the bit is 0 and 255 - x = 127 - q where
 * it is 1: U = sum(s q) + 128 n - n1 over n values, n1 of them with weight -1, s = +-1.
 * Four weight bits become M through a 16-word table (UBFX + LDR), USADA8(M, 0) counts
 * 255 n1, and acc = sum(s (q + input_offset)) = U - 128 n + n1 + input_offset (n - 2 n1).
 * Per 4 MACs: LDR, EOR, UBFX, LDR, USADA8, USADA8 (the loop unrolled by 8 per weight
 * word). Channels after the last group of 4 of a tap are added one by one.
 */
#include <arm_acle.h>
#include <stddef.h>
#include <string.h>

#include "tg_kernels_b1.h"
#include "tg_requant.h"

/* The byte masks of 4 weight bits: bit k set -> byte k 0xFF. */
static const uint32_t tg_b1_masks[16] = {
    0x00000000u, 0x000000FFu, 0x0000FF00u, 0x0000FFFFu, 0x00FF0000u, 0x00FF00FFu, 0x00FFFF00u, 0x00FFFFFFu,
    0xFF000000u, 0xFF0000FFu, 0xFF00FF00u, 0xFF00FFFFu, 0xFFFF0000u, 0xFFFF00FFu, 0xFFFFFF00u, 0xFFFFFFFFu,
};

/* Four int8 at any alignment, as unsigned bytes q + 128. */
static inline uint32_t tg_b1_load_biased(const int8_t *x)
{
    uint32_t v;
    memcpy(&v, x, sizeof v);
    return v ^ 0x80808080u;
}

/* Running sums of one output: U, 255 n1 (USADA8), n, and the one-by-one channels' sum. */
typedef struct {
    uint32_t u, n1x255;
    int32_t n, tail;
} tg_s8_b1_sums_t;

/* Adds one in-bounds tap (in_c int8 values x, its weight words w) to the sums. */
static inline __attribute__((always_inline)) void tg_s8_b1_tap(tg_s8_b1_sums_t *s, const int8_t *x,
                                                               const uint32_t *w, int32_t in_c,
                                                               int32_t input_offset)
{
    uint32_t u = s->u, n1 = s->n1x255;
    int32_t c = 0;
    for (; c + 32 <= in_c; c += 32, x += 32) {
        const uint32_t bits = *w++;
        int32_t k;
        for (k = 0; k < 8; ++k) {
            const uint32_t m = tg_b1_masks[(bits >> (4 * k)) & 15u];
            u = __usada8(tg_b1_load_biased(x + 4 * k), m, u);
            n1 = __usada8(m, 0u, n1);
        }
    }
    if (c < in_c) {
        uint32_t bits = *w;
        for (; c + 4 <= in_c; c += 4, x += 4, bits >>= 4) {
            const uint32_t m = tg_b1_masks[bits & 15u];
            u = __usada8(tg_b1_load_biased(x), m, u);
            n1 = __usada8(m, 0u, n1);
        }
        s->n -= in_c - c;       /* counted one by one below, not in U */
        for (; c < in_c; ++c, ++x, bits >>= 1) {
            const int32_t a = (int32_t)*x + input_offset;
            s->tail += (bits & 1u) != 0u ? -a : a;
        }
    }
    s->u = u;
    s->n1x255 = n1;
    s->n += in_c;
}

void tg_conv2d_s8_b1_s8_dsp(const tg_conv2d_params_t *p, const int8_t *input,
                            const uint32_t *weights, const int32_t *bias,
                            const int32_t *multiplier, const int8_t *shift, int8_t *output)
{
    const int32_t words = TG_B1_WORDS(p->in_c);
    int32_t out_y, out_x, oc, ky, kx;

    for (out_y = 0; out_y < p->out_h; ++out_y) {
        for (out_x = 0; out_x < p->out_w; ++out_x) {
            const int32_t in_y_origin = out_y * p->stride_h - p->pad_top;
            const int32_t in_x_origin = out_x * p->stride_w - p->pad_left;
            for (oc = 0; oc < p->out_c; ++oc) {
                const uint32_t *w_oc = &weights[oc * p->kernel_h * p->kernel_w * words];
                tg_s8_b1_sums_t s = {0u, 0u, 0, 0};
                int32_t acc, n1;
                for (ky = 0; ky < p->kernel_h; ++ky) {
                    const int32_t in_y = in_y_origin + ky * p->dilation_h;
                    if (in_y < 0 || in_y >= p->in_h) {
                        continue;   /* padding holds the zero point */
                    }
                    for (kx = 0; kx < p->kernel_w; ++kx) {
                        const int32_t in_x = in_x_origin + kx * p->dilation_w;
                        if (in_x < 0 || in_x >= p->in_w) {
                            continue;
                        }
                        tg_s8_b1_tap(&s, &input[(in_y * p->in_w + in_x) * p->in_c],
                                     &w_oc[(ky * p->kernel_w + kx) * words], p->in_c, p->input_offset);
                    }
                }
                n1 = (int32_t)(s.n1x255 / 255u);
                acc = (int32_t)s.u - 128 * s.n + n1 + p->input_offset * (s.n - 2 * n1) + s.tail;
                *output++ = tg_requant_channel_s8(acc, bias, multiplier, shift, oc, p->output_offset, p->act_min,
                                                  p->act_max);
            }
        }
    }
}
