/*
 * tinygen binary kernels: public API. Semantics: firmware/kernels/lowbit/LOWBIT.md.
 *
 * Conventions:
 *  - Packed binary tensors (activations and weights) hold channels in uint32_t
 *    words: channel c in word c / 32, bit c % 32 (LSB = lowest channel); bit 1
 *    is -1, bit 0 is +1; the bits beyond the channel count in the last word are
 *    0 (the kernels rely on it for their inputs and guarantee it for their
 *    outputs). TG_B1_WORDS(c) words per pixel (or per weight tap).
 *  - Packed activations: uint32_t [h][w][TG_B1_WORDS(c)], NHWC, batch 1.
 *  - Packed binary weights: uint32_t [out_c][kernel_h][kernel_w][TG_B1_WORDS(in_c)].
 *    A fully connected layer is a 1x1 convolution on a 1x1 image.
 *  - The accumulator of output (y, x, o) is the sum over the kernel taps and input
 *    channels of weight * input (+1 / -1 for binary inputs, q + input_offset for
 *    int8 ones), a padded tap holding the pad value: pad_value (0, +1 or -1) for
 *    binary inputs, the zero point (0 after the offset) for int8 inputs.
 *  - int8 outputs: requantized as tg_conv2d_s8 does (bias, multiplier, shift per
 *    channel, output_offset, clamp to [act_min, act_max]; see tg_kernels.h).
 *  - Packed-bit outputs: bit o of output pixel (y, x) is acc < thresholds[o]
 *    (int32 [out_c], any value: INT32_MIN gives +1 always, INT32_MAX -1 always).
 *  - Accumulators are int32: kernel_h * kernel_w * in_c * (255 * 128 for int8
 *    inputs, 1 for binary ones) + |bias| < 2^31.
 *  - No kernel allocates memory; only tg_conv2d_s8_s8_b1_dsp needs scratch.
 *
 * Each kernel has an integer-exact numpy twin in tinygen/ref/binary.py with the
 * same name minus the tg_ prefix. The _dsp variants (ARMv7E-M, __ARM_FEATURE_DSP)
 * take the same arguments and write the same bytes.
 */
#ifndef TG_KERNELS_B1_H
#define TG_KERNELS_B1_H

#include <stdint.h>

#include "tg_kernels.h"

#ifdef __cplusplus
extern "C" {
#endif

/* 32-bit words holding c packed channels. */
#define TG_B1_WORDS(c) (((c) + 31) / 32)

/* Geometry and output quantization of a convolution with packed binary input. */
typedef struct {
    int32_t in_h, in_w, in_c;       /* input [in_h][in_w][TG_B1_WORDS(in_c)], in_c >= 1 */
    int32_t out_h, out_w, out_c;    /* output [out_h][out_w][out_c] (int8) or
                                       [out_h][out_w][TG_B1_WORDS(out_c)] (packed) */
    int32_t kernel_h, kernel_w;
    int32_t stride_h, stride_w;
    int32_t dilation_h, dilation_w;
    int32_t pad_top, pad_left;      /* implicit padding before row / column 0 */
    int32_t pad_value;              /* the value a padded tap holds: 0 (it counts for
                                       nothing), +1 or -1 */
    int32_t output_offset;          /* int8 output only: zero point, in [-128, 127] */
    int32_t act_min, act_max;       /* int8 output only: clamp, within [-128, 127] */
    /* int8 output only: the accumulator's extra fractional bits: the kernel adds the bias
       to acc * 2^bias_shift (bias and shift were scaled to match at build time), in
       [0, 30]; 0 is TFLite's */
    int32_t bias_shift;
} tg_conv2d_b1_params_t;

/*
 * XNOR / popcount convolution, int8 output. input: packed [in_h][in_w][words];
 * weights: packed [out_c][kernel_h][kernel_w][words]; bias (NULL for none),
 * multiplier, shift: int32 [out_c]; output: int8 [out_h][out_w][out_c].
 * Over the in-bounds taps acc = n - 2 * popcount(input ^ weights), n the number of
 * (tap, channel) pairs; pad_value P = +-1 adds P * (sum of the padded taps' weights).
 */
void tg_conv2d_b1_b1_s8(const tg_conv2d_b1_params_t *p, const uint32_t *input,
                        const uint32_t *weights, const int32_t *bias,
                        const int32_t *multiplier, const int8_t *shift, int8_t *output);

/* tg_conv2d_b1_b1_s8 for ARMv7E-M: same arguments, same result. */
void tg_conv2d_b1_b1_s8_dsp(const tg_conv2d_b1_params_t *p, const uint32_t *input,
                            const uint32_t *weights, const int32_t *bias,
                            const int32_t *multiplier, const int8_t *shift, int8_t *output);

/* tg_conv2d_b1_b1_s8 for the Cortex-M55 (Helium): same arguments, same result. */
void tg_conv2d_b1_b1_s8_mve(const tg_conv2d_b1_params_t *p, const uint32_t *input,
                            const uint32_t *weights, const int32_t *bias,
                            const int32_t *multiplier, const int8_t *shift, int8_t *output);

/* tg_conv2d_b1_b1_s8 for RV32IMC (ESP32-C3): same arguments, same result. */
void tg_conv2d_b1_b1_s8_rv32(const tg_conv2d_b1_params_t *p, const uint32_t *input,
                             const uint32_t *weights, const int32_t *bias,
                             const int32_t *multiplier, const int8_t *shift, int8_t *output);

/*
 * XNOR / popcount convolution with threshold output (conv -> batch norm -> sign):
 * as tg_conv2d_b1_b1_s8, then bit o = acc < thresholds[o]. thresholds: int32 [out_c];
 * output: packed [out_h][out_w][TG_B1_WORDS(out_c)]. output_offset, act_min and
 * act_max are not read.
 */
void tg_conv2d_b1_b1_b1(const tg_conv2d_b1_params_t *p, const uint32_t *input,
                        const uint32_t *weights, const int32_t *thresholds, uint32_t *output);

/* tg_conv2d_b1_b1_b1 for ARMv7E-M: same arguments, same result. */
void tg_conv2d_b1_b1_b1_dsp(const tg_conv2d_b1_params_t *p, const uint32_t *input,
                            const uint32_t *weights, const int32_t *thresholds, uint32_t *output);

/* tg_conv2d_b1_b1_b1 for the Cortex-M55 (Helium): same arguments, same result. */
void tg_conv2d_b1_b1_b1_mve(const tg_conv2d_b1_params_t *p, const uint32_t *input,
                            const uint32_t *weights, const int32_t *thresholds, uint32_t *output);

/* tg_conv2d_b1_b1_b1 for RV32IMC (ESP32-C3): same arguments, same result. */
void tg_conv2d_b1_b1_b1_rv32(const tg_conv2d_b1_params_t *p, const uint32_t *input,
                             const uint32_t *weights, const int32_t *thresholds, uint32_t *output);

/*
 * Binary weights x int8 activations (BinaryConnect): additions and subtractions.
 * p: tg_conv2d_params_t (depth_multiplier is not read); input: int8
 * [in_h][in_w][in_c]; weights: packed [out_c][kernel_h][kernel_w][TG_B1_WORDS(in_c)];
 * bias (NULL for none), multiplier, shift: int32 [out_c]; output: int8
 * [out_h][out_w][out_c]. Padded taps hold the zero point (contribute nothing).
 */
void tg_conv2d_s8_b1_s8(const tg_conv2d_params_t *p, const int8_t *input,
                        const uint32_t *weights, const int32_t *bias,
                        const int32_t *multiplier, const int8_t *shift, int8_t *output);

/* tg_conv2d_s8_b1_s8 for ARMv7E-M: same arguments, same result. */
void tg_conv2d_s8_b1_s8_dsp(const tg_conv2d_params_t *p, const int8_t *input,
                            const uint32_t *weights, const int32_t *bias,
                            const int32_t *multiplier, const int8_t *shift, int8_t *output);

/*
 * tg_conv2d_s8_b1_s8 for ARMv7E-M with the weights as byte masks (AND + USADA8, 16 weights in
 * 10 instructions): packed (4-byte aligned, tinygen.quant.pack_b1.pack_byte_masks): int32
 * corr[O4] (-(128 + zero point) * the channel's sum of weights), then per group of 4 output
 * channels and per word of field the 4 channels' mask words (byte 0xFF where the weight is
 * +1, 0 where -1 or beyond K), O4 = out_c rounded up to 4. The receptive field's bytes go
 * to a stack buffer: K = kernel_h * kernel_w * in_c <= TG_B1X8_FIELD_BYTES (the compiler
 * checks it, tinygen.quant.pack_b1.B1X8_FIELD_BYTES).
 */
#define TG_B1X8_FIELD_BYTES 1152

void tg_conv2d_s8_b1x8_s8_dsp(const tg_conv2d_params_t *p, const int8_t *input, const uint32_t *packed,
                              const int32_t *bias, const int32_t *multiplier, const int8_t *shift,
                              int8_t *output);

/*
 * tg_conv2d_s8_b1_s8 for ARMv7E-M by table lookup, two output pixels at a time (LOWBIT.md,
 * "Binary weights by table lookup"): packed (4-byte aligned,
 * tinygen.quant.pack_b1lut.pack_lut_indices): int32 bounded and 3 zero words, O4 channel
 * records tg_pair_chan_t (tg_requant_pair_dsp.h: corr + bias, 2 m, 2^(n-1) + zp 2^n, n; O4 =
 * out_c rounded up to 4), then per chunk of TG_B1LUT_CHUNK inputs of the flattened OHWI row
 * and per output channel 16 index bytes (16 j + the 4 weight bits of group j, bit 1 = -1).
 * bias is not read (it is in the records); multiplier and shift only where not bounded.
 * scratch: tg_conv2d_s8_b1lut_s8_dsp_buffer_size(p) bytes (4-byte aligned): the table, two
 * pixels' sums per channel, two fields.
 */
#define TG_B1LUT_CHUNK 64

static inline int32_t tg_conv2d_s8_b1lut_s8_dsp_buffer_size(const tg_conv2d_params_t *p)
{
    const int32_t chunks = (p->kernel_h * p->kernel_w * p->in_c + TG_B1LUT_CHUNK - 1) / TG_B1LUT_CHUNK;
    return 4 * 256 + 8 * p->out_c + 2 * TG_B1LUT_CHUNK * chunks;
}

void tg_conv2d_s8_b1lut_s8_dsp(const tg_conv2d_params_t *p, const int8_t *input, const uint32_t *packed,
                               const int32_t *bias, const int32_t *multiplier, const int8_t *shift,
                               int8_t *scratch, int8_t *output);

/*
 * int8 convolution with threshold output (a BNN's first layer): acc as
 * tg_conv2d_s8's (int8 OHWI weights, no bias: it is folded into the thresholds),
 * then bit o = acc < thresholds[o]. p: tg_conv2d_params_t (depth_multiplier,
 * output_offset, act_min, act_max are not read); output: packed
 * [out_h][out_w][TG_B1_WORDS(out_c)].
 */
void tg_conv2d_s8_s8_b1(const tg_conv2d_params_t *p, const int8_t *input,
                        const int8_t *weights, const int32_t *thresholds, uint32_t *output);

/*
 * tg_conv2d_s8_s8_b1 for ARMv7E-M: same arguments plus scratch (8-byte aligned,
 * tg_conv2d_s8_dsp's size: 2 * K rounded up to 8, K = kernel_h * kernel_w * in_c,
 * plus tg_mat_mult_s8_dsp_buffer_size(K, out_c)), same result.
 */
void tg_conv2d_s8_s8_b1_dsp(const tg_conv2d_params_t *p, const int8_t *input,
                            const int8_t *weights, const int32_t *thresholds, int8_t *scratch,
                            uint32_t *output);

typedef struct {
    int32_t pixels;                 /* h * w (batch 1) */
    int32_t channels;               /* channels per pixel, >= 1 */
} tg_unpack_b1_params_t;

/*
 * Packed bits -> int8 +1 / -1 (bit 0 -> +1, bit 1 -> -1), for an int8 layer that
 * reads a binary tensor. input: packed [pixels][TG_B1_WORDS(channels)]; output:
 * int8 [pixels][channels].
 */
void tg_unpack_b1_s8(const tg_unpack_b1_params_t *p, const uint32_t *input, int8_t *output);

#ifdef __cplusplus
}
#endif

#endif /* TG_KERNELS_B1_H */
