/* Enlarge a row by bilinear interpolation with precomputed taps: see tg_image.h. */
#include "tg_image.h"

void tg_image_hscale_bilinear(const uint8_t *line, int32_t in_w, const tg_image_tap *taps, int32_t out_w,
                              int32_t channels, uint32_t *dst)
{
    for (int32_t j = 0; j < out_w; j++, dst += channels) {
        int32_t i0 = taps[j].index;
        int32_t i1 = i0 + 1 < in_w ? i0 + 1 : i0;
        uint32_t f = taps[j].frac;
        const uint8_t *a = line + i0 * channels;
        const uint8_t *b = line + i1 * channels;
        for (int32_t c = 0; c < channels; c++) {
            dst[c] = a[c] * ((uint32_t)TG_IMAGE_FRAC_ONE - f) + b[c] * f;
        }
    }
}
