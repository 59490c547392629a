/*
 * tg_resize_nearest_s8: portable reference nearest-neighbour resize, int8, NHWC with
 * batch 1 (TFLite RESIZE_NEAREST_NEIGHBOR without align_corners or half-pixel centers):
 * output row y reads input row y * in_h / out_h, column x reads x * in_w / out_w; each
 * pixel's `channels` bytes are copied. Input and output share quantization.
 * numpy twin: tinygen.ref.layout.resize_nearest_s8.
 */
#include <string.h>

#include "tg_kernels.h"

void tg_resize_nearest_s8(const tg_resize_nearest_params_t *p, const int8_t *input, int8_t *output)
{
    int32_t y, x;

    for (y = 0; y < p->out_h; ++y) {
        const int8_t *row = &input[(y * p->in_h / p->out_h) * p->in_w * p->channels];
        for (x = 0; x < p->out_w; ++x) {
            memcpy(output, &row[(x * p->in_w / p->out_w) * p->channels], (size_t)p->channels);
            output += p->channels;
        }
    }
}
