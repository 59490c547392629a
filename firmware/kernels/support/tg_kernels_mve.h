/*
 * tinygen kernels: the Helium (MVE) kernels (Cortex-M55).
 *
 * Part of tg_kernels.h's API, which includes this file: include tg_kernels.h, not this.
 */
#ifndef TG_KERNELS_MVE_H
#define TG_KERNELS_MVE_H

#ifndef TG_KERNELS_H
#error "include tg_kernels.h, which includes this header"
#endif

/* ---- Helium (MVE) kernels (Cortex-M55; the board feature "mve"): each equals its portable
 * twin bit for bit. packed: the layer's constants arranged at build time
 * (tinygen/kernels/mve_pack.py), int32 words. The outputs must not overlap the inputs. ---- */

/* tg_conv2d_s8 for a pointwise convolution (1x1, stride 1, no padding): 2 pixels x 4
 * channels per VMLADAVA step (tg_mat_mult_s8_mve.h). */
void tg_conv2d_1x1_s8_mve(const tg_conv2d_params_t *p, const int8_t *input, const int32_t *packed, int8_t *output);

/* tg_conv2d_s8, any geometry: receptive fields gathered 8 pixels at a time into the scratch
 * (tg_conv2d_s8_mve.h), then the pointwise product. */
void tg_conv2d_s8_mve(const tg_conv2d_params_t *p, const int8_t *input, const int32_t *packed, int8_t *scratch,
                      int8_t *output);

/* tg_fully_connected_s8 as the pointwise product (tg_mat_mult_s8_mve.h). */
void tg_fully_connected_s8_mve(const tg_fully_connected_params_t *p, const int8_t *input, const int32_t *packed,
                               int8_t *output);

/* tg_conv2d_add_s8: tg_conv2d_s8_mve's convolution, then the add with tg_add_s8_mve's
 * tables (packed: the tables, then the product's records). The output may be the skip
 * buffer, not the conv's input. */
void tg_conv2d_add_s8_mve(const tg_conv2d_add_params_t *p, const int8_t *input, const int8_t *skip,
                          const int32_t *packed, int8_t *scratch, int8_t *output);

/* tg_add_s8 (same shapes): the operands' scaled values tabulated at build time (packed), 4
 * outputs per step. May run in place. */
void tg_add_s8_mve(const tg_add_params_t *p, const int8_t *input1, const int8_t *input2, const int32_t *packed,
                   int8_t *output);

/* tg_depthwise_conv2d_s8 with depth multiplier 1, dilation 1 and at most 16 taps: per
 * output row its window columns interleaved in the scratch, one VMLADAVA per output. */
void tg_depthwise_conv2d_s8_mve(const tg_conv2d_params_t *p, const int8_t *input, const int32_t *packed,
                                int8_t *scratch, int8_t *output);

/* tg_max_pool2d_s8, 16 channels per VMAX. */
void tg_max_pool2d_s8_mve(const tg_pool2d_params_t *p, const int8_t *input, int8_t *output);

/* tg_avg_pool2d_s8 for windows of at most 5,780 elements: 16 channels per step in int16
 * lanes, the division a multiply-high by the count's reciprocal. */
void tg_avg_pool2d_s8_mve(const tg_pool2d_params_t *p, const int8_t *input, int8_t *output);

/* tg_softmax_s8 with tg_softmax_s8_dsp's table of exps (table), 4 elements per gather. */
void tg_softmax_s8_mve(const tg_softmax_params_t *p, const int8_t *input, const int32_t *table, int8_t *output);

#endif /* TG_KERNELS_MVE_H */
