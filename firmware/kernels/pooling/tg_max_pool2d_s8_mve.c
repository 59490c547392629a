/*
 * tg_max_pool2d_s8_mve: max pooling, int8, for Helium (Armv8.1-M MVE, Cortex-M55). Equals
 * tg_max_pool2d_s8 bit for bit (TFLite's reference MaxPool: the maximum over the in-bounds
 * elements, padding never wins, then the clamp); numpy twin: tinygen.ref.kernels.max_pool2d_s8.
 *
 * NHWC keeps a pixel's channels contiguous: per output pixel, 16 channels at a time, each
 * in-bounds window pixel is one VLDRB.8 and one VMAX.S8 (the channels past a multiple of 16
 * predicated: VCTP.8); the clamp is two more, the store one.
 */
#include <arm_mve.h>
#include <stdint.h>

#include "tg_kernels.h"

void tg_max_pool2d_s8_mve(const tg_pool2d_params_t *p, const int8_t *input, int8_t *output)
{
    const int32_t channels = p->channels;
    const int32_t row_step = p->in_w * channels;
    const int8x16_t lo = vdupq_n_s8((int8_t)p->act_min), hi = vdupq_n_s8((int8_t)p->act_max);
    for (int32_t oy = 0; oy < p->out_h; ++oy) {
        const int32_t y0 = oy * p->stride_h - p->pad_top;
        /* the window rows that fall inside the input */
        const int32_t ky0 = y0 < 0 ? -y0 : 0;
        const int32_t ky1 = p->in_h - y0 < p->kernel_h ? p->in_h - y0 : p->kernel_h;
        for (int32_t ox = 0; ox < p->out_w; ++ox, output += channels) {
            const int32_t x0 = ox * p->stride_w - p->pad_left;
            const int32_t kx0 = x0 < 0 ? -x0 : 0;
            const int32_t kx1 = p->in_w - x0 < p->kernel_w ? p->in_w - x0 : p->kernel_w;
            const int8_t *first = input + (y0 + ky0) * row_step + (x0 + kx0) * channels;
            for (int32_t c = 0; c < channels; c += 16) {
                const mve_pred16_t pred = vctp8q((uint32_t)(channels - c));
                int8x16_t m = vdupq_n_s8(INT8_MIN);
                const int8_t *row = first + c;
                for (int32_t ky = ky0; ky < ky1; ++ky, row += row_step) {
                    const int8_t *x = row;
                    if (channels - c >= 16) {
                        for (int32_t kx = kx0; kx < kx1; ++kx, x += channels) {
                            m = vmaxq_s8(m, vldrbq_s8(x));
                        }
                    } else {
                        for (int32_t kx = kx0; kx < kx1; ++kx, x += channels) {
                            m = vmaxq_s8(m, vldrbq_z_s8(x, pred));
                        }
                    }
                }
                vstrbq_p_s8(output + c, vminq_s8(vmaxq_s8(m, lo), hi), pred);
            }
        }
    }
}
