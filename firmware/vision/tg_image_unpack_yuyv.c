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

/* One pixel from its luma term c = 298 (Y - 16) + 128 and its pair's chroma terms. */
static void tg_yuv_pixel(int32_t c, int32_t r, int32_t g, int32_t b, uint8_t *dst)
{
    dst[0] = tg_clamp_shift8(c + r);
    dst[1] = tg_clamp_shift8(c + g);
    dst[2] = tg_clamp_shift8(c + b);
}

void tg_image_unpack_yuyv(const uint8_t *row, int32_t x0, int32_t n, int32_t channels, uint8_t *dst)
{
    const int32_t end = x0 + n;
    if (channels == 1) {
        for (int32_t x = x0; x < end; x++) {
            *dst++ = tg_clamp_shift8(298 * ((int32_t)row[4 * (x >> 1) + 2 * (x & 1)] - 16) + 128);
        }
        return;
    }
    /* a pair of pixels shares U and V: their terms are computed once per pair */
    for (int32_t x = x0; x < end;) {
        const uint8_t *pair = row + 4 * (x >> 1); /* Y0 U Y1 V */
        int32_t d = (int32_t)pair[1] - 128;
        int32_t e = (int32_t)pair[3] - 128;
        int32_t r = 409 * e, g = -100 * d - 208 * e, b = 516 * d;
        if ((x & 1) == 0) {
            tg_yuv_pixel(298 * ((int32_t)pair[0] - 16) + 128, r, g, b, dst);
            dst += 3;
            x++;
        }
        if (x < end) {
            tg_yuv_pixel(298 * ((int32_t)pair[2] - 16) + 128, r, g, b, dst);
            dst += 3;
            x++;
        }
    }
}
