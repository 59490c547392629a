/*
 * The RGB565 area path's shape (tg_image.h), shared by its scalar (tg_image_rgb565_area.c) and
 * Helium (tg_image_rgb565_area_mve.c) versions: whether a frame may take the path at all, and
 * its reduced weights' units (tg_image_rgb565_area.c explains the arithmetic).
 */
#include "tg_image.h"

#define TG_IMAGE_MAX_PAIRS 3   /* pixel pairs an output column may span on this path (ratio up to 4) */
#define TG_IMAGE_MAX_TV 128    /* 255 x 128 < 2^15: a lane's sum is a non-negative int16 */

uint32_t tg_image_gcd(uint32_t a, uint32_t b)
{
    while (b != 0u) {
        uint32_t r = a % b;
        a = b;
        b = r;
    }
    return a;
}

int tg_image_rgb565_area_shape(const tg_image_state *s, tg_image_area_shape *shape)
{
    const tg_image_target *t = s->target;
    const tg_image_frame *f = &s->frame;
    const int32_t cw = f->crop_w, ow = t->out_w;
    if ((f->format != TG_IMAGE_RGB565 && f->format != TG_IMAGE_RGB565BE) || t->channels != 3 || !s->h_area ||
        !s->v_area || (cw & 1) != 0) {
        return 0;
    }
    const uint32_t gh = tg_image_gcd((uint32_t)cw, (uint32_t)ow), gv = tg_image_gcd((uint32_t)f->crop_h, (uint32_t)t->out_h);
    const uint32_t th = (uint32_t)cw / gh, tv = (uint32_t)f->crop_h / gv;
    const int32_t npairs = cw / 2;
    int32_t pairs = 1;
    for (int32_t j = 0; j < ow; j++) {
        int32_t first = (int32_t)((uint32_t)j * (uint32_t)cw / (uint32_t)ow) / 2;
        int32_t last = (int32_t)(((uint32_t)j + 1u) * (uint32_t)cw - 1u) / ow / 2;
        pairs = last - first + 1 > pairs ? last - first + 1 : pairs;
    }
    /* the lanes' and the double weights' ranges */
    if (tv > TG_IMAGE_MAX_TV || 2u * (uint32_t)ow / gh > 32767u || pairs > TG_IMAGE_MAX_PAIRS || pairs > npairs ||
        2u * 255u * tv * th + th * tv >= 0x80000000u) {
        return 0;
    }
    shape->gh = gh;
    shape->gv = gv;
    shape->th = th;
    shape->tv = tv;
    shape->pairs = pairs;
    return 1;
}

void tg_image_rgb565_area_start(tg_image_state *s, const tg_image_area_shape *shape)
{
    const tg_image_frame *f = &s->frame;
    s->pairs = shape->pairs;
    s->vunit = shape->gv;
    s->round = (int32_t)(shape->th * shape->tv) - (int32_t)(((uint32_t)f->crop_w * (uint32_t)f->crop_h) & 1u);
    s->divisor2 = 2u * shape->th * shape->tv;
}

int32_t tg_image_rgb565_area_weight(int32_t i, int32_t j, int32_t cw, int32_t ow, uint32_t gh)
{
    /* pixel i's overlap with output j, in 1/(cw ow) units, doubled, over gh */
    int32_t lo = i * ow > j * cw ? i * ow : j * cw;
    int32_t hi = (i + 1) * ow < (j + 1) * cw ? (i + 1) * ow : (j + 1) * cw;
    return hi > lo ? (int32_t)(2u * (uint32_t)(hi - lo) / gh) : 0;
}
