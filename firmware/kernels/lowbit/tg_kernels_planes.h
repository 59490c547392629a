/*
 * tinygen bit-serial kernels over nested weight bit planes: public API. Semantics:
 * firmware/kernels/lowbit/LOWBIT.md, section "Nested bit planes".
 *
 * Conventions:
 *  - Nested weights: per layer the top codes C[o][ky][kx][i], int8 two's complement in
 *    [-127, 127], stored as 8 bit planes, plane-major:
 *    uint32_t planes[8][out_c][kernel_h][kernel_w][TG_B1_WORDS(in_c)]; plane j holds bit j
 *    of (uint8_t)C in the packed-binary weight layout of tg_kernels_b1.h (input channel i
 *    in word i / 32, bit i % 32; bits beyond in_c 0). Plane 7 is exactly a packed binary
 *    weight array (bit 1 = C < 0 = -1). tinygen.quant.pack_planes packs them.
 *  - The k-bit switch (w_bits = k) reads planes 8-k .. 7, its plane t = plane 8-k+t:
 *    k >= 2: W = sum_{t<k-1} 2^t p_t - 2^(k-1) p_{k-1} = floor(C / 2^(8-k));
 *    k = 1:  W = 1 - 2 p_0 (binary +-1).
 *  - input: int8 [in_h][in_w][in_c] (NHWC, batch 1); the kernel reads u = q + in_off,
 *    which the caller guarantees to be in [0, 2^a_bits - 1] (uniform k-bit inputs: in_off 0,
 *    a_bits k; int8 inputs: in_off 128, a_bits 8). A padded tap holds u = pad_u.
 *  - acc'[o] = sum over ALL taps (padded ones holding pad_u) of W * u, computed as
 *    sum_t coef_t sum_m 2^m popcount(p_t AND u_m) (u_m: bit plane m of u; k = 1:
 *    sum_m 2^m (popcount(u_m) - 2 popcount(p_0 AND u_m))); the compiler folds
 *    -(in_off + zp_in) * sum W[o] into bias, so acc' + bias is LOWBIT.md's acc + bias.
 *    Then out = clamp(tg_requantize(acc' + bias[o], multiplier[o], shift[o]) + output_offset,
 *    act_min, act_max), as tg_conv2d_s8. bias may be NULL; multiplier >= 0; shift in [-31, 30].
 *  - Accumulators are int32: kernel_h * kernel_w * in_c * 255 * 128 + |bias| < 2^31.
 *  - A fully connected layer is a 1x1 convolution on a 1x1 image.
 *  - Work per output pixel: the receptive field's u is sliced into a_bits bit planes once
 *    (on the stack when a_bits * kernel_h * kernel_w * TG_B1_WORDS(in_c) <=
 *    TG_PLANES_FIELD_WORDS, else word by word per output channel), then w_bits * a_bits
 *    AND + popcount runs per output channel: the work is proportional to w_bits * a_bits.
 *  - No kernel allocates memory or takes scratch.
 *
 * numpy twin: tinygen/ref/bitserial.py, conv2d_s8_planes_s8 (both kernels write its bytes).
 */
#ifndef TG_KERNELS_PLANES_H
#define TG_KERNELS_PLANES_H

#include <stdint.h>

#include "tg_kernels_b1.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Weight bit planes stored per layer (the codes are int8). */
#define TG_PLANES 8

/* Words of one output pixel's sliced receptive field kept on the stack (1.5 KiB):
   a_bits * kernel_h * kernel_w * TG_B1_WORDS(in_c), e.g. 3x3 128 channels at 8 bits = 288. */
#define TG_PLANES_FIELD_WORDS 384

typedef struct {
    int32_t in_h, in_w, in_c;       /* input int8 [in_h][in_w][in_c] */
    int32_t out_h, out_w, out_c;    /* output int8 [out_h][out_w][out_c] */
    int32_t kernel_h, kernel_w;
    int32_t stride_h, stride_w;
    int32_t dilation_h, dilation_w;
    int32_t pad_top, pad_left;      /* implicit padding (holding pad_u) before row / column 0 */
    int32_t w_bits;                 /* k in [1, 8]: the switch reads planes 8-k .. 7 */
    int32_t a_bits;                 /* A in [1, 8]: u = q + in_off in [0, 2^A - 1] */
    int32_t in_off;                 /* added to every input value: 0 (k-bit inputs) or 128 (int8) */
    int32_t pad_u;                  /* u of a padded tap: zp_in + in_off, in [0, 2^A - 1] */
    int32_t output_offset;          /* output zero point, in [-128, 127] */
    int32_t act_min, act_max;       /* output clamp, within [-128, 127] */
} tg_conv2d_planes_params_t;

/*
 * Bit-serial convolution, int8 input, nested weight planes, int8 output.
 * input: int8 [in_h][in_w][in_c]; planes: uint32 [8][out_c][kernel_h][kernel_w][TG_B1_WORDS(in_c)]
 * (all 8 planes; the kernel reads the top w_bits); bias (NULL for none), multiplier,
 * shift: int32 [out_c]; output: int8 [out_h][out_w][out_c].
 */
void tg_conv2d_s8_planes_s8(const tg_conv2d_planes_params_t *p, const int8_t *input,
                            const uint32_t *planes, const int32_t *bias,
                            const int32_t *multiplier, const int8_t *shift, int8_t *output);

/* tg_conv2d_s8_planes_s8 for ARMv7E-M (Harley-Seal AND / popcount): same arguments, same result. */
void tg_conv2d_s8_planes_s8_dsp(const tg_conv2d_planes_params_t *p, const int8_t *input,
                                const uint32_t *planes, const int32_t *bias,
                                const int32_t *multiplier, const int8_t *shift, int8_t *output);

#ifdef __cplusplus
}
#endif

#endif /* TG_KERNELS_PLANES_H */
