/* Shrink a row by area averaging (weighted sums): see tg_image.h. */
#include "tg_image.h"

/*
 * Positions are in units of 1/(in_w out_w) of the row: input pixel i covers
 * [i out_w, (i + 1) out_w), output pixel j covers [j in_w, (j + 1) in_w). With out_w <= in_w
 * an input pixel overlaps at most two outputs: w0 units of the current one, the rest (w1)
 * of the next. The three-channel and one-channel loops keep their sums in registers.
 */
static void tg_hscale_area_rgb(const uint8_t *line, int32_t in_w, int32_t out_w, uint32_t *dst)
{
    uint32_t a0 = 0u, a1 = 0u, a2 = 0u;
    const uint32_t ow = (uint32_t)out_w;
    int32_t pos = 0, bound = in_w;
    for (const uint8_t *end_line = line + 3 * in_w; line < end_line; line += 3) {
        uint32_t p0 = line[0], p1 = line[1], p2 = line[2];
        int32_t end = pos + out_w;
        if (end < bound) {
            a0 += ow * p0;
            a1 += ow * p1;
            a2 += ow * p2;
        } else {
            uint32_t w0 = (uint32_t)(bound - pos), w1 = (uint32_t)(end - bound);
            dst[0] = a0 + w0 * p0;
            dst[1] = a1 + w0 * p1;
            dst[2] = a2 + w0 * p2;
            a0 = w1 * p0;
            a1 = w1 * p1;
            a2 = w1 * p2;
            dst += 3;
            bound += in_w;
        }
        pos = end;
    }
}

static void tg_hscale_area_gray(const uint8_t *line, int32_t in_w, int32_t out_w, uint32_t *dst)
{
    uint32_t a = 0u;
    const uint32_t ow = (uint32_t)out_w;
    int32_t pos = 0, bound = in_w;
    for (int32_t i = 0; i < in_w; i++) {
        uint32_t p = line[i];
        int32_t end = pos + out_w;
        if (end < bound) {
            a += ow * p;
        } else {
            *dst++ = a + (uint32_t)(bound - pos) * p;
            a = (uint32_t)(end - bound) * p;
            bound += in_w;
        }
        pos = end;
    }
}

void tg_image_hscale_area(const uint8_t *line, int32_t in_w, int32_t out_w, int32_t channels, uint32_t *dst)
{
    if (channels == 3) {
        tg_hscale_area_rgb(line, in_w, out_w, dst);
    } else {
        tg_hscale_area_gray(line, in_w, out_w, dst);
    }
}
