/* RGB565 pixels (either byte order) to RGB or gray bytes: see tg_image.h. */
#include "tg_image.h"

void tg_image_unpack_rgb565(const uint8_t *row, int32_t x0, int32_t n, int32_t big_endian, int32_t channels,
                            uint8_t *dst)
{
    const uint8_t *p = row + 2 * x0;
    const uint8_t *end = p + 2 * n;
    const int32_t lo = big_endian ? 1 : 0; /* where the low byte of each word is */
    const int32_t hi = 1 - lo;
    for (; p < end; p += 2) {
        uint32_t v = (uint32_t)p[lo] | (uint32_t)p[hi] << 8;
        uint32_t r5 = v >> 11, g6 = (v >> 5) & 0x3Fu, b5 = v & 0x1Fu;
        uint32_t r = r5 << 3 | r5 >> 2;
        uint32_t g = g6 << 2 | g6 >> 4;
        uint32_t b = b5 << 3 | b5 >> 2;
        if (channels == 3) { /* the same branch every pixel: predicted, and GCC unswitches it */
            dst[0] = (uint8_t)r;
            dst[1] = (uint8_t)g;
            dst[2] = (uint8_t)b;
            dst += 3;
        } else {
            *dst++ = (uint8_t)((77u * r + 150u * g + 29u * b + 128u) >> 8);
        }
    }
}
