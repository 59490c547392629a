/*
 * The layer as one sequence, shared by tg_depthwise_conv2d_kx1_s8_dsp (the widened path)
 * and tg_depthwise_conv2d_kx1_raw_s8_dsp (the raw paths), included by their files only.
 */
#ifndef TG_DEPTHWISE_CONV2D_KX1_S8_DSP_H
#define TG_DEPTHWISE_CONV2D_KX1_S8_DSP_H

#include <stdint.h>

#include "tg_kernels.h"

/* The layer as one sequence (tinygen/kernels/depthwise_kx1_dsp.py: kx1_geometry). */
typedef struct {
    int32_t len, kernel, stride, dilation, pad, out;
} tg_dw_kx1_geom_t;

static inline void tg_dw_kx1_geometry(const tg_conv2d_params_t *p, tg_dw_kx1_geom_t *g)
{
    if (p->kernel_w == 1 && p->in_w == 1) {     /* k x 1 over width 1 */
        g->len = p->in_h; g->kernel = p->kernel_h; g->stride = p->stride_h;
        g->dilation = p->dilation_h; g->pad = p->pad_top; g->out = p->out_h;
    } else {                                    /* 1 x k over height 1 */
        g->len = p->in_w; g->kernel = p->kernel_w; g->stride = p->stride_w;
        g->dilation = p->dilation_w; g->pad = p->pad_left; g->out = p->out_w;
    }
}

/*
 * Words per phase: the padded sequence (the last output's last tap + 1 positions) split
 * into d phases, plus what the last word pair reads past a phase's end (the zero tap
 * of W or W', and a whole zero pair of W for even kernels).
 */
static inline int32_t tg_dw_kx1_phase_words(const tg_dw_kx1_geom_t *g)
{
    const int32_t padded = g->stride * (g->out - 1) + (g->kernel - 1) * g->dilation + 1;
    const int32_t phase_len = (padded + g->dilation - 1) / g->dilation;
    return (phase_len + 3) / 2;
}

#endif
