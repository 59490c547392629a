/* Is a frame one the target accepts: see tg_image.h. */
#include "tg_image.h"

int tg_image_check(const tg_image_target *t, const tg_image_frame *f)
{
    if (tg_image_bytes_per_pixel(f->format) == 0) {
        return TG_IMAGE_BAD_FORMAT;
    }
    if (f->width < 1 || f->height < 1 || f->width > t->max_width || f->height > t->max_height) {
        return TG_IMAGE_BAD_SIZE;
    }
    if (f->format == TG_IMAGE_YUYV && f->width % 2 != 0) {
        return TG_IMAGE_ODD_WIDTH;
    }
    if (f->crop_w < 1 || f->crop_h < 1 || f->crop_x < 0 || f->crop_y < 0 || f->crop_x > f->width - f->crop_w ||
        f->crop_y > f->height - f->crop_h) {
        return TG_IMAGE_BAD_CROP;
    }
    return TG_IMAGE_OK;
}
