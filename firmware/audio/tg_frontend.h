/*
 * The front end a firmware was built with: tg_frontend_f32.c (float, cores
 * with an FPU) or tg_frontend_q31.c (fixed point), the same functions over the
 * tables tinygen generated into tg_audio_tables.c. Used by the audio commands
 * (tg_audio_cmd.c); the numpy twins are tinygen.ref.mfcc.features (clip
 * mode) and tinygen.audio.stream (frame_mfcc, window_input).
 *
 * Stream mode's ring of the last TG_MFCC_NUM_FRAMES frames (their coefficients
 * at the fixed gain 1/32768, and their largest samples) lives here; the caller
 * picks the slots.
 */
#ifndef TG_FRONTEND_H
#define TG_FRONTEND_H

#include <stdint.h>

#include "tg_audio.h"

/* "mfcc-f32" or "mfcc-q31". */
const char *tg_frontend_name(void);

/*
 * One clip of TG_MFCC_CLIP_SAMPLES samples (zero-padded by the caller) ->
 * features[TG_MFCC_FEATURES], int8 on the model input's grid: normalised by
 * the clip's largest sample (if positive), 49 frames, 10 coefficients each.
 */
void tg_frontend_clip(const int16_t *clip, int8_t *features);

/* Stream mode: one frame of TG_MFCC_FRAME_LENGTH samples into ring slot `slot` (< 49). */
void tg_frontend_stream_frame(const int16_t *frame, int32_t slot);

/*
 * Stream mode: the ring's 49 frames, slot `oldest` first, as the model's int8
 * input, normalised by their largest sample through coefficient 0.
 */
void tg_frontend_stream_window(int32_t oldest, int8_t *features);

#endif /* TG_FRONTEND_H */
