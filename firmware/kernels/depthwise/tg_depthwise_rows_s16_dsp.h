/*
 * tg_depthwise_rows_s16_dsp.h: the ring rows of the 16x8 depthwise DSP kernels that read a window
 * row as column pairs (tg_depthwise_conv2d_3x3_s16_dsp, tg_depthwise_conv2d_rows_s16_dsp): an
 * input row rearranged per channel into words of two neighbouring padded columns, so that one
 * SMLAD multiplies two taps of a kernel row.
 */
#ifndef TG_DEPTHWISE_ROWS_S16_DSP_H
#define TG_DEPTHWISE_ROWS_S16_DSP_H

#include <stdint.h>
#include <string.h>

#include "tg_dsp_s8.h"
#include "tg_mat_mult_s16_dsp.h"

/* lo and hi as the bottom and top int16 halves of a word */
static inline int32_t tg_dw_rows_pack(int32_t lo, int32_t hi)
{
    return (int32_t)(((uint32_t)lo & 0xFFFFu) | ((uint32_t)hi << 16));
}

/*
 * Input row src (channel 0 of its column 0; NULL: a padding row) into ring row dst: word
 * c * kp + k holds channel c at padded columns 2k (bottom) and 2k + 1 (top), padded column j being
 * input column j - pad_left, 0 outside the input.
 */
static inline void tg_dw_rows_gather(const int16_t *src, int32_t in_w, int32_t pad_left, int32_t channels,
                                     int32_t kp, int32_t *dst)
{
    int32_t k, c;
    if (src == NULL) {
        memset(dst, 0, (size_t)(channels * kp) * sizeof *dst);
        return;
    }
    for (k = 0; k < kp; ++k) {
        const int32_t j0 = 2 * k - pad_left;
        const int32_t in0 = j0 >= 0 && j0 < in_w, in1 = j0 + 1 >= 0 && j0 + 1 < in_w;
        int32_t *const d = dst + k;
        if (in0 && in1) {
            const int16_t *const x0 = src + j0 * channels, *const x1 = x0 + channels;
#pragma GCC unroll 4
            for (c = 0; c + 2 <= channels; c += 2) {
                const int32_t a = tg_s16_load_pair(x0 + c), b = tg_s16_load_pair(x1 + c);
                d[c * kp] = tg_dsp_pkhbt(a, b);
                d[(c + 1) * kp] = tg_dsp_pkhtb(b, a);
            }
            if (c < channels) {
                d[c * kp] = tg_dw_rows_pack(x0[c], x1[c]);
            }
        } else {
            for (c = 0; c < channels; ++c) {
                d[c * kp] = tg_dw_rows_pack(in0 ? src[j0 * channels + c] : 0, in1 ? src[(j0 + 1) * channels + c] : 0);
            }
        }
    }
}

#endif /* TG_DEPTHWISE_ROWS_S16_DSP_H */
