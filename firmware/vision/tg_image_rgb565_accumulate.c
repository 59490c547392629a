/*
 * tg_image_rgb565_accumulate (tg_image.h) in C: per RGB565 pixel pair, its R, G and B words
 * (two 16-bit lanes each, every channel widened to 8 bits by repeating its top bits) times w
 * added into the lanes. tg_image_rgb565_accumulate_dsp.c is the Cortex-M4/M7 version.
 */
#include <string.h>

#include "tg_image.h"

void tg_image_rgb565_accumulate(const uint8_t *p, int32_t npairs, int32_t big_endian, uint32_t w,
                                uint32_t *lanes)
{
    for (uint32_t *end = lanes + 3 * npairs; lanes != end; lanes += 3, p += 4) {
        uint32_t x;
        memcpy(&x, p, sizeof x);
        if (big_endian) {
            x = (x & 0x00FF00FFu) << 8 | (x >> 8 & 0x00FF00FFu); /* the bytes swapped within each half */
        }
        lanes[0] += w * ((x >> 8 & 0x00F800F8u) | (x >> 13 & 0x00070007u));
        lanes[1] += w * ((x >> 3 & 0x00FC00FCu) | (x >> 9 & 0x00030003u));
        lanes[2] += w * ((x << 3 & 0x00F800F8u) | (x >> 2 & 0x00070007u));
    }
}
