/*
 * tinygen sub-byte (4-bit, 2-bit) and power-of-two weight kernels: int8 activations,
 * packed weight rows, int8 output. The semantics are firmware/kernels/lowbit/LOWBIT.md's.
 *
 * Conventions (as tg_kernels.h for everything not stated here):
 *  - input: int8 [in_h][in_w][in_c] (NHWC, batch 1); output: int8 [out_h][out_w][out_c].
 *  - weights: OHWI rows, one per output channel, of K = kernel_h * kernel_w * in_c codes,
 *    packed lowest bits first (4-bit: element 2j in bits 0-3 of byte j, 2j+1 in bits 4-7;
 *    2-bit: element 4j+m in bits 2m..2m+1 of byte j), each row starting on a 4-byte
 *    boundary: row stride = 4 * ceil(K * bits / 32) bytes, padding codes 0. The weights
 *    pointer itself must be 4-byte aligned (the DSP kernels read words).
 *    tinygen.quant.pack_subbyte packs them.
 *  - acc[o] = sum over in-bounds taps of w * (x + input_offset) (padded taps hold the input
 *    zero point: they add nothing), w the decoded integer weight; then as tg_conv2d_s8:
 *    out = clamp(tg_requantize(acc + bias[o], multiplier[o], shift[o]) + output_offset).
 *    bias may be NULL; multiplier >= 0; shift in [-31, 30].
 *  - A fully connected layer is a 1x1 convolution on a 1x1 image (in_h = in_w = 1).
 *  - Decoded weights are at most 128 in magnitude: a caller guarantees
 *    K * 255 * 128 + |bias| < 2^31, as for the int8 kernels.
 *
 * Every kernel has an integer-exact numpy twin in tinygen/ref/subbyte.py, named like it
 * minus the tg_ prefix.
 */
#ifndef TG_KERNELS_SUBBYTE_H
#define TG_KERNELS_SUBBYTE_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* tg_conv2d_params_t's geometry and quantization (no depth multiplier), then the weight decode. */
typedef struct {
    int32_t in_h, in_w, in_c;       /* input [in_h][in_w][in_c] */
    int32_t out_h, out_w, out_c;    /* output [out_h][out_w][out_c] */
    int32_t kernel_h, kernel_w;
    int32_t stride_h, stride_w;
    int32_t dilation_h, dilation_w;
    int32_t pad_top, pad_left;      /* implicit zero-point padding before row/col 0 */
    int32_t input_offset;           /* -input zero point, in [-127, 128] */
    int32_t output_offset;          /* output zero point, in [-128, 127] */
    int32_t act_min, act_max;       /* output clamp, within [-128, 127] */
    /* s4 / s2 only (0 for p4): 0 = the weight is the two's complement code c (uniform);
       1 = the weight is 2c + 1 (DoReFa's odd levels) */
    int32_t odd;
    /* p4 only (0 for s4 / s2): 1 = zero allowed, exponent field e = 0 is the weight 0 and
       e in [1, 7] is +-2^(e-1); 0 = no zero, e in [0, 7] is +-2^e. The sign is bit 3. */
    int32_t zero_code;
    /* the accumulator's extra fractional bits: the kernel adds the bias to acc * 2^bias_shift
       (bias and shift were scaled to match at build time), in [0, 30]; 0 is TFLite's */
    int32_t bias_shift;
} tg_conv2d_subbyte_params_t;

/*
 * 2-D convolution with 4-bit weights (two's complement codes, or odd levels 2c + 1).
 * weights: uint8 rows as above, 4 bits per weight; bias, multiplier, shift: [out_c].
 */
void tg_conv2d_s8_s4_s8(const tg_conv2d_subbyte_params_t *p, const int8_t *input,
                        const uint8_t *weights, const int32_t *bias,
                        const int32_t *multiplier, const int8_t *shift, int8_t *output);

/* tg_conv2d_s8_s4_s8 with 2-bit weights (codes in [-2, 1], or odd levels in {-3, -1, 1, 3}). */
void tg_conv2d_s8_s2_s8(const tg_conv2d_subbyte_params_t *p, const int8_t *input,
                        const uint8_t *weights, const int32_t *bias,
                        const int32_t *multiplier, const int8_t *shift, int8_t *output);

/*
 * 2-D convolution with power-of-two weights: 4-bit codes (sign bit 3, exponent field bits
 * 0-2, zero_code says what they mean), in rows as above. Shifts and additions only.
 */
void tg_conv2d_s8_p4_s8(const tg_conv2d_subbyte_params_t *p, const int8_t *input,
                        const uint8_t *weights, const int32_t *bias,
                        const int32_t *multiplier, const int8_t *shift, int8_t *output);

/*
 * ARMv7E-M (Cortex-M4/M7 DSP extension) versions: same arguments and results, plus
 * scratch (8-byte aligned, tg_conv2d_subbyte_dsp_buffer_size bytes) before the output.
 * Loop order as tg_conv2d_s8_dsp: for each block of 2 output pixels in raster order, the
 * block's input is read before any of its outputs is written.
 */
/*
 * Scratch bytes of the DSP kernels: [p4: a 256-entry uint32 table] then 6 * D bytes (two
 * int8 receptive fields and their int16 widening), D = K rounded up to whole 32-bit words
 * of codes (a multiple of 8 for 4-bit codes, 16 for 2-bit ones). bits: 4 (s4, p4) or 2 (s2);
 * table: 1 for p4, 0 otherwise. tinygen.quant.pack_subbyte.dsp_scratch_bytes is the same.
 */
static inline int32_t tg_conv2d_subbyte_dsp_buffer_size(const tg_conv2d_subbyte_params_t *p, int32_t bits,
                                                        int32_t table)
{
    const int32_t per_word = 32 / bits;
    const int32_t field = (p->kernel_h * p->kernel_w * p->in_c + per_word - 1) / per_word * per_word;
    return (table ? 256 * 4 : 0) + 6 * field;
}

void tg_conv2d_s8_s4_s8_dsp(const tg_conv2d_subbyte_params_t *p, const int8_t *input,
                            const uint8_t *weights, const int32_t *bias,
                            const int32_t *multiplier, const int8_t *shift,
                            int8_t *scratch, int8_t *output);

void tg_conv2d_s8_s2_s8_dsp(const tg_conv2d_subbyte_params_t *p, const int8_t *input,
                            const uint8_t *weights, const int32_t *bias,
                            const int32_t *multiplier, const int8_t *shift,
                            int8_t *scratch, int8_t *output);

void tg_conv2d_s8_p4_s8_dsp(const tg_conv2d_subbyte_params_t *p, const int8_t *input,
                            const uint8_t *weights, const int32_t *bias,
                            const int32_t *multiplier, const int8_t *shift,
                            int8_t *scratch, int8_t *output);

/*
 * Helium (Cortex-M55) version of tg_conv2d_s8_s4_s8: same arguments and results, plus scratch
 * (8-byte aligned, tg_conv2d_s8_s4_s8_mve_buffer_size bytes): two int8 receptive fields of
 * D = K rounded up to 32 bytes, then out_c int32 sums of codes.
 * tinygen.quant.pack_subbyte.mve_scratch_bytes is the same.
 */
static inline int32_t tg_conv2d_s8_s4_s8_mve_field(int32_t depth)
{
    return (depth + 31) / 32 * 32;
}

static inline int32_t tg_conv2d_s8_s4_s8_mve_buffer_size(const tg_conv2d_subbyte_params_t *p)
{
    return 2 * tg_conv2d_s8_s4_s8_mve_field(p->kernel_h * p->kernel_w * p->in_c) + 4 * p->out_c;
}

void tg_conv2d_s8_s4_s8_mve(const tg_conv2d_subbyte_params_t *p, const int8_t *input,
                            const uint8_t *weights, const int32_t *bias,
                            const int32_t *multiplier, const int8_t *shift,
                            int8_t *scratch, int8_t *output);

#ifdef __cplusplus
}
#endif

#endif /* TG_KERNELS_SUBBYTE_H */
