/* Feed one frame row: unpack the region's pixels, resize, quantize finished output rows. See tg_image.h. */
#include <stddef.h>

#include "tg_image.h"

/*
 * Output row s->out_row (to s->out, or where s->sink says) from two rows of sums: value = (wa a + wb b + divisor / 2) / divisor,
 * rounded half up, then channel c's lookup table. With `next` (area along the height),
 * the next output row starts as wn x b (next may be a: each value is read before it is
 * replaced).
 */
static void tg_image_emit(tg_image_state *s, const uint32_t *a, uint32_t wa, const uint32_t *b, uint32_t wb,
                          uint32_t *next, uint32_t wn)
{
    const tg_image_target *t = s->target;
    const int32_t channels = t->channels;
    const int32_t values = t->out_w * channels;
    const uint32_t divisor = s->divisor;
    const uint32_t half = divisor / 2u;
    int8_t *out = s->sink != NULL ? s->sink(s->sink_ctx, s->out_row) : s->out + s->out_row * values;
    if (out != NULL) {
        for (int32_t c = 0; c < channels; c++) {
            const int8_t *lut = t->lut + c * 256;
            for (int32_t k = c; k < values; k += channels) {
                uint32_t bk = b[k];
                out[k] = lut[(wa * a[k] + wb * bk + half) / divisor];
                if (next != NULL) {
                    next[k] = wn * bk;
                }
            }
        }
    } else if (next != NULL) { /* a row the sink drops: only the next row's start */
        for (int32_t k = 0; k < values; k++) {
            next[k] = wn * b[k];
        }
    }
    s->out_row++;
}

/* Area along the height: add the row's sums (rows[0]) into the accumulator (rows[1]). */
static void tg_image_area_row(tg_image_state *s)
{
    const int32_t out_h = s->target->out_h;
    const int32_t values = s->target->out_w * s->target->channels;
    uint32_t *sums = s->rows[0];
    uint32_t *acc = s->rows[1];
    int32_t end = s->vpos + out_h; /* the row covers [vpos, end) in 1/(crop_h out_h) units */
    if (end < s->vbound) {
        for (int32_t k = 0; k < values; k++) {
            acc[k] += (uint32_t)out_h * sums[k];
        }
    } else {
        /* the output row ends inside this row: finish it, start the next with the rest */
        tg_image_emit(s, acc, 1u, sums, (uint32_t)(s->vbound - s->vpos), acc, (uint32_t)(end - s->vbound));
        s->vbound += s->frame.crop_h;
    }
    s->vpos = end;
}

/* Bilinear along the height: every output row whose lower tap is region row `ry` (just summed). */
static void tg_image_bilinear_row(tg_image_state *s, int32_t ry, const uint32_t *prev, const uint32_t *cur)
{
    while (s->out_row < s->target->out_h) {
        const tg_image_tap tap = s->vtaps[s->out_row];
        int32_t last = tap.frac != 0u ? tap.index + 1 : tap.index; /* the last region row it reads */
        if (last != ry) {
            break;
        }
        if (tap.frac == 0u) {
            tg_image_emit(s, cur, TG_IMAGE_FRAC_ONE, cur, 0u, NULL, 0u);
        } else {
            tg_image_emit(s, prev, (uint32_t)TG_IMAGE_FRAC_ONE - tap.frac, cur, tap.frac, NULL, 0u);
        }
    }
}

int tg_image_row(tg_image_state *s, const uint8_t *row)
{
    const tg_image_target *t = s->target;
    const tg_image_frame *f = &s->frame;
    const int32_t ry = s->y - f->crop_y; /* row within the region */
    s->y++;
    if (ry < 0 || ry >= f->crop_h || s->out_row >= t->out_h) {
        return s->out_row >= t->out_h;
    }
    if (s->area_row != NULL) {
        s->area_row(s, row);
        return s->out_row >= t->out_h;
    }
    switch (f->format) {
    case TG_IMAGE_RGB565:
    case TG_IMAGE_RGB565BE:
        tg_image_unpack_rgb565(row, f->crop_x, f->crop_w, f->format == TG_IMAGE_RGB565BE, t->channels, s->line);
        break;
    case TG_IMAGE_YUYV:
        tg_image_unpack_yuyv(row, f->crop_x, f->crop_w, t->channels, s->line);
        break;
    default:
        tg_image_unpack_gray(row, f->crop_x, f->crop_w, t->channels, s->line);
        break;
    }
    /* area: the sums go to rows[0]; bilinear: alternate rows, the previous region row in the other */
    uint32_t *cur = s->v_area ? s->rows[0] : s->rows[ry & 1];
    if (s->h_area) {
        tg_image_hscale_area(s->line, f->crop_w, t->out_w, t->channels, cur);
    } else {
        tg_image_hscale_bilinear(s->line, f->crop_w, s->htaps, t->out_w, t->channels, cur);
    }
    if (s->v_area) {
        tg_image_area_row(s);
    } else {
        tg_image_bilinear_row(s, ry, s->rows[(ry + 1) & 1], cur);
    }
    return s->out_row >= t->out_h;
}
