/*
 * The planar area path (tg_image.h) for the Cortex-M55's Helium (MVE): YUYV and gray frames
 * shrunk along both axes, bit-exact with the general path (tinygen/ref/camera.py), with the
 * RGB565 area path's reduced weights and rounding (tg_image_rgb565_area.c argues them):
 *
 * - Each channel the model takes from the frame has a plane of 16-bit sums along the height, a
 *   lane per region pixel: YUYV for an RGB model R, G and B; else one plane (a gray frame, whose
 *   R = G = B for an RGB model, or YUYV's luma for a gray model). A region row adds into them 8
 *   pixels at a time, the row's last 1..7 in one predicated step: a widening VLDRB of 8 gray
 *   bytes, or a VLDRH of 8 YUYV pixels (Y in each lane's low byte, its pair's U or V in the high
 *   one): Y by VMOVLB, each pair's U and V in both its lanes by a VSLI and a VSRI of the high
 *   bytes as 32-bit pair words (a YUYV region starting at an odd column gets one lane before it,
 *   so that pairs share a word; no column weighs it).
 * - YUV to RGB in 16-bit lanes: with l = 42 C + 128 (C = Y - 16, D = U - 128, E = V - 128),
 *   tg_image.h's formula is, as 298 = 256 + 42, 409 = 256 + 153, 516 = 512 + 4, 208 = 256 - 48,
 *       R = C + E + ((l + 153 E) >> 8)         G = C - E + ((l - 100 D + 48 E) >> 8)
 *       B = C + 2 D + ((l + 4 D) >> 8)         gray = C + (l >> 8)
 *   (an arithmetic shift: floor; adding a multiple of 256 commutes with it), each shifted term
 *   within -20128 .. 29597, an int16 (tests/vision/test_camera_planar_mve.py checks every Y, U,
 *   V); the clamp to 0..255 is VQSHLU #8 (negative to 0, beyond 255 to the top) and a shift back.
 * - An output column's value: per plane one VMLADAVA.U16 of the 8 lanes from the column's first
 *   pixel against its 8 weights (zero past its pixels, so lanes past a plane's end read the
 *   scratch after it harmlessly), then the division and the table as the RGB565 path. The
 *   weights repeat every period = out_w / gcd(crop_w, out_w) columns, crop_w / gcd pixels on:
 *   the table holds one period's.
 *
 * Scratch (the rows the general path would use): the planes (n = crop_w + lead lanes each),
 * where there is room the next output row's planes, then one period's weights (8 int16 per
 * column) and every column's first lane (one int16 each).
 */
#include <arm_mve.h>
#include <stddef.h>
#include <string.h>

#include "tg_image.h"

#define TG_LANES_PER_COLUMN 8   /* the weights of one output column: one vector */
#define TG_PLANAR_MAX_TV 257    /* 255 x 257 < 2^16: a lane's sum fits its uint16 */

/* What a region row turns into (a constant after inlining). */
#define TG_PLANAR_GRAY 0        /* gray bytes: one plane */
#define TG_PLANAR_LUMA 1        /* YUYV's luma converted, for a gray model: one plane */
#define TG_PLANAR_RGB 2         /* YUYV to R, G and B: three planes */

static int32_t tg_planar_kind(const tg_image_state *s)
{
    if (s->frame.format == TG_IMAGE_GRAY) {
        return TG_PLANAR_GRAY;
    }
    return s->target->channels == 3 ? TG_PLANAR_RGB : TG_PLANAR_LUMA;
}

/* Lanes before the region's first pixel: 1 for a YUYV region starting at an odd column. */
static int32_t tg_planar_lead(const tg_image_frame *f)
{
    return f->format == TG_IMAGE_YUYV ? f->crop_x & 1 : 0;
}

/* acc + w x c into a plane (the last step: pred's lanes), and where split next = w1 x c. */
static inline __attribute__((always_inline)) void tg_planar_add(uint16x8_t c, uint16_t *plane, uint16_t w,
                                                                int32_t split, uint16_t *next, uint16_t w1,
                                                                int32_t tail, mve_pred16_t pred)
{
    if (tail) {
        vstrhq_p_u16(plane, vmlaq_n_u16(vldrhq_z_u16(plane, pred), c, w), pred);
        if (split) {
            vstrhq_p_u16(next, vmulq_n_u16(c, w1), pred);
        }
    } else {
        vstrhq_u16(plane, vmlaq_n_u16(vldrhq_u16(plane), c, w));
        if (split) {
            vstrhq_u16(next, vmulq_n_u16(c, w1));
        }
    }
}

/* A channel: base + (term >> 8), clamped to 0..255. */
static inline __attribute__((always_inline)) uint16x8_t tg_planar_channel(int16x8_t base, int16x8_t term)
{
    return vshrq_n_u16(vqshluq_n_s16(vaddq_s16(base, vshrq_n_s16(term, 8)), 8), 8);
}

/*
 * Lanes i .. i + 7 of a region row (src: its first lane's pixel) into the planes (stride n
 * lanes); the last step (tail) only pred's lanes. kind, split and tail are constants after
 * inlining.
 */
static inline __attribute__((always_inline)) void tg_planar_step(const uint8_t *src, int32_t i, int32_t n,
                                                                 int32_t kind, uint16_t w, uint16_t *planes,
                                                                 int32_t split, uint16_t w1, uint16_t *next,
                                                                 int32_t tail, mve_pred16_t pred)
{
    if (kind == TG_PLANAR_GRAY) {
        const uint16x8_t g = tail ? vldrbq_z_u16(src + i, pred) : vldrbq_u16(src + i);
        tg_planar_add(g, planes + i, w, split, next + i, w1, tail, pred);
        return;
    }
    /* the last step loads whole pairs: a pair's V is in its odd lane (in the row: YUYV widths are even) */
    const uint16_t *px = (const uint16_t *)(const void *)src + i;
    const uint16x8_t h = tail ? vldrhq_z_u16(px, vctp16q((uint32_t)((n - i + 1) & ~1))) : vldrhq_u16(px);
    const int16x8_t y = vreinterpretq_s16_u16(vmovlbq_u8(vreinterpretq_u8_u16(h)));
    if (kind == TG_PLANAR_LUMA) { /* C + ((42 C + 128) >> 8) = Y + ((42 Y - 544 - 16 x 256) >> 8) */
        tg_planar_add(tg_planar_channel(y, vaddq_n_s16(vmulq_n_s16(y, 42), -4640)), planes + i, w, split,
                      next + i, w1, tail, pred);
        return;
    }
    /* D = U - 128 and E = V - 128: the high bytes less 128 (D in even lanes, E in odd), each pair's in both lanes */
    const uint32x4_t de = vreinterpretq_u32_s16(vsubq_n_s16(vreinterpretq_s16_u16(vshrq_n_u16(h, 8)), 128));
    const int16x8_t e = vreinterpretq_s16_u32(vsriq_n_u32(de, de, 16));
    const int16x8_t d = vreinterpretq_s16_u32(vsliq_n_u32(de, de, 16));
    const int16x8_t cy = vsubq_n_s16(y, 16);                              /* C */
    const int16x8_t l = vaddq_n_s16(vmulq_n_s16(cy, 42), 128);            /* 42 C + 128 */
    const uint16x8_t r = tg_planar_channel(vaddq_s16(cy, e), vaddq_s16(l, vmulq_n_s16(e, 153)));
    tg_planar_add(r, planes + i, w, split, next + i, w1, tail, pred);
    const uint16x8_t g = tg_planar_channel(vsubq_s16(cy, e), vaddq_s16(l, vmlaq_n_s16(vmulq_n_s16(e, 48), d, -100)));
    tg_planar_add(g, planes + n + i, w, split, next + n + i, w1, tail, pred);
    const uint16x8_t b = tg_planar_channel(vmlaq_n_s16(cy, d, 2), vaddq_s16(l, vshlq_n_s16(d, 2)));
    tg_planar_add(b, planes + 2 * n + i, w, split, next + 2 * n + i, w1, tail, pred);
}

/* A region row of n lanes at src into the planes (+= w x its channels), and where split next = w1 x them. */
static inline __attribute__((always_inline)) void tg_planar_row_with(const uint8_t *src, int32_t n, int32_t kind,
                                                                     uint16_t w, uint16_t *planes, int32_t split,
                                                                     uint16_t w1, uint16_t *next)
{
    int32_t i = 0;
    for (; i + 8 <= n; i += 8) {
        tg_planar_step(src, i, n, kind, w, planes, split, w1, next, 0, 0xFFFFu);
    }
    if (i < n) {
        tg_planar_step(src, i, n, kind, w, planes, split, w1, next, 1, vctp16q((uint32_t)(n - i)));
    }
}

static void tg_planar_pass(const tg_image_state *s, const uint8_t *src, int32_t n, uint16_t w, uint16_t *planes,
                           uint16_t w1, uint16_t *next)
{
    const int32_t kind = tg_planar_kind(s);
    if (next == NULL) {
        switch (kind) {
        case TG_PLANAR_GRAY: tg_planar_row_with(src, n, TG_PLANAR_GRAY, w, planes, 0, 0u, planes); break;
        case TG_PLANAR_LUMA: tg_planar_row_with(src, n, TG_PLANAR_LUMA, w, planes, 0, 0u, planes); break;
        default: tg_planar_row_with(src, n, TG_PLANAR_RGB, w, planes, 0, 0u, planes); break;
        }
    } else {
        switch (kind) {
        case TG_PLANAR_GRAY: tg_planar_row_with(src, n, TG_PLANAR_GRAY, w, planes, 1, w1, next); break;
        case TG_PLANAR_LUMA: tg_planar_row_with(src, n, TG_PLANAR_LUMA, w, planes, 1, w1, next); break;
        default: tg_planar_row_with(src, n, TG_PLANAR_RGB, w, planes, 1, w1, next); break;
        }
    }
}

/*
 * Output row s->out_row's values to out from the planes: per column and plane one VMLADAVA.
 * planes (3: R, G, B; 1) and channels (the model's) are constants after inlining.
 */
static inline __attribute__((always_inline)) void tg_planar_emit_with(const tg_image_state *s, int8_t *out,
                                                                      int32_t planes, int32_t channels)
{
    const tg_image_frame *f = &s->frame;
    const int32_t ow = s->target->out_w, n = f->crop_w + tg_planar_lead(f);
    const uint16_t *const weights = (const uint16_t *)s->hweights;
    const uint16_t *const period_end = weights + TG_LANES_PER_COLUMN * s->pairs, *firsts = period_end;
    const int8_t *const lut_r = s->target->lut, *const lut_g = lut_r + 256, *const lut_b = lut_r + 512;
    const uint32_t div = s->divisor2, round = (uint32_t)s->round;
    const uint16_t *const plane = (const uint16_t *)s->lanes;
    const uint16_t *hw = weights;
    for (int8_t *const end = out + ow * channels; out != end; out += channels) {
        const uint16x8_t wv = vldrhq_u16(hw);
        hw += TG_LANES_PER_COLUMN;
        if (hw == period_end) {
            hw = weights;
        }
        const uint16_t *l = plane + *firsts++;
        const uint32_t v = vmladavaq_u16(round, vldrhq_u16(l), wv) / div;
        if (planes == 3) {
            out[0] = lut_r[v];
            out[1] = lut_g[vmladavaq_u16(round, vldrhq_u16(l + n), wv) / div];
            out[2] = lut_b[vmladavaq_u16(round, vldrhq_u16(l + 2 * n), wv) / div];
        } else if (channels == 3) { /* a gray frame for an RGB model: R = G = B */
            out[0] = lut_r[v];
            out[1] = lut_g[v];
            out[2] = lut_b[v];
        } else {
            out[0] = lut_r[v];
        }
    }
}

static void tg_planar_emit(tg_image_state *s)
{
    const int32_t channels = s->target->channels;
    int8_t *out = s->sink != NULL ? s->sink(s->sink_ctx, s->out_row)
                                  : s->out + s->out_row * s->target->out_w * channels;
    if (out != NULL) {
        if (tg_planar_kind(s) == TG_PLANAR_RGB) {
            tg_planar_emit_with(s, out, 3, 3);
        } else if (channels == 3) {
            tg_planar_emit_with(s, out, 1, 3);
        } else {
            tg_planar_emit_with(s, out, 1, 1);
        }
    }
    s->out_row++;
}

static void tg_planar_area_row(tg_image_state *s, const uint8_t *row)
{
    const tg_image_frame *f = &s->frame;
    const int32_t out_h = s->target->out_h, lead = tg_planar_lead(f), n = f->crop_w + lead;
    const uint8_t *src = row + tg_image_bytes_per_pixel(f->format) * (f->crop_x - lead);
    const int32_t planes_n = tg_planar_kind(s) == TG_PLANAR_RGB ? 3 * n : n;
    const int32_t end = s->vpos + out_h; /* the row covers [vpos, end) in 1/(crop_h out_h) units */
    uint16_t *planes = (uint16_t *)s->lanes;
    if (end < s->vbound) {
        tg_planar_pass(s, src, n, (uint16_t)((uint32_t)out_h / s->vunit), planes, 0u, NULL);
    } else {
        /* the output row ends inside this row: finish it, start the next with the rest */
        const uint16_t w0 = (uint16_t)((uint32_t)(s->vbound - s->vpos) / s->vunit);
        const uint16_t w1 = (uint16_t)((uint32_t)(end - s->vbound) / s->vunit);
        if (w1 != 0u && s->next != NULL) { /* both in one pass, then the next row's planes are the current */
            uint32_t *next = s->next;
            tg_planar_pass(s, src, n, w0, planes, w1, (uint16_t *)next);
            tg_planar_emit(s);
            s->next = s->lanes;
            s->lanes = next;
        } else {
            tg_planar_pass(s, src, n, w0, planes, 0u, NULL);
            tg_planar_emit(s);
            memset(planes, 0, (size_t)planes_n * sizeof(uint16_t));
            if (w1 != 0u) {
                tg_planar_pass(s, src, n, w1, planes, 0u, NULL);
            }
        }
        s->vbound += f->crop_h;
    }
    s->vpos = end;
}

tg_image_row_fn tg_image_planar_area_plan(tg_image_state *s)
{
    const tg_image_target *t = s->target;
    const tg_image_frame *f = &s->frame;
    if ((f->format != TG_IMAGE_YUYV && f->format != TG_IMAGE_GRAY) || !s->h_area || !s->v_area) {
        return NULL;
    }
    const int32_t cw = f->crop_w, ow = t->out_w, lead = tg_planar_lead(f), n = cw + lead;
    const uint32_t gh = tg_image_gcd((uint32_t)cw, (uint32_t)ow), gv = tg_image_gcd((uint32_t)f->crop_h, (uint32_t)t->out_h);
    const uint32_t th = (uint32_t)cw / gh, tv = (uint32_t)f->crop_h / gv;
    const int32_t period = ow / (int32_t)gh;
    /* the lanes' range, the doubled weights' (uint16) and the sums' with their rounding (uint32) */
    if (tv > TG_PLANAR_MAX_TV || 2u * (uint32_t)ow / gh > 65535u ||
        (uint64_t)th * tv * (2u * 255u + 1u) >= 0x100000000ull) {
        return NULL;
    }
    for (int32_t j = 0; j < period; j++) { /* the pixels a column spans: one vector */
        int32_t first = j * cw / ow, last = ((j + 1) * cw - 1) / ow;
        if (last - first + 1 > TG_LANES_PER_COLUMN) {
            return NULL;
        }
    }
    const uint32_t scratch = (uint32_t)tg_image_get_buffer_size(t);
    const uint32_t planes = ((uint32_t)((tg_planar_kind(s) == TG_PLANAR_RGB ? 3 : 1) * n) * 2u + 3u) & ~3u;
    const uint32_t columns = ((uint32_t)(period * TG_LANES_PER_COLUMN + ow) * 2u + 3u) & ~3u;
    if (planes + columns > scratch) {
        return NULL;
    }
    /* [planes][the next row's planes, where they fit][columns]: a column's 8-lane loads from the
       last plane read at most 7 lanes past it, into the next planes or the columns' table */
    const int32_t room = columns + 2u * planes <= scratch;
    s->lanes = (uint32_t *)s->rows[0];
    s->next = room ? (uint32_t *)((uint8_t *)s->lanes + planes) : NULL;
    s->hweights = (int32_t *)((uint8_t *)s->lanes + (room ? 2u : 1u) * planes);
    s->pairs = period;
    s->vunit = gv;
    s->round = (int32_t)(th * tv) - (int32_t)(((uint32_t)cw * (uint32_t)f->crop_h) & 1u);
    s->divisor2 = 2u * th * tv;
    memset(s->lanes, 0, planes);
    uint16_t *const weights = (uint16_t *)s->hweights, *const firsts = weights + TG_LANES_PER_COLUMN * period;
    for (int32_t j = 0; j < ow; j++) { /* the column's first region pixel, at lane first + lead */
        firsts[j] = (uint16_t)(j * cw / ow + lead);
    }
    for (int32_t j = 0; j < period; j++) { /* column j's weights, column j + period's the same pixels on */
        const int32_t first = j * cw / ow;
        for (int32_t k = 0; k < TG_LANES_PER_COLUMN; k++) {
            weights[TG_LANES_PER_COLUMN * j + k] =
                (uint16_t)(first + k < cw ? tg_image_rgb565_area_weight(first + k, j, cw, ow, gh) : 0);
        }
    }
    return tg_planar_area_row;
}
