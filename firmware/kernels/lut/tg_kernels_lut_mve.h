/*
 * tinygen's shared-weight (LUT) kernels for Helium (Armv8.1-M MVE, Cortex-M55; the board
 * feature "mve"): each decodes the layer's packed indices (LUT.md) once into its scratch with
 * vector ops and the vector table lookup (tg_lut_mve.h), as the records the int8 MVE kernel
 * reads (tinygen/kernels/mve_pack.py), then runs that kernel on them; its own scratch follows
 * the records (TG_LUT_MVE_RECORDS_BYTES). packed: LUT.md's constant, then the int8 kernel's
 * records without the weights (tinygen/kernels/lut_mve_pack.py), uint32 words. Each equals
 * its int8 kernel on the decoded weights bit for bit.
 */
#ifndef TG_KERNELS_LUT_MVE_H
#define TG_KERNELS_LUT_MVE_H

#include <stdint.h>

#include "tg_kernels.h"

#ifdef __cplusplus
extern "C" {
#endif

/* tg_conv2d_s8_mve, any geometry. */
void tg_conv2d_lut_decode_s8_mve(const tg_conv2d_params_t *p, const int8_t *input, const uint32_t *packed,
                                 int8_t *scratch, int8_t *output);

/* tg_conv2d_1x1_s8_mve: pointwise (1x1, stride 1, no padding). */
void tg_conv2d_1x1_lut_decode_s8_mve(const tg_conv2d_params_t *p, const int8_t *input, const uint32_t *packed,
                                     int8_t *scratch, int8_t *output);

/* tg_conv2d_add_s8_mve: packed's rows, then the add's two tables, then the records. The output
 * may be the skip buffer. */
void tg_conv2d_add_lut_decode_s8_mve(const tg_conv2d_add_params_t *p, const int8_t *input, const int8_t *skip,
                                     const uint32_t *packed, int8_t *scratch, int8_t *output);

/* tg_fully_connected_s8_mve. */
void tg_fully_connected_lut_decode_s8_mve(const tg_fully_connected_params_t *p, const int8_t *input,
                                          const uint32_t *packed, int8_t *scratch, int8_t *output);

/* tg_fully_connected_s8_mve on 4-bit indices with one table for the tensor, looked up from the rows
 * as the products run (a table of weight pairs in the scratch, no decoded weights): scratch
 * TG_LUT_PAIRS_MVE_BYTES(p->out_features). */
#define TG_LUT_PAIRS_MVE_TABLE_BYTES 512
#define TG_LUT_PAIRS_MVE_BYTES(out_c) (TG_LUT_PAIRS_MVE_TABLE_BYTES + 16 * (((out_c) + 3) / 4))
void tg_fully_connected_lut_pairs_s8_mve(const tg_fully_connected_params_t *p, const int8_t *input,
                                         const uint32_t *packed, int8_t *scratch, int8_t *output);

/* The same on 4-bit indices with a table per output channel or one for the tensor, each index's
 * weight gathered from its table as the products run (no decoded weights): scratch
 * TG_LUT_NIBBLES_MVE_BYTES(p->out_features), the sums. */
#define TG_LUT_NIBBLES_MVE_BYTES(out_c) (16 * (((out_c) + 3) / 4))
void tg_fully_connected_lut_nibbles_s8_mve(const tg_fully_connected_params_t *p, const int8_t *input,
                                           const uint32_t *packed, int8_t *scratch, int8_t *output);

/* tg_depthwise_conv2d_s8_mve (depth multiplier 1, dilation 1, at most 16 taps): packed's one
 * row holds each channel's taps in turn, kernel column then kernel row. */
void tg_depthwise_conv2d_lut_decode_s8_mve(const tg_conv2d_params_t *p, const int8_t *input,
                                           const uint32_t *packed, int8_t *scratch, int8_t *output);

#ifdef __cplusplus
}
#endif

#endif /* TG_KERNELS_LUT_MVE_H */
