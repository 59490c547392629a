/* Shrink a row by area averaging (weighted sums): see tg_image.h. */
#include "tg_image.h"

/*
 * Positions are in units of 1/(in_w out_w) of the row: input pixel i covers
 * [i out_w, (i + 1) out_w), output pixel j covers [j in_w, (j + 1) in_w). With out_w <= in_w
 * an input pixel overlaps at most two outputs: w0 units of the current one, the rest of
 * the next.
 */
void tg_image_hscale_area(const uint8_t *line, int32_t in_w, int32_t out_w, int32_t channels, uint32_t *dst)
{
    uint32_t acc[3] = {0u, 0u, 0u};
    int32_t pos = 0;       /* start of input pixel i */
    int32_t bound = in_w;  /* end of the current output pixel */
    for (int32_t i = 0; i < in_w; i++, line += channels) {
        int32_t end = pos + out_w;
        if (end < bound) {
            for (int32_t c = 0; c < channels; c++) {
                acc[c] += (uint32_t)out_w * line[c];
            }
        } else {
            uint32_t w0 = (uint32_t)(bound - pos); /* 1 .. out_w */
            uint32_t w1 = (uint32_t)(end - bound); /* 0 .. out_w - 1: into the next output */
            for (int32_t c = 0; c < channels; c++) {
                dst[c] = acc[c] + w0 * line[c];
                acc[c] = w1 * line[c];
            }
            dst += channels;
            bound += in_w;
        }
        pos = end;
    }
}
