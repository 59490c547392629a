/* Scratch bytes of tg_image_begin: see tg_image.h. */
#include "tg_image.h"

int32_t tg_image_get_buffer_size(const tg_image_target *t)
{
    int32_t rows = 2 * t->out_w * t->channels * (int32_t)sizeof(uint32_t);
    int32_t taps = (t->out_w + t->out_h) * (int32_t)sizeof(tg_image_tap);
    int32_t line = (t->max_width * t->channels + 3) / 4 * 4;
    return rows + taps + line;
}
