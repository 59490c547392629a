/*
 * tg_kernels_signal_stream.h: TFLite Micro's streaming signal operators, whose state carries over
 * invocations in the arena's persistent region (tg_model_reset_state() puts it back): SignalDelay,
 * SignalFramer, SignalStacker (with their valid flag), SignalOverlapAdd; and TFLite Micro's own
 * CIRCULAR_BUFFER.
 * The framer's and stacker's state: TG_RING_HEAD int16 words (state[0] the samples each ring
 * buffer holds, state[1] the valid flag, state[2] whether the stacker had its first frame), then
 * the ring buffers, oldest sample first.
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

#define TG_RING_HEAD 4              /* int16 words before a framer's or stacker's ring buffers */

typedef struct {
    int32_t rows;                   /* streams: the input's elements over its last dimension */
    int32_t n_frames;               /* frames per row per invocation (the last dimension / frame_step) */
    int32_t frame_size;             /* samples of a frame */
    int32_t frame_step;             /* samples between frames */
    int32_t capacity;               /* samples a ring buffer holds: frame_size rounded up to whole steps */
    int32_t prefill;                /* 1: a reset leaves frame_size - frame_step zeros in each ring buffer */
} tg_signal_framer_params_t;

/*
 * SignalFramer: for each row, each frame_step samples of input row r join ring buffer r; where it
 * then holds frame_size or more, output frame f of row r is its frame_size oldest samples and the
 * frame_step oldest leave, else the frame is zeros and the valid flag (state[1]) 0.
 * input: rows * n_frames * frame_step int16; output: rows * n_frames * frame_size int16;
 * state: TG_RING_HEAD + rows * capacity int16.
 */
void tg_signal_framer_s16(const tg_signal_framer_params_t *p, const int16_t *input, int16_t *state,
                          int16_t *output);

/* the ring buffers back to empty (zeros), holding frame_size - frame_step zeros with prefill */
void tg_signal_framer_reset_s16(const tg_signal_framer_params_t *p, int16_t *state);

typedef struct {
    int32_t num_channels;           /* values per invocation (the input's size) */
    int32_t left_context;           /* copies of the first frame before it */
    int32_t step;                   /* frames between outputs */
    int32_t size;                   /* values stacked: num_channels * (left + right context + 1) */
} tg_signal_stacker_params_t;

/*
 * SignalStacker: the num_channels input values join the ring buffer (the first time after a reset
 * followed by left_context copies of them); where it then holds `size` values, the output is the
 * size oldest and step * num_channels leave, else the output is zeros and the valid flag 0.
 * input: num_channels int16; output: size int16; state: TG_RING_HEAD + size int16.
 */
void tg_signal_stacker_s16(const tg_signal_stacker_params_t *p, const int16_t *input, int16_t *state,
                           int16_t *output);

/* the ring buffer back to empty, no first frame yet */
void tg_signal_stacker_reset_s16(const tg_signal_stacker_params_t *p, int16_t *state);

typedef struct {
    int32_t flag;                   /* the state word holding the valid flag */
} tg_signal_stream_valid_params_t;

/*
 * A framer's or stacker's valid output: *valid = the flag its kernel left in its state (state:
 * that layer's; frames: its output, unread, which orders this call after it).
 */
void tg_signal_stream_valid(const tg_signal_stream_valid_params_t *p, const int16_t *frames, const int16_t *state,
                            uint8_t *valid);

typedef struct {
    int32_t rows;                   /* streams: the input's elements over its last two dimensions */
    int32_t n_frames;               /* frames per row */
    int32_t frame_size;             /* samples of a frame */
    int32_t frame_step;             /* samples given out per frame (<= frame_size) */
} tg_signal_overlap_add_params_t;

/*
 * SignalOverlapAdd: for each row and frame, the frame is added into the row's buffer (int16,
 * saturated); the buffer's frame_step oldest samples are output and leave, zeros come in.
 * input: rows * n_frames * frame_size int16; output: rows * n_frames * frame_step int16;
 * state: rows * frame_size int16.
 */
void tg_signal_overlap_add_s16(const tg_signal_overlap_add_params_t *p, const int16_t *input, int16_t *state,
                               int16_t *output);

/* the buffers back to zeros */
void tg_signal_overlap_add_reset_s16(const tg_signal_overlap_add_params_t *p, int16_t *state);

/* SignalOverlapAdd on float32: the same steps, each frame added into the buffer in float (no
 * saturation). state: rows * frame_size float. */
void tg_signal_overlap_add_f32(const tg_signal_overlap_add_params_t *p, const float *input, float *state,
                               float *output);
void tg_signal_overlap_add_reset_f32(const tg_signal_overlap_add_params_t *p, float *state);

typedef struct {
    int32_t slots;                  /* frames the window holds */
    int32_t depth;                  /* int8 values of a frame */
    int32_t fill;                   /* the window's values after a reset: the output's zero point */
} tg_circular_buffer_params_t;

/*
 * TFLite Micro's CIRCULAR_BUFFER: the window's oldest frame leaves, the input (depth int8 values)
 * joins last; output = the window. state and output: slots * depth int8.
 */
void tg_circular_buffer_s8(const tg_circular_buffer_params_t *p, const int8_t *input, int8_t *state, int8_t *output);

/* the window back to the zero point */
void tg_circular_buffer_reset_s8(const tg_circular_buffer_params_t *p, int8_t *state);

#ifdef __cplusplus
}
#endif

#endif /* TG_KERNELS_SIGNAL_STREAM_H */
