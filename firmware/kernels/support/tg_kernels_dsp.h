/*
 * tinygen kernels: the ARMv7E-M DSP kernels (Cortex-M4/M7).
 *
 * Part of tg_kernels.h's API, which includes this file: include tg_kernels.h, not this.
 */
#ifndef TG_KERNELS_DSP_H
#define TG_KERNELS_DSP_H

#ifndef TG_KERNELS_H
#error "include tg_kernels.h, which includes this header"
#endif

/* ---------------------------------------------------------------------- */
/* ARMv7E-M DSP kernels (Cortex-M4/M7): built only for cores with the DSP   */
/* extension (__ARM_FEATURE_DSP); each equals its portable kernel.          */
/* ---------------------------------------------------------------------- */

/*
 * tg_conv2d_s8 for a 1x1 kernel, stride 1, no padding (out_h == in_h,
 * out_w == in_w), any channel counts. Same arguments and layouts, plus
 * scratch: 4 * ((in_c + 3) & ~3) + 8 * out_c bytes, 8-byte aligned (none,
 * NULL, for a single pixel).
 */
void tg_conv2d_1x1_s8_dsp(const tg_conv2d_params_t *p, const int8_t *input,
                          const int8_t *weights, const int32_t *bias,
                          const int32_t *multiplier, const int8_t *shift,
                          int8_t *scratch, int8_t *output);

/*
 * tg_conv2d_1x1_s8_dsp for in_c 4, 8 or 16 and act_min, act_max = -128, 127, where the folded
 * requantization is exact (tg_conv2d_1x1_shallow_s8_dsp.c, tinygen/kernels/pw_shallow_dsp.py).
 * Same arguments and layouts; scratch: the per-channel records, out_c * (16 + 2 * in_c) bytes,
 * 4-byte aligned. Pixel by pixel, each input pixel read whole before its outputs are written.
 */
void tg_conv2d_1x1_shallow_s8_dsp(const tg_conv2d_params_t *p, const int8_t *input,
                                  const int8_t *weights, const int32_t *bias,
                                  const int32_t *multiplier, const int8_t *shift,
                                  int8_t *scratch, int8_t *output);

/*
 * tg_conv2d_s8, any geometry. Same arguments and layouts, plus scratch:
 * 2 * K rounded up to 8, plus 4 * ((K + 3) & ~3) + 8 * out_c bytes, 8-byte aligned,
 * K = kernel_h * kernel_w * in_c.
 */
void tg_conv2d_s8_dsp(const tg_conv2d_params_t *p, const int8_t *input,
                      const int8_t *weights, const int32_t *bias,
                      const int32_t *multiplier, const int8_t *shift,
                      int8_t *scratch, int8_t *output);

/*
 * tg_fully_connected_s8, any sizes. Same arguments and layouts, plus scratch:
 * 4 * ((in_features + 3) & ~3) + 8 * out_features bytes, 8-byte aligned (none,
 * NULL, for rows == 1).
 */
void tg_fully_connected_s8_dsp(const tg_fully_connected_params_t *p, const int8_t *input,
                               const int8_t *weights, const int32_t *bias,
                               const int32_t *multiplier, const int8_t *shift,
                               int8_t *scratch, int8_t *output);

/*
 * tg_fully_connected_s8 for in_features <= 16 (tg_fully_connected_shallow_s8_dsp.h): packed
 * holds one record per output feature (2 x bias, multiplier, rounding, shift, the weights:
 * tinygen/kernels/fc_shallow_dsp.py), built only where its requantization is exact. No scratch;
 * the output must not overlap the input.
 */
void tg_fully_connected_shallow_s8_dsp(const tg_fully_connected_params_t *p, const int8_t *input,
                                       const int32_t *packed, int8_t *output);

/*
 * tg_depthwise_conv2d_s8 for depth_multiplier == 1 (any kernel, stride, dilation,
 * padding). Same arguments and layouts, plus packed (the 3x3 path's records, built by
 * tinygen/kernels/depthwise_dsp.py) and scratch (depthwise_dsp_scratch bytes there,
 * 4-byte aligned; NULL when that is 0).
 */
void tg_depthwise_conv2d_s8_dsp(const tg_conv2d_params_t *p, const int8_t *input,
                                const int8_t *weights, const int32_t *bias,
                                const int32_t *multiplier, const int8_t *shift,
                                const int32_t *packed, int8_t *scratch, int8_t *output);

/*
 * tg_depthwise_conv2d_s8_dsp's any-window path (tg_dw_any_window) on any depth-multiplier-1
 * layer, 3x3 ones included: the weights int8 in flash, widened with the bias, multipliers
 * and shifts into the scratch at each call (depthwise_dsp.depthwise_widen_scratch bytes,
 * 4-byte aligned; NULL when in_c < 4), no per-channel records in flash (18 bytes a channel
 * against the 3x3 path's 32). What a fit-aware choice takes where flash is short.
 */
void tg_dw_any_window(const tg_conv2d_params_t *p, const int8_t *input, const int8_t *weights,
                      const int32_t *bias, const int32_t *multiplier, const int8_t *shift,
                      int8_t *scratch, int8_t *output);
void tg_depthwise_conv2d_widen_s8_dsp(const tg_conv2d_params_t *p, const int8_t *input,
                                      const int8_t *weights, const int32_t *bias,
                                      const int32_t *multiplier, const int8_t *shift,
                                      int8_t *scratch, int8_t *output);

/*
 * tg_depthwise_conv2d_s8_dsp's 3x3 path alone, for the layers whose records it packs
 * (packed[0] == in_c; tinygen/kernels/depthwise_dsp.py): the records are all its
 * constants. scratch: depthwise_dsp.dw3_scratch bytes, 4-byte aligned.
 */
void tg_depthwise_conv2d_3x3_s8_dsp(const tg_conv2d_params_t *p, const int8_t *input, const int32_t *packed,
                                    int8_t *scratch, int8_t *output);

/*
 * tg_depthwise_conv2d_s8 along one axis (k x 1 over width 1, 1 x k over height 1),
 * depth_multiplier == 1, any stride, dilation, padding and channel count, for the layers
 * whose records tinygen/kernels/depthwise_kx1_dsp.py packs (packed[0] == in_c): the
 * records are all its constants. scratch: depthwise_kx1_dsp.kx1_scratch bytes, 4-byte
 * aligned. The output must not overlap the input.
 */
void tg_depthwise_conv2d_kx1_s8_dsp(const tg_conv2d_params_t *p, const int8_t *input, const int32_t *packed,
                                    int8_t *scratch, int8_t *output);

/*
 * tg_depthwise_conv2d_kx1_s8_dsp's layers that depthwise_kx1_dsp.raw_path names (stride 1
 * with 2 or 3 taps and act_max 127; 4 or 5 taps, no clamp, at stride 1 or at stride 2 with
 * dilation 1), faster, the same records. scratch: depthwise_kx1_dsp.kx1_raw_scratch bytes
 * (a padded copy of the input), 4-byte aligned. The output must not overlap the input.
 */
void tg_depthwise_conv2d_kx1_raw_s8_dsp(const tg_conv2d_params_t *p, const int8_t *input, const int32_t *packed,
                                        int8_t *scratch, int8_t *output);

/*
 * tg_depthwise_conv2d_s8 for depth_multiplier > 1, 3x3 windows, dilation 1, stride_w 1 or
 * 2, for the layers whose 3x3 records (one per output channel) tinygen/kernels/depthwise_dsp.py
 * packs (packed[0] == out_c): the records are all its constants. scratch:
 * depthwise_dsp.dw3_scratch bytes, 4-byte aligned. The output must not overlap the input.
 */
void tg_depthwise_conv2d_3x3_dm_s8_dsp(const tg_conv2d_params_t *p, const int8_t *input, const int32_t *packed,
                                       int8_t *scratch, int8_t *output);

/*
 * tg_depthwise_conv2d_s8 for depth_multiplier > 1, any window, stride, dilation, padding and
 * input channel count. Same arguments but the weights, packed at build time
 * (tinygen/kernels/depthwise_dm_dsp.py, dm_weights): int32 words of two int16 weights, per input
 * channel and block of output channels (4, then 2, then 1), [window row * tap pair][channel of
 * the block], the tap pairs of a row (k, k + 2), (k + 1, k + 3) per group of 4 columns, then
 * (k, k + 1), then (k, 0). bias may be NULL. scratch: depthwise_dm_dsp.dm_scratch bytes (one
 * window's tap pairs), 4-byte aligned. The output must not overlap the input.
 */
void tg_depthwise_conv2d_dm_s8_dsp(const tg_conv2d_params_t *p, const int8_t *input, const int32_t *packed,
                                   const int32_t *bias, const int32_t *multiplier, const int8_t *shift,
                                   int8_t *scratch, int8_t *output);

/*
 * tg_conv2d_s8, any geometry, with no scratch: a direct convolution reading the input
 * in place (the output must not overlap it). Same arguments and layouts but the
 * weights, packed at build time (tinygen.kernels.direct_dsp.conv2d_direct_dsp_weights):
 * int16, 4-byte aligned, per block of 4 output channels (zero channels complete the
 * last block) and kernel row of L = kernel_w * in_c values, each group of 4 values as
 * (w0, w2, w1, w3) for channel 0, then channels 1, 2, 3, then the last L % 4 values
 * as the 4 channels' values for each.
 */
void tg_conv2d_direct_s8_dsp(const tg_conv2d_params_t *p, const int8_t *input, const int16_t *packed,
                             const int32_t *bias, const int32_t *multiplier, const int8_t *shift, int8_t *output);

/*
 * tg_conv2d_add_s8, any geometry, with no scratch: tg_conv2d_direct_s8_dsp's convolution
 * (same packed weights), then the add with the skip tensor. The output may be the skip
 * buffer, not the conv's input.
 */
void tg_conv2d_add_s8_dsp(const tg_conv2d_add_params_t *p, const int8_t *input, const int8_t *skip,
                          const int16_t *packed, const int32_t *bias, const int32_t *multiplier,
                          const int8_t *shift, int8_t *output);

/*
 * tg_conv2d_direct_s8_dsp with the weights int8 in flash, widened at run time one block of
 * 4 output channels at a time into scratch (8 * kernel_h * kernel_w * in_c bytes, 8-byte
 * aligned). packed: tg_conv2d_direct_s8_dsp's layout with each group of 4 values
 * (a, b, c, d) stored as the int8 bytes (a, c, b, d)
 * (tinygen.kernels.direct_dsp.conv2d_widen_dsp_weights). The output must not overlap the input.
 */
void tg_conv2d_widen_s8_dsp(const tg_conv2d_params_t *p, const int8_t *input, const int8_t *packed,
                            const int32_t *bias, const int32_t *multiplier, const int8_t *shift, int8_t *scratch,
                            int8_t *output);

/*
 * tg_conv2d_add_s8_dsp with tg_conv2d_widen_s8_dsp's int8 packed weights and scratch. The
 * output may be the skip buffer, not the conv's input.
 */
void tg_conv2d_add_widen_s8_dsp(const tg_conv2d_add_params_t *p, const int8_t *input, const int8_t *skip,
                                const int8_t *packed, const int32_t *bias, const int32_t *multiplier,
                                const int8_t *shift, int8_t *scratch, int8_t *output);

/* tg_add_s8, any parameters (fast for TFLite's left_shift 20). Same arguments; may run in place. */
void tg_add_s8_dsp(const tg_add_params_t *p, const int8_t *input1, const int8_t *input2,
                   int8_t *output);


/* Cortex-M4/M7 batch-1 fully connected kernels */

/*
 * tg_fully_connected_s8 for one row (tg_fully_connected_batch1_s8_dsp.h): the row widened once
 * into scratch (tg_fully_connected_batch1_s8_dsp_buffer_size), 4 outputs per pass; packed: the
 * folded biases and weights in blocks of 4 rows (tinygen/kernels/fc_batch1_dsp.py), given only
 * to layers whose sums stay below 2^30. The output may overlap the input.
 */
void tg_fully_connected_batch1_s8_dsp(const tg_fully_connected_params_t *p, const int8_t *input,
                                      const int8_t *packed, const int32_t *multiplier, const int8_t *shift,
                                      int8_t *scratch, int8_t *output);

/* The same without scratch (in_features a multiple of 4). The output must not overlap the input. */
void tg_fully_connected_batch1_lean_s8_dsp(const tg_fully_connected_params_t *p, const int8_t *input,
                                           const int8_t *packed, const int32_t *multiplier, const int8_t *shift,
                                           int8_t *output);

/* The same as the first with int16 weights (fc_batch1_w16_packed: twice the weights' flash, fewer
   instructions); the same scratch. */
void tg_fully_connected_batch1_w16_s8_dsp(const tg_fully_connected_params_t *p, const int8_t *input,
                                          const int8_t *packed, const int32_t *multiplier, const int8_t *shift,
                                          int8_t *scratch, int8_t *output);

/* The same as the first with each two rows' weights as int16 halfwords 256 b + a (fc_batch1_rowpair_packed:
   as many bytes, fewer instructions), given only to layers whose row pairs' sums are exact; the same scratch. */
void tg_fully_connected_batch1_rowpair_s8_dsp(const tg_fully_connected_params_t *p, const int8_t *input,
                                              const int8_t *packed, const int32_t *multiplier, const int8_t *shift,
                                              int8_t *scratch, int8_t *output);

/* The same without scratch (in_features a multiple of 4). The output must not overlap the input. */
void tg_fully_connected_batch1_rowpair_lean_s8_dsp(const tg_fully_connected_params_t *p, const int8_t *input,
                                                   const int8_t *packed, const int32_t *multiplier,
                                                   const int8_t *shift, int8_t *output);

/* --- pointwise conv in 3-row blocks --- */
/*
 * tg_conv2d_1x1_s8_dsp with the output pixels in blocks of 3 where a specialized layer folds its
 * requantization (tg_mat_mult_rows3_s8_dsp.h); the generic entry point runs tg_conv2d_1x1_s8_dsp's
 * product. Same arguments and layouts; scratch: 6 * ((in_c + 3) & ~3) + 16 * out_c bytes,
 * 8-byte aligned (tg_conv2d_1x1_rows3_s8_dsp_buffer_size).
 */
void tg_conv2d_1x1_rows3_s8_dsp(const tg_conv2d_params_t *p, const int8_t *input, const int8_t *weights,
                                const int32_t *bias, const int32_t *multiplier, const int8_t *shift,
                                int8_t *scratch, int8_t *output);

/* --- im2col conv in 3-pixel blocks --- */
/*
 * tg_conv2d_s8_dsp with the receptive fields of 3 output pixels per block multiplied in the
 * pointwise kernel's 3-row block where a specialized layer folds its requantization
 * (tg_conv2d_rows3_s8_dsp.h); the generic entry point runs tg_conv2d_s8_dsp's body. Same arguments
 * and layouts; scratch, 8-byte aligned: ((3 * K + 7) & ~7) + 6 * ((K + 3) & ~3) + 16 * out_c bytes
 * (K = kernel_h * kernel_w * in_c), at least tg_conv2d_s8_dsp's.
 */
void tg_conv2d_rows3_s8_dsp(const tg_conv2d_params_t *p, const int8_t *input, const int8_t *weights,
                            const int32_t *bias, const int32_t *multiplier, const int8_t *shift, int8_t *scratch,
                            int8_t *output);

/* --- im2col conv in 4-pixel blocks, int16 weights --- */
/*
 * 2-D convolution with the receptive fields of 4 output pixels per block multiplied 4 pixels x 2
 * channels at a time where a specialized layer folds its requantization
 * (tg_conv2d_rows4_w16_s8_dsp.h); the generic entry point computes each output alone.
 * packed: int16, 4-byte aligned (tinygen.kernels.rows4_dsp.rows4_w16_weights): per pair of output
 * channels (a zero channel completes an odd count), per group of 4 values of the depth
 * K = kernel_h * kernel_w * in_c (zeros complete the last), (w0, w2) of the pair's first channel,
 * of its second, then (w1, w3) of each. Scratch, 8-byte aligned:
 * ((4 * K + 7) & ~7) + 8 * ((K + 3) & ~3) + 16 * ((out_c + 1) & ~1) bytes.
 */
void tg_conv2d_rows4_w16_s8_dsp(const tg_conv2d_params_t *p, const int8_t *input, const int16_t *packed,
                                const int32_t *bias, const int32_t *multiplier, const int8_t *shift,
                                int8_t *scratch, int8_t *output);

/*
 * The same convolution with a fused residual add (tg_conv2d_add_params_t, as tg_conv2d_add_s8_dsp):
 * each block's conv bytes added to the skip bytes; the output may take the skip's place. Same
 * packed weights; scratch: tg_conv2d_rows4_w16_s8_dsp's + 4 * out_c bytes.
 */
void tg_conv2d_add_rows4_w16_s8_dsp(const tg_conv2d_add_params_t *p, const int8_t *input, const int8_t *skip,
                                    const int16_t *packed, const int32_t *bias, const int32_t *multiplier,
                                    const int8_t *shift, int8_t *scratch, int8_t *output);

/*
 * The same two with the weights as row-pair halfwords (tg_rows4_loop_dsp.h): packed int16, 4-byte
 * aligned (tinygen.kernels.rows4_dsp.rows4_pair_weights), h = 256 b + a of a pair's first channel's
 * weight a and its second's b (a zero channel completes an odd count), per pair, per group of 4
 * values of the depth (zeros complete the last), (h0, h2, h1, h3): the int8 weights' bytes. Scratch:
 * the int16 kernels'.
 */
void tg_conv2d_rows4_pair_s8_dsp(const tg_conv2d_params_t *p, const int8_t *input, const int16_t *packed,
                                 const int32_t *bias, const int32_t *multiplier, const int8_t *shift,
                                 int8_t *scratch, int8_t *output);
void tg_conv2d_add_rows4_pair_s8_dsp(const tg_conv2d_add_params_t *p, const int8_t *input, const int8_t *skip,
                                     const int16_t *packed, const int32_t *bias, const int32_t *multiplier,
                                     const int8_t *shift, int8_t *scratch, int8_t *output);

/*
 * 3x3 stride-1 convolutions over a ring of input rows widened once each (tg_conv2d_slide_pair_s8_dsp.h): the
 * row-pair halfwords packed per pair, per kernel row, per plane of 2 channels, per tap
 * (tinygen.kernels.slide_dsp.slide_pair_weights). Scratch: tg_conv2d_slide_pair_s8_dsp_buffer_size.
 */
void tg_conv2d_slide_pair_s8_dsp(const tg_conv2d_params_t *p, const int8_t *input, const int16_t *packed,
                                 const int32_t *bias, const int32_t *multiplier, const int8_t *shift,
                                 int8_t *scratch, int8_t *output);
void tg_conv2d_add_slide_pair_s8_dsp(const tg_conv2d_add_params_t *p, const int8_t *input, const int8_t *skip,
                                     const int16_t *packed, const int32_t *bias, const int32_t *multiplier,
                                     const int8_t *shift, int8_t *scratch, int8_t *output);

/* Cortex-M4/M7 3x3 depthwise on narrow maps */

/*
 * tg_depthwise_conv2d_s8 for 3x3 windows, stride 1, dilation 1, depth multiplier 1, out_w 5,
 * in_c a multiple of 4, for the layers whose records tinygen/kernels/depthwise_narrow_dsp.py
 * packs (packed[0] == in_c): the records are all its constants. A whole output row per channel.
 * scratch: depthwise_narrow_dsp.narrow_scratch bytes, 4-byte aligned. The output may start at
 * the input (tinygen/passes/inplace.py).
 */
void tg_depthwise_conv2d_3x3_narrow_s8_dsp(const tg_conv2d_params_t *p, const int8_t *input, const int32_t *packed,
                                           int8_t *scratch, int8_t *output);

#endif /* TG_KERNELS_DSP_H */
