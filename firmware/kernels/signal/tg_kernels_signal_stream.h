/*
 * tg_kernels_signal_stream.h: TFLite Micro's streaming signal operators, whose state carries over
 * invocations in the arena's persistent region (tg_model_reset_state() puts it back): SignalDelay.
 * numpy twins: tinygen/ref/signal_stream.py (named like the kernel minus tg_).
 */
#ifndef TG_KERNELS_SIGNAL_STREAM_H
#define TG_KERNELS_SIGNAL_STREAM_H

#include <stdint.h>

#include "tg_kernels.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
    int32_t rows;                   /* streams: the input's elements over its last dimension */
    int32_t frame_size;             /* samples of each stream per invocation (the last dimension) */
    int32_t delay_length;           /* samples each stream is delayed by */
} tg_signal_delay_params_t;

/*
 * SignalDelay: output row r = the frame_size oldest samples of stream r not yet given out, where
 * the stream is state row r (its delay_length newest samples, int16) followed by input row r;
 * state row r becomes the stream's delay_length newest samples. state: rows * delay_length int16.
 */
void tg_signal_delay_s16(const tg_signal_delay_params_t *p, const int16_t *input, int16_t *state, int16_t *output);

/* the delay lines back to zeros (TFLite Micro's reset of SignalDelay) */
void tg_signal_delay_reset_s16(const tg_signal_delay_params_t *p, int16_t *state);

#ifdef __cplusplus
}
#endif

#endif /* TG_KERNELS_SIGNAL_STREAM_H */
