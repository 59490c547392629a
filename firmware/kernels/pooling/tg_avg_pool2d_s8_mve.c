/*
 * tg_avg_pool2d_s8_mve: average pooling, int8, for Helium (Armv8.1-M MVE, Cortex-M55). Equals
 * tg_avg_pool2d_s8 bit for bit (TFLite's reference AveragePool, and PyTorch's
 * count_include_pad); numpy twin: tinygen.ref.kernels.avg_pool2d_s8.
 *
 * Per output pixel, 16 channels at a time (the channels past a multiple of 16 predicated):
 * each in-bounds window pixel is two VLDRB.S16 and two VADD.I16 into int16 lanes, which 256
 * pixels cannot overflow (256 * -128 = -32768); every 256 pixels and at the end the lanes
 * are widened (VMOVLB / VMOVLT: even and odd channels) into int32 sums. A window whose rows
 * are adjacent in memory (a global pool) is one run of pixels.
 *
 * The division by the count rounds halves away from zero, as TFLite's does: the magnitude
 * plus count / 2, times m = ceil(2^32 / count) keeping the high word (VMULH.U32), is the
 * quotient rounded down while (|sum| + count / 2) * (m * count - 2^32) < 2^32, which holds
 * for |sum| <= 128 * count and counts up to 5,780 (tinygen/kernels/mve_table.py takes no
 * larger window); the sign put back (VNEG, VPSEL). Count 1 divides by nothing.
 */
#include <arm_mve.h>
#include <stdint.h>

#include "tg_kernels.h"

#define TG_AP_MVE_LANE_PIXELS 256

/* 8 channels' int32 sums (even channels in e, odd in o) divided by count (m its reciprocal,
 * half its half), clamped, as int16 lanes in channel order. */
static inline int16x8_t tg_ap_mve_divide(int32x4_t e, int32x4_t o, int32_t count, uint32_t m, int32_t half,
                                         int16x8_t lo, int16x8_t hi)
{
    if (count > 1) {
        const uint32x4_t qe = vmulhq_u32(vreinterpretq_u32_s32(vaddq_n_s32(vabsq_s32(e), half)), vdupq_n_u32(m));
        const uint32x4_t qo = vmulhq_u32(vreinterpretq_u32_s32(vaddq_n_s32(vabsq_s32(o), half)), vdupq_n_u32(m));
        const int32x4_t se = vreinterpretq_s32_u32(qe), so = vreinterpretq_s32_u32(qo);
        e = vpselq_s32(vnegq_s32(se), se, vcmpltq_n_s32(e, 0));
        o = vpselq_s32(vnegq_s32(so), so, vcmpltq_n_s32(o, 0));
    }
    /* the averages are within int8's range: no saturation narrowing to int16 */
    const int16x8_t avg = vmovntq_s32(vmovnbq_s32(vdupq_n_s16(0), e), o);
    return vminq_s16(vmaxq_s16(avg, lo), hi);
}

/* The int16 lanes a (channels c .. c + 7) and b (c + 8 .. c + 15) of one window's sums. */
typedef struct {
    int16x8_t a, b;
    int32x4_t ae, ao, be, bo;       /* the int32 sums: even and odd channels of a and b */
} tg_ap_mve_sums_t;

static inline void tg_ap_mve_flush(tg_ap_mve_sums_t *s)
{
    s->ae = vaddq_s32(s->ae, vmovlbq_s16(s->a));
    s->ao = vaddq_s32(s->ao, vmovltq_s16(s->a));
    s->be = vaddq_s32(s->be, vmovlbq_s16(s->b));
    s->bo = vaddq_s32(s->bo, vmovltq_s16(s->b));
    s->a = s->b = vdupq_n_s16(0);
}

/* n pixels from x on (channels bytes apart) added to the int16 lanes: 16 channels
 * unpredicated where full, else the lanes of pa and pb. */
static inline void tg_ap_mve_add(tg_ap_mve_sums_t *s, const int8_t *x, int32_t n, int32_t channels,
                                 mve_pred16_t pa, mve_pred16_t pb, int full)
{
    int16x8_t a = s->a, b = s->b;
    if (full) {
        for (int32_t k = 0; k < n; ++k, x += channels) {
            a = vaddq_s16(a, vldrbq_s16(x));
            b = vaddq_s16(b, vldrbq_s16(x + 8));
        }
    } else {
        for (int32_t k = 0; k < n; ++k, x += channels) {
            a = vaddq_s16(a, vldrbq_z_s16(x, pa));
            b = vaddq_s16(b, vldrbq_z_s16(x + 8, pb));
        }
    }
    s->a = a;
    s->b = b;
}

void tg_avg_pool2d_s8_mve(const tg_pool2d_params_t *p, const int8_t *input, int8_t *output)
{
    const int32_t channels = p->channels;
    const int32_t row_step = p->in_w * channels;
    const int16x8_t lo = vdupq_n_s16((int16_t)p->act_min), hi = vdupq_n_s16((int16_t)p->act_max);
    for (int32_t oy = 0; oy < p->out_h; ++oy) {
        const int32_t y0 = oy * p->stride_h - p->pad_top;
        const int32_t ky0 = y0 < 0 ? -y0 : 0;
        const int32_t ky1 = p->in_h - y0 < p->kernel_h ? p->in_h - y0 : p->kernel_h;
        for (int32_t ox = 0; ox < p->out_w; ++ox, output += channels) {
            const int32_t x0 = ox * p->stride_w - p->pad_left;
            const int32_t kx0 = x0 < 0 ? -x0 : 0;
            const int32_t kx1 = p->in_w - x0 < p->kernel_w ? p->in_w - x0 : p->kernel_w;
            int32_t rows = ky1 - ky0, cols = kx1 - kx0;
            int32_t count = rows * cols, extra = 0;
            if (p->count_include_pad) {
                /* every out-of-bounds position holds the zero point */
                extra = (p->kernel_h * p->kernel_w - count) * p->zero_point;
                count = p->kernel_h * p->kernel_w;
            }
            const uint32_t m = count > 1 ? 0xFFFFFFFFu / (uint32_t)count + 1u : 0u;
            if (cols * channels == row_step) {      /* whole rows: one run */
                cols *= rows;
                rows = 1;
            }
            const int8_t *first = input + (y0 + ky0) * row_step + (x0 + kx0) * channels;
            for (int32_t c = 0; c < channels; c += 16) {
                const int full = channels - c >= 16;
                const mve_pred16_t pa = vctp16q((uint32_t)(channels - c));
                const mve_pred16_t pb = vctp16q((uint32_t)(channels - c > 8 ? channels - c - 8 : 0));
                tg_ap_mve_sums_t s = {vdupq_n_s16(0), vdupq_n_s16(0), vdupq_n_s32(extra), vdupq_n_s32(0),
                                      vdupq_n_s32(extra), vdupq_n_s32(0)};
                s.ao = s.ae;
                s.bo = s.be;
                int32_t pending = 0;        /* pixels in the int16 lanes */
                const int8_t *row = first + c;
                for (int32_t r = 0; r < rows; ++r, row += row_step) {
                    for (int32_t k = 0; k < cols;) {
                        if (pending == TG_AP_MVE_LANE_PIXELS) {
                            tg_ap_mve_flush(&s);
                            pending = 0;
                        }
                        const int32_t room = TG_AP_MVE_LANE_PIXELS - pending;
                        const int32_t n = cols - k < room ? cols - k : room;
                        tg_ap_mve_add(&s, row + k * channels, n, channels, pa, pb, full);
                        pending += n;
                        k += n;
                    }
                }
                tg_ap_mve_flush(&s);
                vstrbq_p_s16(output + c, tg_ap_mve_divide(s.ae, s.ao, count, m, count / 2, lo, hi), pa);
                vstrbq_p_s16(output + c + 8, tg_ap_mve_divide(s.be, s.bo, count, m, count / 2, lo, hi), pb);
            }
        }
    }
}
