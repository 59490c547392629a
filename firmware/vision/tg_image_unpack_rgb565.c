/* RGB565 pixels (either byte order) to RGB or gray bytes: see tg_image.h. */
#include "tg_image.h"

/* Each channel widened to 8 bits by repeating its top bits. */
#define TG_R8(v) ((((v) >> 11) << 3) | ((v) >> 13))
#define TG_G8(v) ((((v) >> 5 & 0x3Fu) << 2) | ((v) >> 9 & 0x3u))
#define TG_B8(v) ((((v) & 0x1Fu) << 3) | ((v) >> 2 & 0x7u))

void tg_image_unpack_rgb565(const uint8_t *row, int32_t x0, int32_t n, int32_t big_endian, int32_t channels,
                            uint8_t *dst)
{
    const uint8_t *p = row + 2 * x0;
    const uint8_t *end = p + 2 * n;
    const int32_t lo = big_endian ? 1 : 0; /* where the low byte of each word is */
    const int32_t hi = 1 - lo;
    if (channels == 3) {
        for (; p < end; p += 2, dst += 3) {
            uint32_t v = (uint32_t)p[lo] | (uint32_t)p[hi] << 8;
            dst[0] = (uint8_t)TG_R8(v);
            dst[1] = (uint8_t)TG_G8(v);
            dst[2] = (uint8_t)TG_B8(v);
        }
    } else {
        for (; p < end; p += 2) {
            uint32_t v = (uint32_t)p[lo] | (uint32_t)p[hi] << 8;
            *dst++ = (uint8_t)((77u * TG_R8(v) + 150u * TG_G8(v) + 29u * TG_B8(v) + 128u) >> 8);
        }
    }
}
