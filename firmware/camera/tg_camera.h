/*
 * The camera front end of a firmware built with `tinygen build --camera`: frames in a
 * camera format go through the image preprocessing (firmware/vision, tg_image.h) into
 * the input buffer, row by row, so that no frame is ever held whole. The protocol's
 * `tg camera`, `tg crop`, `tg frame`, `tg chunk` and `tg input` commands
 * (PROTOCOL.md, "Camera frames") drive it from a host; on boards with a camera driver
 * (`tg capture`, tg_camera_capture.h) the frames come from the sensor.
 *
 * The generated camera.c holds the configuration: per precision switch the model's input
 * (tg_image_target, with its pixel -> int8 table in flash) and where in the model's arena
 * the front end's scratch goes (planned by the build beside the model's input, so the
 * arena is never larger than both need; the last outputs are lost when a frame starts).
 *
 * A model in row bands whose input streams in (model.h TG_MODEL_INPUT_STREAMED, the default of
 * --camera with --tile bands) never holds its input whole: the input buffer holds one band's
 * window of rows, and each band runs (tg_model_invoke_band) as soon as the frame's rows it
 * reads arrived, between frame rows (tg_camera_stream.c); the scratch is then planned clear of
 * everything live until the last band's input read (passes/plan_camera.py).
 */
#ifndef TG_CAMERA_H
#define TG_CAMERA_H

#include <stdint.h>

#include "camera.h"
#include "tg_image.h"
#include "tg_protocol.h"

typedef struct {
    tg_image_target target;
    int32_t scratch_offset; /* in the arena: the chunk buffer, then tg_image's scratch */
    int32_t chunk_bytes;    /* receive buffer: one row of the widest frame in its widest format */
} tg_camera_config;

/* One per precision switch (index = tg_get_switch()), in camera.c. */
extern const tg_camera_config tg_camera_configs[];

/*
 * Start a frame of `format` (TG_IMAGE_*) and size w x h with the crop `tg crop` set (else
 * the centred one); prints an e- line and returns -1 if the frame is not one the firmware
 * takes (nothing changes then). On success the input buffer is empty until the frame's
 * last row arrived, and the last outputs are forgotten.
 */
int tg_camera_start(int32_t format, int32_t w, int32_t h);

/* The next `n` rows of the frame started (width x bytes per pixel bytes each, back to back);
 * returns the counter units the preprocessing took. */
uint64_t tg_camera_rows(const uint8_t *rows, int32_t n);

/*
 * The frame's last row arrived: the input buffer holds the model's input; m-tg-frame-done-[COUNT].
 * Where the input streams in (TG_MODEL_INPUT_STREAMED: a model in row bands, whose bands ran as
 * the rows arrived), the remaining bands and the rest of the model run first, and the outputs
 * follow: m-tg-out-[HEX], m-tg-count-[C] (the model's part: bands, window moves and the rest).
 */
void tg_camera_finish(uint64_t count);

/* Protocol commands (tg_camera.c). */
void tg_cmd_camera(const tg_word *args, int nargs);
void tg_cmd_crop(const tg_word *args, int nargs);
void tg_cmd_frame(const tg_word *args, int nargs);
void tg_cmd_chunk(const tg_word *args, int nargs);
void tg_cmd_input(const tg_word *args, int nargs);

#ifdef TG_CAMERA_CAPTURE
/* `tg capture`: a frame from the camera driver, preprocessed, one inference (tg_camera_capture_*.c). */
void tg_cmd_capture(const tg_word *args, int nargs);
#define TG_CAMERA_CAPTURE_COMMAND \
    {"capture", 0, 0, tg_cmd_capture, "", "a frame from the camera, preprocessed; one inference"},
#else
#define TG_CAMERA_CAPTURE_COMMAND
#endif

/* The entries tg_ext.c adds to the `tg` command table in a camera firmware. */
#define TG_CAMERA_COMMANDS \
    {"camera", 0, 0, tg_cmd_camera, "", "the camera front end: formats, largest frame, model input, crop"}, \
    {"crop", 0, 4, tg_cmd_crop, "[X Y W H]", "region of the next frames (none: centred, the model's aspect)"}, \
    {"frame", 3, 3, tg_cmd_frame, "FORMAT W H", "start a frame (rgb565 rgb565be yuyv gray), then tg chunk"}, \
    {"chunk", 1, 1, tg_cmd_chunk, "N", "then N raw bytes: whole rows of the frame, preprocessed as they come"}, \
    {"input", 0, 0, tg_cmd_input, "", "the input buffer (the model's int8 input), hex"}, \
    TG_CAMERA_CAPTURE_COMMAND

#endif /* TG_CAMERA_H */
