/* Start a frame: check it, lay out the scratch, compute the taps. See tg_image.h. */
#include <stddef.h>

#include "tg_image.h"

int tg_image_begin(tg_image_state *s, const tg_image_target *t, const tg_image_frame *f, void *scratch,
                   int8_t *out)
{
    int err = tg_image_check(t, f);
    if (err != TG_IMAGE_OK) {
        return err;
    }
    const int32_t row_values = t->out_w * t->channels;
    uint32_t *rows = (uint32_t *)scratch;
    s->target = t;
    s->frame = *f;
    s->out = out;
    s->sink = NULL;
    s->sink_ctx = NULL;
    s->rows[0] = rows;
    s->rows[1] = rows + row_values;
    s->htaps = (tg_image_tap *)(rows + 2 * row_values);
    s->vtaps = s->htaps + t->out_w;
    s->line = (uint8_t *)(s->vtaps + t->out_h);
    s->h_area = f->crop_w >= t->out_w;
    s->v_area = f->crop_h >= t->out_h;
    if (!s->h_area) {
        tg_image_bilinear_taps(f->crop_w, t->out_w, s->htaps);
    }
    if (!s->v_area) {
        tg_image_bilinear_taps(f->crop_h, t->out_h, s->vtaps);
    }
    s->divisor = (uint32_t)(s->h_area ? f->crop_w : TG_IMAGE_FRAC_ONE) *
                 (uint32_t)(s->v_area ? f->crop_h : TG_IMAGE_FRAC_ONE);
    for (int32_t k = 0; k < row_values; k++) {
        s->rows[1][k] = 0u; /* area along the height: the first output row's sums */
    }
    s->y = 0;
    s->out_row = 0;
    s->vpos = 0;
    s->vbound = f->crop_h;
    s->area_row = tg_image_rgb565_area_plan(s) ? tg_image_rgb565_area_row : tg_image_planar_area_plan(s);
    return TG_IMAGE_OK;
}
