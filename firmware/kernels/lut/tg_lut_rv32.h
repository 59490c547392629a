/*
 * Decoding LUT.md's packed indices once into the constants the RV32IM int8 kernels read
 * (tinygen/kernels/rv32.py), for the LUT kernels of the ESP32-C3 (tg_*_lut_decode_s8_rv32.c):
 * RV32IMC has no SIMD, so each index is read in turn (tg_lut_read) and its table entry stored
 * where the int8 kernel's layout puts that weight. The folded biases (the input offset times
 * the decoded weights' sums, computed at build time) follow the packed rows in flash
 * (tinygen/kernels/lut_rv32_pack.py) and are copied next to the weights. The kernels' bodies
 * are the *_inline functions at the end, in the int8 kernels' (params, bounded, arguments)
 * convention: a specialized layer calls them with its static const parameters and the build's
 * requantization verdict (tinygen.kernels.specialize), as the int8 layers call theirs.
 */
#ifndef TG_LUT_RV32_H
#define TG_LUT_RV32_H

#include <stdint.h>

#include "tg_conv2d_s8_rv32.h"
#include "tg_depthwise_conv2d_s8_rv32.h"
#include "tg_lut.h"

#define TG_LUT_RV32_BLOCK 4     /* TG_RV32_BLOCK: output channels per block */

/* conv2d_rv32_weights' constant of a [rows][depth] layer written into out (word aligned,
   tg_lut_rv32_bytes): per block of 4 channels its 4 folded biases (from the flash after the
   rows), then the depth values' weights, the block's 4 channels for each value (0 for the
   channels past rows). Returns it. */
static inline const int32_t *tg_lut_rv32_blocks(const uint32_t *packed, int32_t rows, int32_t depth, int8_t *out)
{
    const tg_lut_t lut = tg_lut_open(packed);
    const int32_t *folded = tg_lut_after(&lut, rows);
    int32_t *rec = (int32_t *)(void *)out;
    for (int32_t o = 0; o < rows; o += TG_LUT_RV32_BLOCK, rec += TG_LUT_RV32_BLOCK + depth) {
        int8_t *w = (int8_t *)(void *)&rec[TG_LUT_RV32_BLOCK];
        for (int32_t c = 0; c < TG_LUT_RV32_BLOCK; c++) {
            rec[c] = *folded++;
            if (o + c < rows) {
                tg_lut_reader_t r = tg_lut_reader(tg_lut_row(&lut, o + c), 0, lut.bits);
                const int8_t *table = tg_lut_table(&lut, o + c);
                for (int32_t k = 0; k < depth; k++) {
                    w[4 * k + c] = table[tg_lut_read(&r)];
                }
            } else {
                for (int32_t k = 0; k < depth; k++) {
                    w[4 * k + c] = 0;
                }
            }
        }
    }
    return (const int32_t *)(const void *)out;
}

/* The bytes of tg_lut_rv32_blocks' constant. */
static inline int32_t tg_lut_rv32_bytes(int32_t rows, int32_t depth)
{
    return 4 * (rows + TG_LUT_RV32_BLOCK - 1) / TG_LUT_RV32_BLOCK * (TG_LUT_RV32_BLOCK + depth);
}

/* depthwise_rv32_records' constant written into out (word aligned, tg_lut_rv32_depthwise_bytes):
   per channel its folded bias (from the flash after the one row), then its taps' weights as
   bytes, zeros completing the last word. The row holds the taps in the int8 layout's order,
   [tap][channel]. Returns it. */
static inline const int32_t *tg_lut_rv32_depthwise(const uint32_t *packed, int32_t channels, int32_t taps,
                                                   int8_t *out)
{
    const tg_lut_t lut = tg_lut_open(packed);
    const int32_t *folded = tg_lut_after(&lut, 1);
    const int32_t words = 1 + (taps + 3) / 4;
    int32_t *rec = (int32_t *)(void *)out;
    tg_lut_reader_t r = tg_lut_reader(lut.rows, 0, lut.bits);
    for (int32_t c = 0; c < channels; c++) {
        rec[c * words] = folded[c];
        for (int32_t k = 1; k < words; k++) {
            rec[c * words + k] = 0;
        }
    }
    for (int32_t t = 0; t < taps; t++) {
        for (int32_t c = 0; c < channels; c++) {
            ((int8_t *)(void *)&rec[c * words + 1])[t] = tg_lut_table(&lut, c)[tg_lut_read(&r)];
        }
    }
    return (const int32_t *)(const void *)out;
}

/* The bytes of tg_lut_rv32_depthwise's constant. */
static inline int32_t tg_lut_rv32_depthwise_bytes(int32_t channels, int32_t taps)
{
    return 4 * channels * (1 + (taps + 3) / 4);
}

TG_RV32_INLINE void tg_conv2d_lut_decode_s8_rv32_inline(const tg_conv2d_params_t *p, int32_t bounded,
                                                        const int8_t *input, const uint32_t *packed,
                                                        const int32_t *bias, const int32_t *multiplier,
                                                        const int8_t *shift, int8_t *scratch, int8_t *output)
{
    tg_conv2d_s8_rv32_inline(p, bounded, input,
                             tg_lut_rv32_blocks(packed, p->out_c, p->kernel_h * p->kernel_w * p->in_c, scratch), bias,
                             multiplier, shift, output);
}

TG_RV32_INLINE void tg_conv2d_add_lut_decode_s8_rv32_inline(const tg_conv2d_add_params_t *p, int32_t bounded,
                                                            const int8_t *input, const int8_t *skip,
                                                            const uint32_t *packed, const int32_t *bias,
                                                            const int32_t *multiplier, const int8_t *shift,
                                                            int8_t *scratch, int8_t *output)
{
    tg_conv2d_add_s8_rv32_inline(p, bounded, input, skip,
                                 tg_lut_rv32_blocks(packed, p->out_c, p->kernel_h * p->kernel_w * p->in_c, scratch),
                                 bias, multiplier, shift, output);
}

TG_RV32_INLINE void tg_fully_connected_lut_decode_s8_rv32_inline(const tg_fully_connected_params_t *p,
                                                                 int32_t bounded, const int8_t *input,
                                                                 const uint32_t *packed, const int32_t *bias,
                                                                 const int32_t *multiplier, const int8_t *shift,
                                                                 int8_t *scratch, int8_t *output)
{
    tg_fully_connected_s8_rv32_inline(p, bounded, input,
                                      tg_lut_rv32_blocks(packed, p->out_features, p->in_features, scratch), bias,
                                      multiplier, shift, output);
}

TG_RV32_INLINE void tg_depthwise_conv2d_lut_decode_s8_rv32_inline(const tg_conv2d_params_t *p, int32_t bounded,
                                                                  const int8_t *input, const uint32_t *packed,
                                                                  const int32_t *bias, const int32_t *multiplier,
                                                                  const int8_t *shift, int8_t *scratch,
                                                                  int8_t *output)
{
    tg_depthwise_conv2d_s8_rv32_inline(p, bounded, input,
                                       tg_lut_rv32_depthwise(packed, p->out_c, p->kernel_h * p->kernel_w, scratch),
                                       bias, multiplier, shift, output);
}

#endif /* TG_LUT_RV32_H */
