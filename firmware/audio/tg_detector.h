/*
 * Keyword detection over the network's int8 outputs, in integers: the twin is
 * tinygen.audio.stream.Detector, which it equals step for step.
 *
 * Per inference u_c = q_c - zero_point; S_c = the sum of u_c over the last
 * `smooth` inferences; a class c of `keywords` (bit c set) fires when
 * S_c >= threshold, the largest S_c winning (ties: the lower class), unless
 * the previous event is less than `refractory` samples before.
 */
#ifndef TG_DETECTOR_H
#define TG_DETECTOR_H

#include <stdint.h>

#define TG_DETECTOR_SMOOTH_MAX 16    /* inferences smoothed at most */
#define TG_DETECTOR_CLASSES_MAX 32   /* output classes at most (the keyword mask is 32 bits) */

typedef struct {
    int32_t classes;
    int32_t smooth;
    uint32_t threshold;
    uint32_t refractory;            /* samples */
    uint32_t keywords;              /* bit c: class c may fire */
    int16_t history[TG_DETECTOR_SMOOTH_MAX][TG_DETECTOR_CLASSES_MAX];
    int32_t sums[TG_DETECTOR_CLASSES_MAX];
    int32_t count;                  /* inferences in history, <= smooth */
    int32_t next;                   /* the history row the next inference goes to */
    int has_event;
    uint64_t last_event;            /* sample of the last event */
} tg_detector;

typedef struct {
    int32_t label;                  /* class index */
    uint64_t sample;
    int32_t score;                  /* S_label */
} tg_detector_event;

/* A detector with no history. classes <= TG_DETECTOR_CLASSES_MAX, 1 <= smooth <= TG_DETECTOR_SMOOTH_MAX. */
void tg_detector_init(tg_detector *d, int32_t classes, int32_t smooth, uint32_t threshold, uint32_t refractory,
                      uint32_t keywords);

/*
 * The inference ending at `sample` with int8 outputs `output` (classes of them):
 * updates the sums (d->sums afterwards) and returns 1 with *event filled when a
 * keyword fires, else 0.
 */
int tg_detector_step(tg_detector *d, const int8_t *output, int32_t zero_point, uint64_t sample,
                     tg_detector_event *event);

#endif /* TG_DETECTOR_H */
