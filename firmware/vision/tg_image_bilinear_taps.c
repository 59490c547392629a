/* Bilinear taps with half-pixel centres: see tg_image.h. */
#include "tg_image.h"

void tg_image_bilinear_taps(int32_t in, int32_t out, tg_image_tap *taps)
{
    const int32_t den = 2 * out; /* positions in units of 1/(2 out) input pixels */
    for (int32_t j = 0; j < out; j++) {
        int32_t num = (2 * j + 1) * in - out;
        if (num < 0) {
            num = 0;
        }
        int32_t index = num / den;
        int32_t frac = ((num % den) * TG_IMAGE_FRAC_ONE + out) / den;
        if (index >= in - 1) {
            index = in - 1;
            frac = 0;
        }
        taps[j].index = (uint16_t)index;
        taps[j].frac = (uint16_t)frac;
    }
}
