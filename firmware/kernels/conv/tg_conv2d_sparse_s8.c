/*
 * tg_conv2d_sparse_s8: pointwise (1x1, stride 1, no padding) int8 convolution whose
 * output channels each read only their own subset of the input channels (connection
 * sparsity: the other weights of the filter are zero), walking a per-channel list of
 * the kept input channels built at compile time. Equal to tg_conv2d_s8 on such a layer.
 *
 * packed: int16, per output channel o in order: n_o, then n_o pairs (c, w): the input
 * channel and the weight of each nonzero weight of the filter (c ascending); see
 * tinygen/ref/sparse.py (sparse_records builds it; conv2d_sparse_s8 is the numpy twin).
 * bias (may be NULL), multiplier, shift: [out_c].
 */
#include <stddef.h>

#include "tg_kernels_sparse.h"
#include "tg_kernels.h"
#include "tg_requant.h"

void tg_conv2d_sparse_s8(const tg_conv2d_params_t *p, const int8_t *input,
                         const int16_t *packed, const int32_t *bias,
                         const int32_t *multiplier, const int8_t *shift,
                         int8_t *output)
{
    const int32_t pixels = p->out_h * p->out_w;
    int32_t px, o, k;

    for (px = 0; px < pixels; ++px) {
        const int8_t *x = &input[px * p->in_c];
        int8_t *out = &output[px * p->out_c];
        const int16_t *e = packed;
        for (o = 0; o < p->out_c; ++o) {
            const int32_t n = *e++;
            int32_t acc = 0;
            for (k = 0; k < n; ++k, e += 2) {
                acc += (int32_t)e[1] * ((int32_t)x[e[0]] + p->input_offset);
            }
            if (bias != NULL) {
                acc += bias[o];
            }
            acc = tg_requantize(acc, multiplier[o], shift[o]) + p->output_offset;
            acc = acc < p->act_min ? p->act_min : acc;
            acc = acc > p->act_max ? p->act_max : acc;
            out[o] = (int8_t)acc;
        }
    }
}
