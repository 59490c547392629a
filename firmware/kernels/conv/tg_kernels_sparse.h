/*
 * tg_kernels_sparse.h: the connection-sparse pointwise convolution (tg_conv2d_sparse_s8.c): per output channel
 * the list of its nonzero weights and their input channels, built at compile time by
 * tinygen/ref/sparse.py (sparse_records). Chosen by the compiler only below the weight
 * density where it measured faster than the dense kernel (tinygen/kernels/table.py,
 * SPARSE_BREAK_EVEN; benchmarks/pruning.py).
 */
#ifndef TG_KERNELS_SPARSE_H
#define TG_KERNELS_SPARSE_H

#include <stdint.h>

#include "tg_kernels.h"

/*
 * 1x1 convolution, stride 1, no padding (out_h == in_h, out_w == in_w).
 * input: int8 [in_h][in_w][in_c]; output: int8 [out_h][out_w][out_c].
 * packed: int16, per output channel: n, then n pairs (input channel, weight), the
 * channels ascending in [0, in_c), the weights nonzero in [-127, 127].
 * bias (may be NULL), multiplier, shift: [out_c].
 */
void tg_conv2d_sparse_s8(const tg_conv2d_params_t *p, const int8_t *input,
                         const int16_t *packed, const int32_t *bias,
                         const int32_t *multiplier, const int8_t *shift,
                         int8_t *output);

#endif /* TG_KERNELS_SPARSE_H */
