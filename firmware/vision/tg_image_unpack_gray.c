/* 8-bit gray pixels to gray bytes or three equal channels: see tg_image.h. */
#include "tg_image.h"

void tg_image_unpack_gray(const uint8_t *row, int32_t x0, int32_t n, int32_t channels, uint8_t *dst)
{
    const uint8_t *p = row + x0;
    if (channels == 3) {
        for (int32_t i = 0; i < n; i++) {
            dst[0] = dst[1] = dst[2] = p[i];
            dst += 3;
        }
    } else {
        for (int32_t i = 0; i < n; i++) {
            dst[i] = p[i];
        }
    }
}
