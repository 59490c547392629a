/* The centred region with the model's aspect ratio: see tg_image.h. */
#include "tg_image.h"

void tg_image_center_crop(const tg_image_target *t, tg_image_frame *f)
{
    if (f->width * t->out_h >= f->height * t->out_w) { /* the frame is wider than the model's input */
        f->crop_h = f->height;
        f->crop_w = f->height * t->out_w / t->out_h;
    } else {
        f->crop_w = f->width;
        f->crop_h = f->width * t->out_h / t->out_w;
    }
    if (f->crop_w < 1) {
        f->crop_w = 1;
    }
    if (f->crop_h < 1) {
        f->crop_h = 1;
    }
    f->crop_x = (f->width - f->crop_w) / 2;
    f->crop_y = (f->height - f->crop_h) / 2;
}
