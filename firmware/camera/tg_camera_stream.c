/* The camera front end's streamed model input: see tg_camera_stream.h. */
#include "tg_camera_stream.h"

#include <stddef.h>

#include "model.h"
#include "tg_io.h"
#include "tg_port.h"

#ifdef TG_MODEL_INPUT_STREAMED
/*
 * The input buffer holds the rows [tg_first, tg_end) of band tg_band's window, row tg_first at
 * offset 0. The preprocessing writes each input row into the window (tg_stream_row, tg_image's
 * sink); a row at or past the window's end first runs band tg_band (tg_model_invoke_band: its rows
 * are all there) and moves the rows the next window shares to the buffer's start. After the
 * frame's last row the remaining bands and tg_model_invoke_finish() run.
 */
static int32_t tg_band;          /* the band whose rows are arriving; TG_MODEL_INPUT_BANDS: all ran */
static int32_t tg_first;         /* its window: input rows [tg_first, tg_end) */
static int32_t tg_end;
static uint64_t tg_model_count;  /* counter units of this frame's model part: the bands, moves, finish */
static int tg_model_failed;      /* a band or the finish returned an error */

/* Band tg_band's window (past the last band: empty, at the end of the input). */
static void tg_stream_window(void)
{
    if (tg_band < TG_MODEL_INPUT_BANDS) {
        tg_model_input_band(tg_band, &tg_first, &tg_end);
    } else {
        tg_first = TG_MODEL_INPUT_ROWS;
        tg_end = TG_MODEL_INPUT_ROWS;
    }
}

/* Run band tg_band, whose rows are all in the window; then the next band's window, keeping the
   rows both share. */
static void tg_stream_step(void)
{
    uint64_t start = tg_port_counter();
    if (tg_model_invoke_band(tg_band) != 0) {
        tg_model_failed = 1;
    }
    const int32_t old_first = tg_first;
    const int32_t old_end = tg_end;
    tg_band++;
    tg_stream_window();
    if (tg_first < old_end) { /* windows only move down: keep [tg_first, old_end), at the start */
        int8_t *window = tg_model_input(0);
        const int8_t *from = window + (tg_first - old_first) * TG_MODEL_INPUT_ROW_BYTES;
        const int32_t n = (old_end - tg_first) * TG_MODEL_INPUT_ROW_BYTES;
        for (int32_t k = 0; from != window && k < n; k++) {
            window[k] = from[k]; /* forward: the destination is below the source */
        }
    }
    tg_model_count += tg_port_counter() - start;
}

/* tg_image's sink: where input row `row` goes in the window, after running the bands it
   completes; NULL: no band reads it. */
static int8_t *tg_stream_row(void *ctx, int32_t row)
{
    (void)ctx;
    while (row >= tg_end && tg_band < TG_MODEL_INPUT_BANDS) {
        tg_stream_step();
    }
    if (row < tg_first || row >= tg_end) {
        return NULL;
    }
    return tg_model_input(0) + (row - tg_first) * TG_MODEL_INPUT_ROW_BYTES;
}

int tg_camera_streamed(void)
{
    return 1;
}

void tg_camera_stream_start(tg_image_state *image)
{
    tg_band = 0;
    tg_stream_window();
    tg_model_count = 0;
    tg_model_failed = 0;
    image->sink = tg_stream_row;
    image->sink_ctx = NULL;
}

void tg_camera_stream_finish(void)
{
    while (tg_band < TG_MODEL_INPUT_BANDS) {
        tg_stream_step();
    }
    uint64_t start = tg_port_counter();
    if (tg_model_invoke_finish() != 0) {
        tg_model_failed = 1;
    }
    tg_model_count += tg_port_counter() - start;
}

uint64_t tg_camera_stream_count(void)
{
    return tg_model_count;
}

int tg_camera_stream_failed(void)
{
    return tg_model_failed;
}

void tg_camera_stream_print(void)
{
    tg_io_u64((uint64_t)TG_MODEL_INPUT_BANDS);
    tg_io_char('x');
    tg_io_u64((uint64_t)TG_MODEL_INPUT_WINDOW_ROWS);
}
#else
/* The whole input is held: the model runs apart from the frame (tg invoke, tg capture). */
int tg_camera_streamed(void)
{
    return 0;
}

void tg_camera_stream_start(tg_image_state *image)
{
    (void)image;
}

void tg_camera_stream_finish(void) {}

uint64_t tg_camera_stream_count(void)
{
    return 0;
}

int tg_camera_stream_failed(void)
{
    return 0;
}

void tg_camera_stream_print(void)
{
    tg_io_str("none");
}
#endif
