/*
 * tg_conv2d_1x1_s16_dsp: pointwise convolution of a 16x8 model (1x1 kernel, stride 1, no
 * padding) for ARMv7E-M (Cortex-M4/M7 DSP extension): int16 input and output, the int8 weights
 * widened to int16 at build time (tinygen.kernels.s16_dsp.s16_dsp_packed: [out_c][in_c rounded
 * up to even], the pad 0, then the requantization records: int64 bias, per-channel multiplier and
 * shift folded).
 *
 * A matrix product of the pixels (read in place) by the channels: two pixels by two output
 * channels per block with SMLAD on int16 pairs (tg_mat_mult_s16_dsp.h). Exact int64 sums: int32
 * runs of 256 products, which cannot overflow for any weights (|product| <= 2^22), each added
 * into an int64 accumulator; then tg_s16_requant_s64 (tg_requantize_s64 with the bias). Depths of
 * 256 at most: one int32 run requantized with one SMLAL, saturated, the output clamped after.
 * Equals tg_conv2d_s16 bit for bit on these layers; numpy twin: tinygen.ref.int16.conv2d_s16.
 */
#include <stddef.h>
#include <stdint.h>

#include "tg_kernels.h"
#include "tg_mat_mult_s16_dsp.h"

void tg_conv2d_1x1_s16_dsp(const tg_conv2d_params_t *p, const int16_t *input, const int16_t *packed,
                           int16_t *output)
{
    const tg_s16_dsp_quant_t q = {packed + p->out_c * ((p->in_c + 1) & ~1), p->act_min, p->act_max};

    tg_mat_mult_rows_s16_dsp(input, p->out_h * p->out_w, p->in_c, packed, p->out_c, &q, output);
}
