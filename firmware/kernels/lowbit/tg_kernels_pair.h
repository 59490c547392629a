/*
 * tinygen packed-multiply 4-bit kernel over pixel pairs and channel pairs (LOWBIT.md,
 * "Packed multiply over pixel and channel pairs").
 *
 * tg_conv2d_pair_u4_s4_s8 computes exactly tg_conv2d_u4_s4_s8 (tg_kernels_packed.h: 4-bit
 * weights c, or 2c + 1 with odd, times inputs whose u = x + in_off lie in [0, 15]) with the
 * same field words (3 lanes 14 bits apart, one 32x32 -> 64-bit multiply-accumulate adding 3
 * products into bits 28..41) but another loop order and constant:
 *
 * - two output pixels at a time: their fields interleaved word by word in scratch (pixel 0's
 *   word j, pixel 1's word j), so that one LDRD reads both; an odd last pixel pairs with itself;
 * - two output channels at a time: their weight words interleaved the same way, so that one
 *   LDRD reads both; 4 sums per step (2 pixels x 2 channels), 6 instructions for 12 products
 *   on ARMv7E-M (the 4-channel loop of tg_conv2d_u4_s4_s8_dsp: 7);
 * - the requantization folded into a per-channel record at build time (no bias, multiplier
 *   or shift arrays): SMMLAR of the doubled accumulator, one add, one shift and the clamp.
 *
 * The packed constant (uint32, 4-byte aligned; tinygen.kernels.pair_u4.pack_pair_u4):
 *   records[O2][TG_PAIR_RECORD_WORDS], int32 per output channel o (O2 = out_c rounded up to 2,
 *     the extra channel's record zero):
 *       k  = 2 * (bias[o] - pad_u * sum of the channel's integer weights over every tap),
 *            pad_u = in_off - input_offset (the zero point's u)
 *       m  = multiplier[o], in [0, 2^31)
 *       r  = (1 + 2 * (output_offset - act_min)) * 2^(n-1)
 *       n  = -shift[o], in [1, 31]
 *   then per channel pair q and field word j: the weight words of channels 2q and 2q + 1
 *   (tinygen.quant.pack_mul's u4 lanes: codes c + 8 at bits 28, 14, 0; zero beyond in_c and
 *   for the extra channel).
 *
 * Per output, with D = sum of the fields - 8 U (U: the field's sum of u):
 *   acc2 = 2 D + k (odd: 4 D + 2 U + k) = 2 (accumulator + bias), and
 *   v    = (SMMLAR(acc2, m, r) + (acc2 >> 31)) >> n,
 *   out  = min(max(v, 0), act_max - act_min) + act_min,
 * which equals tg_requantize(accumulator + bias, m, -n) + output_offset clamped where
 * |accumulator + bias| < 2^30 and |x| + |r| + 1 < 2^31 (the 3x3 depthwise path's identity,
 * tg_depthwise_conv2d_3x3_s8_dsp.h; the build checks both per channel and chooses another
 * kernel where they fail).
 */
#ifndef TG_KERNELS_PAIR_H
#define TG_KERNELS_PAIR_H

#include <stdint.h>

#include "tg_kernels_packed.h"

#ifdef __cplusplus
extern "C" {
#endif

#define TG_PAIR_RECORD_WORDS 4

/*
 * Scratch bytes (4-byte aligned): the pixel pair's interleaved field, two fields of
 * tg_conv2d_packed_steps words, packed in place where in_off is 0; otherwise a third: the two
 * fields are packed into the second and third, then interleaved into the first two. Where
 * in_off is 0 and every input pixel is read by 4 or more output pixels (kernel_h * kernel_w >=
 * 4 * stride_h * stride_w), a ring of input rows behind the two fields instead: the rows one
 * output pixel reads (at most in_h), each pixel as one tap's field words and their sum, packed
 * once per call and copied into the fields.
 * tinygen.kernels.pair_u4.pair_scratch_bytes is the same.
 */
static inline int32_t tg_conv2d_pair_buffer_size(const tg_conv2d_packed_params_t *p)
{
    const int32_t field = tg_conv2d_packed_buffer_size(p, TG_PACKED_U4_LANES);
    const int32_t span = (p->kernel_h - 1) * p->dilation_h + 1;
    const int32_t rows = span < p->in_h ? span : p->in_h;
    const int32_t ring = 4 * rows * p->in_w * ((p->in_c + TG_PACKED_U4_LANES - 1) / TG_PACKED_U4_LANES + 1);
    if (p->in_off != 0) {
        return 3 * field;
    }
    return p->kernel_h * p->kernel_w >= 4 * p->stride_h * p->stride_w ? 2 * field + ring : 2 * field;
}

/* Portable C. */
void tg_conv2d_pair_u4_s4_s8(const tg_conv2d_packed_params_t *p, const int8_t *input, const uint32_t *packed,
                             int8_t *scratch, int8_t *output);

/* ARMv7E-M (Cortex-M4 / M7): the same results, the inner loop in assembly. */
void tg_conv2d_pair_u4_s4_s8_dsp(const tg_conv2d_packed_params_t *p, const int8_t *input,
                                 const uint32_t *packed, int8_t *scratch, int8_t *output);

#ifdef __cplusplus
}
#endif

#endif /* TG_KERNELS_PAIR_H */
