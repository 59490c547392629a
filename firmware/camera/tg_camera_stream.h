/*
 * The camera front end's streamed model input (tg_camera.h): where the model runs in row bands
 * and its input streams in (model.h TG_MODEL_INPUT_STREAMED), the input buffer holds one band's
 * window of input rows and each band runs as soon as the frame's rows it reads arrived, between
 * frame rows. Elsewhere these do nothing (tg_camera_streamed() is 0) and the model runs apart.
 */
#ifndef TG_CAMERA_STREAM_H
#define TG_CAMERA_STREAM_H

#include <stdint.h>

#include "tg_image.h"

/* 1 where the model's input streams in, else 0. */
int tg_camera_streamed(void);

/* A frame starts (after tg_image_begin): band 0's window; `image`'s output rows go through it. */
void tg_camera_stream_start(tg_image_state *image);

/* The frame's last row arrived: the remaining bands, then the rest of the model (the outputs are ready). */
void tg_camera_stream_finish(void);

/* Counter units of this frame's model part so far: the bands, the window moves and the rest. */
uint64_t tg_camera_stream_count(void);

/* Nonzero when a band or the rest of the model returned an error during this frame. */
int tg_camera_stream_failed(void);

/* `tg camera`'s stream value: BANDSxROWS (the bands that read the input, the most rows a window spans) or none. */
void tg_camera_stream_print(void);

#endif /* TG_CAMERA_STREAM_H */
