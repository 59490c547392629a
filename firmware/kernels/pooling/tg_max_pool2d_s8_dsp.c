/*
 * tg_max_pool2d_s8_dsp: max pooling, int8, for ARMv7E-M (Cortex-M4/M7 DSP extension):
 * 4 channels per step, the maximum of each byte lane by SSUB8 (a GE flag per byte where
 * the first operand is at least the second) and SEL (each byte from the operand its flag
 * picks): 1 LDR, 1 SSUB8 and 1 SEL per window element for 4 channels. The window's
 * in-bounds elements only (padding never wins), starting from -128, then clamped to
 * [act_min, act_max] the same way. Channels after the last multiple of 4 one at a time.
 * Equals tg_max_pool2d_s8 bit for bit. numpy twin: tinygen.ref.kernels.max_pool2d_s8.
 *
 * Needs __ARM_FEATURE_DSP (-mcpu=cortex-m4 / cortex-m7).
 */
#include <arm_acle.h>
#include <stdint.h>
#include <string.h>

#include "tg_dsp_s8.h"
#include "tg_kernels.h"

/* The larger of a and b in each of the 4 signed byte lanes. */
static inline int32_t tg_max_s8x4(int32_t a, int32_t b)
{
    (void)__ssub8((int8x4_t)a, (int8x4_t)b);
    return (int32_t)__sel((uint8x4_t)a, (uint8x4_t)b);
}

/* The smaller of a and b in each of the 4 signed byte lanes (GE where b >= a: a there). */
static inline int32_t tg_min_s8x4(int32_t a, int32_t b)
{
    (void)__ssub8((int8x4_t)b, (int8x4_t)a);
    return (int32_t)__sel((uint8x4_t)a, (uint8x4_t)b);
}

void tg_max_pool2d_s8_dsp(const tg_pool2d_params_t *p, const int8_t *input, int8_t *output)
{
    /* local copies: an int8 store may alias any field of *p */
    const int32_t channels = p->channels, in_w = p->in_w, whole = channels & ~3;
    const int32_t lo4 = (int32_t)((uint32_t)(p->act_min & 0xFF) * 0x01010101u);
    const int32_t hi4 = (int32_t)((uint32_t)(p->act_max & 0xFF) * 0x01010101u);
    const int32_t act_min = p->act_min, act_max = p->act_max;
    int32_t out_y, out_x, c, ky, kx;
    int8_t *out = output;

    for (out_y = 0; out_y < p->out_h; ++out_y) {
        const int32_t y0 = out_y * p->stride_h - p->pad_top;
        const int32_t ky_start = y0 < 0 ? -y0 : 0;
        const int32_t ky_end = p->in_h - y0 < p->kernel_h ? p->in_h - y0 : p->kernel_h;
        for (out_x = 0; out_x < p->out_w; ++out_x, out += channels) {
            const int32_t x0 = out_x * p->stride_w - p->pad_left;
            const int32_t kx_start = x0 < 0 ? -x0 : 0;
            const int32_t kx_end = in_w - x0 < p->kernel_w ? in_w - x0 : p->kernel_w;
            const int8_t *const window = input + ((y0 + ky_start) * in_w + x0 + kx_start) * channels;
            const int32_t cols = kx_end - kx_start;
            for (c = 0; c < whole; c += 4) {
                const int8_t *row = window + c;
                int32_t m = (int32_t)0x80808080u;
                for (ky = ky_start; ky < ky_end; ++ky, row += in_w * channels) {
                    for (kx = 0; kx < cols; ++kx) {
                        m = tg_max_s8x4(m, tg_dsp_load_s8x4(row + kx * channels));
                    }
                }
                m = tg_max_s8x4(m, lo4);
                m = tg_min_s8x4(m, hi4);
                memcpy(out + c, &m, sizeof m);
            }
            for (; c < channels; ++c) {         /* the channels after the last block of 4 */
                const int8_t *row = window + c;
                int32_t m = INT8_MIN;
                for (ky = ky_start; ky < ky_end; ++ky, row += in_w * channels) {
                    for (kx = 0; kx < cols; ++kx) {
                        m = row[kx * channels] > m ? row[kx * channels] : m;
                    }
                }
                m = m < act_min ? act_min : m;
                out[c] = (int8_t)(m > act_max ? act_max : m);
            }
        }
    }
}
