/*
 * tg_image_rgb565_area.c for the Cortex-M55's Helium (MVE): the same RGB565 area path, the
 * same results (bit-exact with the general path and tinygen/ref/camera.py), the same reduced
 * weights and rounding (see tg_image_rgb565_area.c for the arithmetic), with 8 pixels per
 * vector instead of 2 per word:
 *
 * - The lanes are three planes of 16-bit sums, one per channel, a lane per region pixel (the
 *   scalar path's R, G, B words per pixel pair, unzipped). A region row adds into them 8
 *   pixels at a time: one VLDRH of the packed pixels (VREV16 for RGB565BE), each channel
 *   widened to 8 bits in 2 or 3 vector instructions (VSHR or VSHL, VSRI, VMOVLB), then per
 *   channel a VLDRH, a VMLA by the row's weight and a VSTRH; the row's last 1..7 pixels are
 *   one predicated step.
 * - An output column's value is one VMLADAVA.U16 per channel: the 8 lanes from its first
 *   pixel (it spans 2 x pairs of them) against its 8 weights, zero past its pixels, laid out
 *   per column at the frame's start; then the division and the table as the scalar path.
 *
 * Scratch (the rows the general path would use, as the scalar path): the planes (3 x crop_w
 * int16), where there is room the next output row's planes, then the columns' weights
 * (8 x out_w int16) and first pixels (out_w int16).
 */
#include <arm_mve.h>
#include <stddef.h>
#include <string.h>

#include "tg_image.h"

#define TG_LANES_PER_COLUMN 8  /* the weights of one output column: one vector */

/* The columns' first pixels, after their weights. */
static uint16_t *tg_column_base(const tg_image_state *s)
{
    return (uint16_t *)s->hweights + TG_LANES_PER_COLUMN * s->target->out_w;
}

int tg_image_rgb565_area_plan(tg_image_state *s)
{
    const tg_image_target *t = s->target;
    const int32_t cw = s->frame.crop_w, ow = t->out_w, npairs = cw / 2;
    tg_image_area_shape shape;
    if (!tg_image_rgb565_area_shape(s, &shape)) {
        return 0;
    }
    const int32_t pairs = shape.pairs;
    const uint32_t scratch = (uint32_t)tg_image_get_buffer_size(t);
    const uint32_t planes = (uint32_t)(3 * cw) * 2u;
    const uint32_t columns = ((uint32_t)(ow * (TG_LANES_PER_COLUMN + 1)) * 2u + 3u) & ~3u;
    if (planes + columns > scratch) {
        return 0;
    }
    /* [planes][the next row's planes, where they fit][columns]: a column's 8-lane loads from the
       last plane read at most 6 lanes past it, into the next planes or the columns' table */
    const int32_t room = columns + 2u * planes <= scratch;
    s->lanes = (uint32_t *)s->rows[0];
    s->next = room ? (uint32_t *)((uint8_t *)s->lanes + planes) : NULL;
    s->hweights = (int32_t *)((uint8_t *)s->lanes + (room ? 2u : 1u) * planes);
    tg_image_rgb565_area_start(s, &shape);
    memset(s->lanes, 0, planes);
    uint16_t *const weights = (uint16_t *)s->hweights, *const bases = tg_column_base(s);
    for (int32_t j = 0; j < ow; j++) {
        uint16_t *hw = weights + TG_LANES_PER_COLUMN * j;
        int32_t first = (int32_t)((uint32_t)j * (uint32_t)cw / (uint32_t)ow) / 2;
        int32_t base = first < npairs - pairs ? first : npairs - pairs;
        bases[j] = (uint16_t)(2 * base);
        for (int32_t k = 0; k < TG_LANES_PER_COLUMN; k++) {
            hw[k] = (uint16_t)(k < 2 * pairs ? tg_image_rgb565_area_weight(2 * base + k, j, cw, ow, shape.gh) : 0);
        }
    }
    return 1;
}

/*
 * The R, G and B values (8 bits, their top bits repeated below) of 8 pixels x, by shift and
 * insert: after a shift puts a channel's 5 or 6 bits at the top of each lane's low byte,
 * VSRI.8 of the byte with itself fills its low bits with the channel's top bits (r5 << 3 |
 * r5 >> 2), and VMOVLB keeps the low byte where the high one holds other bits: 2 or 3
 * instructions per channel.
 */
static inline __attribute__((always_inline)) uint16x8_t tg_rgb565_red(uint16x8_t x)
{
    const uint8x16_t t = vreinterpretq_u8_u16(vshrq_n_u16(x, 8));      /* r5 << 3 | g6 >> 3; high byte 0 */
    return vreinterpretq_u16_u8(vsriq_n_u8(t, t, 5));
}

static inline __attribute__((always_inline)) uint16x8_t tg_rgb565_green(uint16x8_t x)
{
    const uint8x16_t t = vreinterpretq_u8_u16(vshrq_n_u16(x, 3));      /* g6 << 2 | b5 >> 3 */
    return vmovlbq_u8(vsriq_n_u8(t, t, 6));
}

static inline __attribute__((always_inline)) uint16x8_t tg_rgb565_blue(uint16x8_t x)
{
    const uint8x16_t t = vreinterpretq_u8_u16(vshlq_n_u16(x, 3));      /* b5 << 3 */
    return vmovlbq_u8(vsriq_n_u8(t, t, 5));
}

/* One channel's 8 values c into its plane at `plane` (+= w c) and, where split, next = w1 c. */
static inline __attribute__((always_inline)) void tg_rgb565_add(uint16x8_t c, uint16_t *plane, uint16_t w,
                                                                int32_t split, uint16_t *next, uint16_t w1)
{
    vstrhq_u16(plane, vmlaq_n_u16(vldrhq_u16(plane), c, w));
    if (split) {
        vstrhq_u16(next, vmulq_n_u16(c, w1));
    }
}

/* The same for the last 1..7 lanes (pred). */
static inline __attribute__((always_inline)) void tg_rgb565_add_p(uint16x8_t c, uint16_t *plane, uint16_t w,
                                                                  int32_t split, uint16_t *next, uint16_t w1,
                                                                  mve_pred16_t pred)
{
    vstrhq_p_u16(plane, vmlaq_n_u16(vldrhq_z_u16(plane, pred), c, w), pred);
    if (split) {
        vstrhq_p_u16(next, vmulq_n_u16(c, w1), pred);
    }
}

/* 8 packed pixels (RGB565BE: bytes swapped within each pixel). */
static inline __attribute__((always_inline)) uint16x8_t tg_rgb565_order(uint16x8_t x, int32_t big_endian)
{
    return big_endian ? vreinterpretq_u16_u8(vrev16q_u8(vreinterpretq_u8_u16(x))) : x;
}

/*
 * A region row of n pixels at p into the planes (R at planes, G at + n, B at + 2n):
 * plane += w x its channels, and where `split` (a row the output row ends inside) next = w1 x
 * them. big_endian and split are constants after inlining.
 */
static inline __attribute__((always_inline)) void tg_rgb565_planes_with(const uint8_t *p, int32_t n,
                                                                        int32_t big_endian, uint16_t w,
                                                                        uint16_t *planes, int32_t split,
                                                                        uint16_t w1, uint16_t *next)
{
    const uint16_t *px = (const uint16_t *)(const void *)p;
    uint16_t *r = planes, *g = planes + n, *b = planes + 2 * n;
    uint16_t *nr = next, *ng = next + n, *nb = next + 2 * n;
    int32_t i = 0;
    for (; i + 8 <= n; i += 8) {
        const uint16x8_t x = tg_rgb565_order(vldrhq_u16(px + i), big_endian);
        tg_rgb565_add(tg_rgb565_red(x), r + i, w, split, nr + i, w1);
        tg_rgb565_add(tg_rgb565_green(x), g + i, w, split, ng + i, w1);
        tg_rgb565_add(tg_rgb565_blue(x), b + i, w, split, nb + i, w1);
    }
    if (i < n) {
        const mve_pred16_t pred = vctp16q((uint32_t)(n - i));
        const uint16x8_t x = tg_rgb565_order(vldrhq_z_u16(px + i, pred), big_endian);
        tg_rgb565_add_p(tg_rgb565_red(x), r + i, w, split, nr + i, w1, pred);
        tg_rgb565_add_p(tg_rgb565_green(x), g + i, w, split, ng + i, w1, pred);
        tg_rgb565_add_p(tg_rgb565_blue(x), b + i, w, split, nb + i, w1, pred);
    }
}

static void tg_rgb565_pass(const uint8_t *p, int32_t n, int32_t big_endian, uint16_t w, uint16_t *planes,
                           uint16_t w1, uint16_t *next)
{
    if (next == NULL) {
        if (big_endian) {
            tg_rgb565_planes_with(p, n, 1, w, planes, 0, 0u, NULL);
        } else {
            tg_rgb565_planes_with(p, n, 0, w, planes, 0, 0u, NULL);
        }
    } else if (big_endian) {
        tg_rgb565_planes_with(p, n, 1, w, planes, 1, w1, next);
    } else {
        tg_rgb565_planes_with(p, n, 0, w, planes, 1, w1, next);
    }
}

/* Output row s->out_row from the planes: per column and channel one VMLADAVA. */
static void tg_rgb565_emit(tg_image_state *s)
{
    const int32_t ow = s->target->out_w, n = s->frame.crop_w;
    int8_t *out = s->sink != NULL ? s->sink(s->sink_ctx, s->out_row) : s->out + s->out_row * ow * 3;
    if (out != NULL) {
        const int8_t *const lut_r = s->target->lut, *const lut_g = lut_r + 256, *const lut_b = lut_r + 512;
        const uint16_t *const r_plane = (const uint16_t *)s->lanes, *const g_plane = r_plane + n;
        const uint16_t *const b_plane = g_plane + n;
        const uint16_t *hw = (const uint16_t *)s->hweights, *const bases = tg_column_base(s);
        const uint32_t div = s->divisor2, round = (uint32_t)s->round;
        for (int32_t j = 0; j < ow; j++, out += 3, hw += TG_LANES_PER_COLUMN) {
            /* lanes past the column's 2 x pairs meet zero weights (read in bounds: see the plan) */
            const uint16x8_t w = vldrhq_u16(hw);
            const int32_t base = bases[j];
            out[0] = lut_r[vmladavaq_u16(round, vldrhq_u16(r_plane + base), w) / div];
            out[1] = lut_g[vmladavaq_u16(round, vldrhq_u16(g_plane + base), w) / div];
            out[2] = lut_b[vmladavaq_u16(round, vldrhq_u16(b_plane + base), w) / div];
        }
    }
    s->out_row++;
}

void tg_image_rgb565_area_row(tg_image_state *s, const uint8_t *row)
{
    const tg_image_frame *f = &s->frame;
    const int32_t out_h = s->target->out_h, n = f->crop_w;
    const uint8_t *p = row + 2 * f->crop_x;
    const int32_t be = f->format == TG_IMAGE_RGB565BE;
    const uint16_t full = (uint16_t)((uint32_t)out_h / s->vunit);
    const int32_t end = s->vpos + out_h; /* the row covers [vpos, end) in 1/(crop_h out_h) units */
    uint16_t *planes = (uint16_t *)s->lanes;
    if (end < s->vbound) {
        tg_rgb565_pass(p, n, be, full, planes, 0u, NULL);
    } else {
        /* the output row ends inside this row: finish it, start the next with the rest */
        const uint16_t w0 = (uint16_t)((uint32_t)(s->vbound - s->vpos) / s->vunit);
        const uint16_t w1 = (uint16_t)((uint32_t)(end - s->vbound) / s->vunit);
        if (w1 != 0u && s->next != NULL) { /* both in one pass, then the next row's planes are the current */
            uint32_t *next = s->next;
            tg_rgb565_pass(p, n, be, w0, planes, w1, (uint16_t *)next);
            tg_rgb565_emit(s);
            s->next = s->lanes;
            s->lanes = next;
        } else {
            tg_rgb565_pass(p, n, be, w0, planes, 0u, NULL);
            tg_rgb565_emit(s);
            memset(planes, 0, (size_t)(3 * n) * sizeof(uint16_t));
            if (w1 != 0u) {
                tg_rgb565_pass(p, n, be, w1, planes, 0u, NULL);
            }
        }
        s->vbound += f->crop_h;
    }
    s->vpos = end;
}
