/* The camera front end and its protocol commands: see tg_camera.h and PROTOCOL.md. */
#include "tg_camera.h"

#include "model.h"
#include "tg_camera_stream.h"
#include "tg_infer.h"
#include "tg_input.h"
#include "tg_io.h"
#include "tg_port.h"

static const char *const tg_format_names[TG_IMAGE_NUM_FORMATS] = {"rgb565", "rgb565be", "yuyv", "gray"};

static const tg_camera_config *tg_cam;  /* the configuration of the frame in progress */
static tg_image_state tg_image;
static int tg_active;                   /* a frame started and not complete */
static uint32_t tg_row_bytes;
static uint32_t tg_chunk_max;           /* whole rows that fit the chunk buffer */
static uint32_t tg_received;
static uint32_t tg_frame_bytes;
static uint64_t tg_count;               /* counter units spent preprocessing this frame */
static int tg_crop_set;                 /* `tg crop X Y W H` given: its region, else centred */
static int32_t tg_crop[4];

static const tg_camera_config *tg_camera_config_now(void)
{
    return &tg_camera_configs[tg_get_switch()];
}

static uint8_t *tg_scratch(const tg_camera_config *cam)
{
    return (uint8_t *)tg_model_arena() + cam->scratch_offset;
}

static void tg_print_crop(const int32_t crop[4])
{
    for (int i = 0; i < 4; i++) {
        tg_io_u64((uint64_t)crop[i]);
        tg_io_char(i < 3 ? ',' : ']');
    }
    tg_io_end_line();
}

/* "e-[WHAT: FORMAT WxH" (the caller ends the line). */
static void tg_frame_error(const char *what, int32_t format, uint64_t w, uint64_t h)
{
    tg_io_str("e-[");
    tg_io_str(what);
    tg_io_str(": ");
    tg_io_str(tg_format_names[format]);
    tg_io_char(' ');
    tg_io_u64(w);
    tg_io_char('x');
    tg_io_u64(h);
}

static void tg_size_error(int32_t format, uint64_t w, uint64_t h, const tg_image_target *t)
{
    tg_frame_error("frame size", format, w, h);
    tg_io_str(" is not 1..");
    tg_io_u64((uint64_t)t->max_width);
    tg_io_char('x');
    tg_io_u64((uint64_t)t->max_height);
    tg_io_str(" (the largest frame this firmware was built for)]");
    tg_io_end_line();
}

int tg_camera_start(int32_t format, int32_t w, int32_t h)
{
    const tg_camera_config *cam = tg_camera_config_now();
    const tg_image_target *t = &cam->target;
    tg_image_frame f = {format, w, h, 0, 0, 0, 0};
    if (tg_crop_set) {
        f.crop_x = tg_crop[0];
        f.crop_y = tg_crop[1];
        f.crop_w = tg_crop[2];
        f.crop_h = tg_crop[3];
    } else if (w >= 1 && h >= 1 && w <= t->max_width && h <= t->max_height) {
        tg_image_center_crop(t, &f);
    }
    switch (tg_image_check(t, &f)) {
    case TG_IMAGE_OK:
        break;
    case TG_IMAGE_BAD_SIZE:
        tg_size_error(format, (uint64_t)w, (uint64_t)h, t);
        return -1;
    case TG_IMAGE_ODD_WIDTH:
        tg_frame_error("odd width", format, (uint64_t)w, (uint64_t)h);
        tg_io_str(": YUYV frames carry pixels in pairs]");
        tg_io_end_line();
        return -1;
    case TG_IMAGE_BAD_CROP:
        tg_frame_error("crop outside the frame", format, (uint64_t)w, (uint64_t)h);
        tg_io_str(", crop ");
        tg_io_u64((uint64_t)f.crop_x);
        tg_io_char(',');
        tg_io_u64((uint64_t)f.crop_y);
        tg_io_char(' ');
        tg_io_u64((uint64_t)f.crop_w);
        tg_io_char('x');
        tg_io_u64((uint64_t)f.crop_h);
        tg_io_str(" (tg crop with no arguments: centred)]");
        tg_io_end_line();
        return -1;
    default:
        tg_error("unknown frame format");
        return -1;
    }
    tg_infer_forget(); /* the scratch is in the arena: the last outputs are overwritten */
    (void)tg_image_begin(&tg_image, t, &f, tg_scratch(cam) + cam->chunk_bytes, (int8_t *)tg_input_fill());
    tg_camera_stream_start(&tg_image);
    tg_cam = cam;
    tg_row_bytes = (uint32_t)(w * tg_image_bytes_per_pixel(format));
    tg_chunk_max = (uint32_t)cam->chunk_bytes / tg_row_bytes * tg_row_bytes;
    tg_frame_bytes = tg_row_bytes * (uint32_t)h;
    tg_received = 0;
    tg_count = 0;
    tg_active = 1;
    return 0;
}

uint64_t tg_camera_rows(const uint8_t *rows, int32_t n)
{
    uint64_t start = tg_port_counter();
    uint64_t model = tg_camera_stream_count();
    for (int32_t i = 0; i < n; i++) {
        (void)tg_image_row(&tg_image, rows + (uint32_t)i * tg_row_bytes);
    }
    return tg_port_counter() - start - (tg_camera_stream_count() - model); /* bands run meanwhile: the model's */
}

void tg_camera_finish(uint64_t count)
{
    tg_active = 0;
    tg_input_filled();
    tg_camera_stream_finish();
    tg_io_str("m-tg-frame-done-[");
    tg_io_u64(count);
    tg_io_end_bracket();
    if (!tg_camera_streamed()) {
        return;
    }
    if (tg_camera_stream_failed()) {
        tg_error("frame: the model failed on a band (tg_model_invoke_band / tg_model_invoke_finish)");
        return;
    }
    tg_infer_outputs_done();
    tg_infer_print_out();
    tg_infer_print_count(tg_camera_stream_count());
}

void tg_cmd_camera(const tg_word *args, int nargs)
{
    TG_NO_ARGS();
    const tg_image_target *t = &tg_camera_config_now()->target;
    tg_io_str("m-tg-camera-[formats=");
    for (int i = 0; i < TG_IMAGE_NUM_FORMATS; i++) {
        tg_io_str(i ? "/" : "");
        tg_io_str(tg_format_names[i]);
    }
    tg_io_str(",max=");
    tg_io_u64((uint64_t)t->max_width);
    tg_io_char('x');
    tg_io_u64((uint64_t)t->max_height);
    tg_io_str(",input=");
    tg_io_u64((uint64_t)t->out_w);
    tg_io_char('x');
    tg_io_u64((uint64_t)t->out_h);
    tg_io_char('x');
    tg_io_u64((uint64_t)t->channels);
    tg_io_str(",chunk=");
    tg_io_u64((uint64_t)tg_camera_config_now()->chunk_bytes);
    tg_io_str(",capture=");
    tg_io_str(TG_CAMERA_CAPTURE_NAME);
    tg_io_str(",stream=");
    tg_camera_stream_print();
    tg_io_str(",crop=");
    if (tg_crop_set) {
        for (int i = 0; i < 4; i++) {
            tg_io_str(i ? "/" : "");
            tg_io_u64((uint64_t)tg_crop[i]);
        }
    } else {
        tg_io_str("center");
    }
    tg_io_end_bracket();
}

void tg_cmd_crop(const tg_word *args, int nargs)
{
    if (nargs != 0 && nargs != 4) {
        tg_error("usage: tg crop [X Y W H]");
        return;
    }
    uint32_t v[4] = {0u, 0u, 0u, 0u};
    for (int i = 0; i < nargs; i++) {
        if (tg_arg_u32(&args[i], &v[i]) != 0) {
            return;
        }
        if (v[i] > TG_IMAGE_MAX_DIM) {
            tg_error("crop: X, Y, W and H must be at most 1024");
            return;
        }
    }
    if (nargs == 4 && (v[2] == 0u || v[3] == 0u)) {
        tg_error("crop: W and H must be at least 1");
        return;
    }
    tg_crop_set = nargs == 4;
    for (int i = 0; i < 4; i++) {
        tg_crop[i] = (int32_t)v[i];
    }
    if (tg_crop_set) {
        tg_io_str("m-tg-crop-[");
        tg_print_crop(tg_crop);
    } else {
        tg_io_line("m-tg-crop-[center]");
    }
}

void tg_cmd_frame(const tg_word *args, int nargs)
{
    (void)nargs;
    int32_t format = -1;
    for (int i = 0; i < TG_IMAGE_NUM_FORMATS; i++) {
        if (tg_word_is(&args[0], tg_format_names[i])) {
            format = i;
        }
    }
    if (format < 0) {
        tg_io_str("e-[unknown frame format: ");
        tg_print_word(&args[0]);
        tg_io_str(" (rgb565, rgb565be, yuyv, gray)]");
        tg_io_end_line();
        return;
    }
    uint32_t w, h;
    if (tg_arg_u32(&args[1], &w) != 0 || tg_arg_u32(&args[2], &h) != 0) {
        return;
    }
    const tg_image_target *t = &tg_camera_config_now()->target;
    if (w > (uint32_t)t->max_width || h > (uint32_t)t->max_height) {
        tg_size_error(format, w, h, t); /* here: the numbers as given, beyond int32_t too */
        return;
    }
    if (tg_camera_start(format, (int32_t)w, (int32_t)h) != 0) {
        return;
    }
    const tg_image_frame *f = &tg_image.frame;
    int32_t crop[4] = {f->crop_x, f->crop_y, f->crop_w, f->crop_h};
    tg_io_str("m-tg-frame-[");
    tg_io_str(tg_format_names[format]);
    tg_io_char(',');
    tg_io_u64(w);
    tg_io_char(',');
    tg_io_u64(h);
    tg_io_char(',');
    tg_io_u64(tg_frame_bytes);
    tg_io_char(',');
    tg_io_u64(tg_chunk_max);
    tg_io_char(',');
    tg_print_crop(crop);
}

/* Read and drop the N bytes of a rejected chunk, so that they are not taken for commands. */
static void tg_chunk_reject(uint32_t n, const char *why)
{
    uint32_t dropped = tg_input_receive(NULL, n);
    tg_io_str("e-[");
    tg_io_str(why);
    tg_io_str(" (discarded ");
    tg_io_u64(dropped);
    tg_io_str(" bytes)]");
    tg_io_end_line();
}

void tg_cmd_chunk(const tg_word *args, int nargs)
{
    (void)nargs;
    uint32_t n;
    if (tg_arg_u32(&args[0], &n) != 0) {
        return;
    }
    if (tg_active && tg_input_staged() != 0u) {
        tg_active = 0; /* the input buffer was loaded since `tg frame` */
        tg_chunk_reject(n, "frame abandoned: the input buffer was loaded after tg frame; send tg frame again");
        return;
    }
    if (!tg_active) {
        tg_chunk_reject(n, "no frame in progress: send tg frame FORMAT W H first");
        return;
    }
    if (n == 0u || n % tg_row_bytes != 0u || n > tg_chunk_max || n > tg_frame_bytes - tg_received) {
        uint32_t dropped = tg_input_receive(NULL, n);
        tg_io_str("e-[chunk of ");
        tg_io_u64(n);
        tg_io_str(" bytes: send whole rows of ");
        tg_io_u64(tg_row_bytes);
        tg_io_str(" bytes, at most ");
        tg_io_u64(tg_chunk_max);
        tg_io_str(" per chunk and ");
        tg_io_u64(tg_frame_bytes - tg_received);
        tg_io_str(" left in the frame (discarded ");
        tg_io_u64(dropped);
        tg_io_str(" bytes)]");
        tg_io_end_line();
        return;
    }
    uint8_t *buffer = tg_scratch(tg_cam);
    uint32_t got = tg_input_receive(buffer, n);
    if (got < n) {
        tg_active = 0; /* the input buffer stays empty */
        tg_io_str("e-[chunk truncated: got ");
        tg_io_u64(got);
        tg_io_str(" of ");
        tg_io_u64(n);
        tg_io_str(" bytes; the frame is abandoned, send tg frame again]");
        tg_io_end_line();
        return;
    }
    tg_count += tg_camera_rows(buffer, (int32_t)(n / tg_row_bytes));
    tg_received += n;
    tg_io_str("m-tg-chunk-[");
    tg_io_u64(tg_received);
    tg_io_char(',');
    tg_io_u64(tg_frame_bytes);
    tg_io_end_bracket();
    if (tg_received == tg_frame_bytes) {
        tg_camera_finish(tg_count);
    }
}

void tg_cmd_input(const tg_word *args, int nargs)
{
    TG_NO_ARGS();
    if (tg_input_check() == 0) {
        tg_io_str("m-tg-input-[");
        tg_io_hex(tg_input_data(), TG_MODEL_INPUT_BYTES);
        tg_io_end_bracket();
    }
}
