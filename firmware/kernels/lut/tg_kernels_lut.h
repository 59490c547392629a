/*
 * tinygen shared-weight (LUT) kernels: int8 convolution, depthwise convolution and fully
 * connected layers whose weights are stored as BITS-bit indices (2..6) into int8 tables, one
 * table for the tensor or one per output channel (--weights lut:BITS, LUT.md). Each decodes
 * its indices while it runs, in its inner loop: no copy of the layer's weights is made.
 *
 * packed: uint32 words, LUT.md's layout (tinygen.quant.pack_lut):
 *   [0] bits, [1] tables (1 or out_c), [2] words per row,
 *   then the tables, int8 [tables][1 << bits] padded to a word,
 *   then the rows of indices, BITS bits each, LSB first, each row starting on a word:
 *   conv and fully connected: one row per output channel, its weights in the order the int8
 *   kernel reads them ([kernel_h][kernel_w][in_c]; [in_features]); depthwise: one row, the
 *   int8 layout [kernel_h][kernel_w][out_c] (a channel's few taps would waste most of a word).
 *
 * Each computes exactly its int8 kernel (tg_conv2d_s8, tg_depthwise_conv2d_s8,
 * tg_fully_connected_s8, tg_conv2d_add_s8) on the decoded weights: the same numpy twin.
 * Parameters, bias, multiplier, shift and the output as there.
 */
#ifndef TG_KERNELS_LUT_H
#define TG_KERNELS_LUT_H

#include <stdint.h>

#include "tg_kernels.h"

#ifdef __cplusplus
extern "C" {
#endif

void tg_conv2d_lut_s8(const tg_conv2d_params_t *p, const int8_t *input, const uint32_t *packed,
                      const int32_t *bias, const int32_t *multiplier, const int8_t *shift, int8_t *output);

void tg_conv2d_add_lut_s8(const tg_conv2d_add_params_t *p, const int8_t *input, const int8_t *skip,
                          const uint32_t *packed, const int32_t *bias, const int32_t *multiplier,
                          const int8_t *shift, int8_t *output);

void tg_depthwise_conv2d_lut_s8(const tg_conv2d_params_t *p, const int8_t *input, const uint32_t *packed,
                                const int32_t *bias, const int32_t *multiplier, const int8_t *shift,
                                int8_t *output);

void tg_fully_connected_lut_s8(const tg_fully_connected_params_t *p, const int8_t *input,
                               const uint32_t *packed, const int32_t *bias, const int32_t *multiplier,
                               const int8_t *shift, int8_t *output);

/*
 * The same on the ARMv7E-M DSP extension by decoding into the scratch first: the layer's weights,
 * int8 in the int8 layout (rounded up to 8 bytes), then the int8 DSP kernel's own scratch
 * (tinygen.kernels.lut_table gives the sizes). Same arguments plus the scratch.
 */
void tg_conv2d_lut_decode_s8_dsp(const tg_conv2d_params_t *p, const int8_t *input, const uint32_t *packed,
                                 const int32_t *bias, const int32_t *multiplier, const int8_t *shift,
                                 int8_t *scratch, int8_t *output);

void tg_conv2d_1x1_lut_decode_s8_dsp(const tg_conv2d_params_t *p, const int8_t *input, const uint32_t *packed,
                                     const int32_t *bias, const int32_t *multiplier, const int8_t *shift,
                                     int8_t *scratch, int8_t *output);

void tg_fully_connected_lut_decode_s8_dsp(const tg_fully_connected_params_t *p, const int8_t *input,
                                          const uint32_t *packed, const int32_t *bias, const int32_t *multiplier,
                                          const int8_t *shift, int8_t *scratch, int8_t *output);

void tg_depthwise_conv2d_lut_decode_s8_dsp(const tg_conv2d_params_t *p, const int8_t *input,
                                           const uint32_t *packed, const int32_t *bias,
                                           const int32_t *multiplier, const int8_t *shift, int8_t *scratch,
                                           int8_t *output);

void tg_conv2d_1x1_rows3_lut_decode_s8_dsp(const tg_conv2d_params_t *p, const int8_t *input, const uint32_t *packed,
                                           const int32_t *bias, const int32_t *multiplier, const int8_t *shift,
                                           int8_t *scratch, int8_t *output);

void tg_conv2d_rows3_lut_decode_s8_dsp(const tg_conv2d_params_t *p, const int8_t *input, const uint32_t *packed,
                                       const int32_t *bias, const int32_t *multiplier, const int8_t *shift,
                                       int8_t *scratch, int8_t *output);

/*
 * tg_conv2d_widen_s8_dsp's direct core on shared weights, 4 output channels decoded at a time
 * (tg_conv2d_widen_lut_s8_dsp.h): in_c and out_c multiples of 4; scratch 4 * depth bytes rounded
 * up to 8, then 8 * depth; depth = kernel_h * kernel_w * in_c.
 */
void tg_conv2d_widen_lut_s8_dsp(const tg_conv2d_params_t *p, const int8_t *input, const uint32_t *packed,
                                const int32_t *bias, const int32_t *multiplier, const int8_t *shift, int8_t *scratch,
                                int8_t *output);

/*
 * tg_depthwise_conv2d_3x3_narrow_s8_dsp's layers with shared weights: the packed constant is the
 * LUT constant then the records' other words (tinygen/kernels/depthwise_narrow_lut.py); the
 * scratch holds the completed records (rounded up to 8 bytes), then the narrow kernel's.
 */
void tg_depthwise_conv2d_3x3_narrow_lut_decode_s8_dsp(const tg_conv2d_params_t *p, const int8_t *input,
                                                      const uint32_t *packed, int8_t *scratch, int8_t *output);

/*
 * A convolution's or fully connected layer's packed weights decoded into out, int8 [rows][count]
 * (the int8 layout): what a specialized layer with shared weights runs before the int8 kernel's
 * inline body (tinygen/codegen/lut_decode.py).
 */
void tg_lut_decode_weights(const uint32_t *packed, int32_t rows, int32_t count, int8_t *out);

/* Rows first .. first + rows - 1 only, into out (int8 [rows][count]). */
void tg_lut_decode_rows(const uint32_t *packed, int32_t first, int32_t rows, int32_t count, int8_t *out);

/*
 * A fully connected layer of one row (batch 1) with shared weights on the ARMv7E-M DSP extension:
 * its weights decoded a block of output features at a time (tg_lut_fc_block_rows) into the
 * scratch, each block computed by tg_fully_connected_s8_dsp. Scratch: one block of decoded
 * weights (rounded up to 8 bytes).
 */
void tg_fully_connected_lut_block_s8_dsp(const tg_fully_connected_params_t *p, const int8_t *input,
                                         const uint32_t *packed, const int32_t *bias, const int32_t *multiplier,
                                         const int8_t *shift, int8_t *scratch, int8_t *output);

/*
 * The same layers (one row) with 4-bit indices and one table for the tensor, multiplied straight
 * from a table of weight pairs: each index byte's two weights as an int16 pair, built in the
 * scratch, one SMLAD per byte of a row against the input widened to pairs (no decoded weights).
 * Scratch: TG_LUT_PAIRS_BYTES(row words) bytes, 4-byte aligned (the input pairs, then the table).
 */
void tg_fully_connected_lut_pairs_s8_dsp(const tg_fully_connected_params_t *p, const int8_t *input,
                                         const uint32_t *packed, const int32_t *bias, const int32_t *multiplier,
                                         const int8_t *shift, int8_t *scratch, int8_t *output);

#ifdef __cplusplus
}
#endif

#endif /* TG_KERNELS_LUT_H */
