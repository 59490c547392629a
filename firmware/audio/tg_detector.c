/* Keyword detection: see tg_detector.h (the twin: tinygen.audio.stream.Detector). */
#include "tg_detector.h"

void tg_detector_init(tg_detector *d, int32_t classes, int32_t smooth, uint32_t threshold, uint32_t refractory,
                      uint32_t keywords)
{
    d->classes = classes;
    d->smooth = smooth;
    d->threshold = threshold;
    d->refractory = refractory;
    d->keywords = keywords;
    for (int32_t c = 0; c < TG_DETECTOR_CLASSES_MAX; c++) {
        d->sums[c] = 0;
    }
    d->count = 0;
    d->next = 0;
    d->has_event = 0;
    d->last_event = 0u;
}

int tg_detector_step(tg_detector *d, const int8_t *output, int32_t zero_point, uint64_t sample,
                     tg_detector_event *event)
{
    int16_t *row = d->history[d->next];
    if (d->count == d->smooth) {            /* the oldest inference leaves the window */
        for (int32_t c = 0; c < d->classes; c++) {
            d->sums[c] -= row[c];
        }
    } else {
        d->count++;
    }
    for (int32_t c = 0; c < d->classes; c++) {
        row[c] = (int16_t)((int32_t)output[c] - zero_point);
        d->sums[c] += row[c];
    }
    d->next = (d->next + 1) % d->smooth;
    if (d->has_event && sample - d->last_event < d->refractory) {
        return 0;
    }
    int32_t best = -1;
    for (int32_t c = 0; c < d->classes; c++) {
        if ((d->keywords >> c & 1u) != 0u && (int64_t)d->sums[c] >= (int64_t)d->threshold
            && (best < 0 || d->sums[c] > d->sums[best])) {
            best = c;
        }
    }
    if (best < 0) {
        return 0;
    }
    d->has_event = 1;
    d->last_event = sample;
    event->label = best;
    event->sample = sample;
    event->score = d->sums[best];
    return 1;
}
