/*
 * tinygen packed-multiply sub-byte kernels: low-bit activations x low-bit weights with
 * several products per 32x32 -> 64-bit multiply-accumulate (LOWBIT.md, "Packed multiply").
 *
 * They compute exactly tg_conv2d_s8_s4_s8 / tg_conv2d_s8_s2_s8 (non-pow2, `odd` as there)
 * for inputs whose offset values u = x + in_off lie in [0, 2^A - 1], A = 4 (u4) or 2 (u2):
 *
 *   acc[o] = sum over in-bounds taps of w * (x + input_offset)   (padded taps add nothing)
 *   out    = clamp(tg_requantize(acc + bias[o], multiplier[o], shift[o]) + output_offset)
 *
 * Method: per output pixel the receptive field's u are packed P to a 32-bit word, lanes S
 * bits apart (u4: P = 3, S = 14; u2: P = 4, S = 10), one run of words per tap (a tap's last
 * word zero-filled beyond in_c; padded taps hold u = in_off - input_offset, the zero point's);
 * the weights were packed at build time the same way in reverse lane order, as unsigned
 * codes c + 2^(bits-1) (tinygen.quant.pack_mul). One UMULL/UMLAL of a field word by a
 * weight word puts sum_i u_i c'_i (P products) in bits (P-1)S .. PS-1 of the 64-bit sum;
 * after at most TG_PACKED_U4_BLOCK / TG_PACKED_U2_BLOCK words no field can carry, and
 * that field is added to an int32 sum D. Then sum c u = D - 2^(bits-1) U (U = sum of the
 * field's u), sum w u = D' or 2 D' + U with odd, and the packed constant's per-channel
 * correction -(in_off - input_offset) * sum_all w turns sum over all taps of w u into acc.
 *
 * Conventions as tg_kernels_subbyte.h (NHWC, batch 1, a fully connected layer is a 1x1
 * convolution on a 1x1 image). Each kernel's numpy twin is tinygen.ref.subbyte's
 * function named like it minus tg_.
 */
#ifndef TG_KERNELS_PACKED_H
#define TG_KERNELS_PACKED_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
    int32_t in_h, in_w, in_c;       /* input [in_h][in_w][in_c] */
    int32_t out_h, out_w, out_c;    /* output [out_h][out_w][out_c] */
    int32_t kernel_h, kernel_w;
    int32_t stride_h, stride_w;
    int32_t dilation_h, dilation_w;
    int32_t pad_top, pad_left;      /* implicit zero-point padding before row/col 0 */
    int32_t input_offset;           /* -input zero point, in [-127, 128] */
    int32_t in_off;                 /* u = x + in_off in [0, 2^A - 1] for every input x */
    int32_t output_offset;          /* output zero point, in [-128, 127] */
    int32_t act_min, act_max;       /* output clamp, within [-128, 127] */
    int32_t odd;                    /* 1: the weight is 2c + 1 (DoReFa), 0: the code c */
    /* the accumulator's extra fractional bits: the kernel adds the bias to acc * 2^bias_shift
       (bias and shift were scaled to match at build time), in [0, 30]; 0 is TFLite's */
    int32_t bias_shift;
} tg_conv2d_packed_params_t;

/* lanes per word, lane spacing, and the most words summed before a field is read */
#define TG_PACKED_U4_LANES 3
#define TG_PACKED_U4_SPACING 14
#define TG_PACKED_U4_BLOCK 24       /* 3 * 24 * 15 * 15 = 16200 < 2^14 */
#define TG_PACKED_U2_LANES 4        /* 2 per int16 half */
#define TG_PACKED_U2_SPACING 13     /* within a half: lanes at bits 0, 13, 16, 29 */
#define TG_PACKED_U2_BLOCK 224      /* 4 * 224 * 3 * 3 = 8064 < 2^13 */

/* Words of one pixel's packed field: kernel_h * kernel_w * ceil(in_c / lanes). */
static inline int32_t tg_conv2d_packed_steps(const tg_conv2d_packed_params_t *p, int32_t lanes)
{
    return p->kernel_h * p->kernel_w * ((p->in_c + lanes - 1) / lanes);
}

/*
 * Scratch bytes (4-byte aligned): one pixel's packed field, 4 bytes a word.
 * tinygen.quant.pack_mul.packed_scratch_bytes is the same.
 */
static inline int32_t tg_conv2d_packed_buffer_size(const tg_conv2d_packed_params_t *p, int32_t lanes)
{
    return 4 * tg_conv2d_packed_steps(p, lanes);
}

/*
 * Scratch bytes of tg_conv2d_u2_s2_s8_dsp (4-byte aligned): two pixels' fields, and 6 words
 * per channel of O4 (its constants, two pixels' sums).
 * tinygen.quant.pack_mul.packed_scratch_bytes(p, "u2", dsp=True) is the same.
 */
static inline int32_t tg_conv2d_u2_s2_s8_dsp_buffer_size(const tg_conv2d_packed_params_t *p)
{
    return 2 * tg_conv2d_packed_buffer_size(p, TG_PACKED_U2_LANES) + 24 * ((p->out_c + 3) / 4 * 4);
}

/*
 * 4-bit weights x activations with u in [0, 15]. packed (4-byte aligned, from
 * tinygen.quant.pack_mul.pack_mul_weights): int32 corr[O4], then per group of 4 output
 * channels and per field word j the 4 channels' weight words, O4 = out_c rounded up to 4.
 * bias may be NULL; scratch: tg_conv2d_packed_buffer_size(p, TG_PACKED_U4_LANES) bytes.
 */
void tg_conv2d_u4_s4_s8(const tg_conv2d_packed_params_t *p, const int8_t *input, const uint32_t *packed,
                        const int32_t *bias, const int32_t *multiplier, const int8_t *shift,
                        int8_t *scratch, int8_t *output);

/* The same with 2-bit weights and u in [0, 3] (TG_PACKED_U2_LANES). */
void tg_conv2d_u2_s2_s8(const tg_conv2d_packed_params_t *p, const int8_t *input, const uint32_t *packed,
                        const int32_t *bias, const int32_t *multiplier, const int8_t *shift,
                        int8_t *scratch, int8_t *output);

/*
 * ARMv7-M versions (Cortex-M4 / M7; listed under the "dsp" feature): same arguments and
 * results, the inner loop written out (tg_conv2d_packed_dsp.h); the u2 one computes two output
 * pixels per pass over the weights and takes tg_conv2d_u2_s2_s8_dsp_buffer_size(p) bytes of scratch.
 */
void tg_conv2d_u4_s4_s8_dsp(const tg_conv2d_packed_params_t *p, const int8_t *input, const uint32_t *packed,
                            const int32_t *bias, const int32_t *multiplier, const int8_t *shift,
                            int8_t *scratch, int8_t *output);

void tg_conv2d_u2_s2_s8_dsp(const tg_conv2d_packed_params_t *p, const int8_t *input, const uint32_t *packed,
                            const int32_t *bias, const int32_t *multiplier, const int8_t *shift,
                            int8_t *scratch, int8_t *output);

#ifdef __cplusplus
}
#endif

#endif /* TG_KERNELS_PACKED_H */
