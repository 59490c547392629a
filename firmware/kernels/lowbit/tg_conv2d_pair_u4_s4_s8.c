/*
 * tg_conv2d_pair_u4_s4_s8: tg_conv2d_u4_s4_s8's function over pixel pairs and channel pairs,
 * the requantization folded into per-channel records (tg_kernels_pair.h, tg_conv2d_pair.h).
 * numpy twin: tinygen.ref.subbyte.conv2d_u4_s4_s8 (the constant from
 * tinygen.kernels.pair_u4.pack_pair_u4).
 */
#include "tg_conv2d_pair.h"
#include "tg_kernels_pair.h"

void tg_conv2d_pair_u4_s4_s8(const tg_conv2d_packed_params_t *p, const int8_t *input, const uint32_t *packed,
                             int8_t *scratch, int8_t *output)
{
    tg_conv2d_pair(p, input, packed, scratch, output, tg_pair_dot_u4, tg_pair_scale, tg_pair_walk_u4);
}
