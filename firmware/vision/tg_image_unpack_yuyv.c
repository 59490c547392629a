/* YUYV (YUV 4:2:2) pixels to RGB or gray bytes, BT.601 integer formula: see tg_image.h. */
#include "tg_image.h"

/* (v >> 8) clamped to 0..255, without shifting a negative number. */
static uint8_t tg_clamp_shift8(int32_t v)
{
    if (v < 0) {
        return 0;
    }
    v >>= 8;
    return (uint8_t)(v > 255 ? 255 : v);
}

void tg_image_unpack_yuyv(const uint8_t *row, int32_t x0, int32_t n, int32_t channels, uint8_t *dst)
{
    for (int32_t x = x0; x < x0 + n; x++) {
        const uint8_t *pair = row + 4 * (x >> 1); /* Y0 U Y1 V */
        int32_t c = 298 * ((int32_t)pair[(x & 1) * 2] - 16) + 128;
        if (channels == 3) {
            int32_t d = (int32_t)pair[1] - 128;
            int32_t e = (int32_t)pair[3] - 128;
            dst[0] = tg_clamp_shift8(c + 409 * e);
            dst[1] = tg_clamp_shift8(c - 100 * d - 208 * e);
            dst[2] = tg_clamp_shift8(c + 516 * d);
            dst += 3;
        } else {
            *dst++ = tg_clamp_shift8(c);
        }
    }
}
