/*
 * `tg capture` on ESP32 camera boards (esp32-cam, esp32-s3-eye; the board file's [camera]
 * table): a frame from the sensor through Espressif's esp32-camera component (fetched by
 * ESP-IDF's component manager, main/idf_component.yml), preprocessed by the camera front
 * end straight from the driver's frame buffer (row by row, as frames over the protocol),
 * then one inference.
 *
 * The driver owns its frame buffer (allocated by esp_camera_init, in PSRAM where the board
 * file says so); everything of tinygen's stays static. Settings come from camera.h
 * (generated): TG_CAMERA_PIN_*, TG_CAMERA_PIXFORMAT / TG_CAMERA_FORMAT (the same layout in
 * the driver's and tg_image.h's names), TG_CAMERA_FRAMESIZE, TG_CAMERA_WIDTH / HEIGHT.
 *
 * Written against esp32-camera 2.0 (camera_config_t with pin_sccb_sda / pin_sccb_scl);
 * untested: no ESP-IDF or Xtensa compiler where tinygen is developed.
 */
#include <stdint.h>

#include "esp_camera.h"
#include "esp_err.h"

#include "model.h"
#include "tg_camera.h"
#include "tg_camera_stream.h"
#include "tg_infer.h"
#include "tg_io.h"
#include "tg_protocol.h"

static int tg_camera_ready;

static void tg_camera_error(const char *what, esp_err_t err)
{
    tg_io_str("e-[camera: ");
    tg_io_str(what);
    tg_io_str(": ");
    tg_io_str(esp_err_to_name(err));
    tg_io_end_bracket();
}

/* esp_camera_init on the first capture: the sensor stays off until a host asks for frames. */
static int tg_camera_init(void)
{
    if (tg_camera_ready) {
        return 0;
    }
    const camera_config_t config = {
        .pin_pwdn = TG_CAMERA_PIN_PWDN,
        .pin_reset = TG_CAMERA_PIN_RESET,
        .pin_xclk = TG_CAMERA_PIN_XCLK,
        .pin_sccb_sda = TG_CAMERA_PIN_SCCB_SDA,
        .pin_sccb_scl = TG_CAMERA_PIN_SCCB_SCL,
        .pin_d7 = TG_CAMERA_PIN_D7,
        .pin_d6 = TG_CAMERA_PIN_D6,
        .pin_d5 = TG_CAMERA_PIN_D5,
        .pin_d4 = TG_CAMERA_PIN_D4,
        .pin_d3 = TG_CAMERA_PIN_D3,
        .pin_d2 = TG_CAMERA_PIN_D2,
        .pin_d1 = TG_CAMERA_PIN_D1,
        .pin_d0 = TG_CAMERA_PIN_D0,
        .pin_vsync = TG_CAMERA_PIN_VSYNC,
        .pin_href = TG_CAMERA_PIN_HREF,
        .pin_pclk = TG_CAMERA_PIN_PCLK,
        .xclk_freq_hz = TG_CAMERA_XCLK_HZ,
        .ledc_timer = LEDC_TIMER_0,
        .ledc_channel = LEDC_CHANNEL_0,
        .pixel_format = TG_CAMERA_PIXFORMAT,
        .frame_size = TG_CAMERA_FRAMESIZE,
        .jpeg_quality = 12, /* unused: raw frames */
        .fb_count = 1,
        .fb_location = TG_CAMERA_FB_IN_PSRAM ? CAMERA_FB_IN_PSRAM : CAMERA_FB_IN_DRAM,
        .grab_mode = CAMERA_GRAB_LATEST,
    };
    esp_err_t err = esp_camera_init(&config);
    if (err != ESP_OK) {
        tg_camera_error("esp_camera_init failed", err);
        return -1;
    }
    tg_camera_ready = 1;
    return 0;
}

void tg_cmd_capture(const tg_word *args, int nargs)
{
    TG_NO_ARGS();
    if (tg_camera_init() != 0) {
        return;
    }
    camera_fb_t *fb = esp_camera_fb_get();
    if (fb == NULL) {
        tg_error("camera: no frame (esp_camera_fb_get returned none)");
        return;
    }
    const uint32_t expected = (uint32_t)(TG_CAMERA_WIDTH * TG_CAMERA_HEIGHT * tg_image_bytes_per_pixel(TG_CAMERA_FORMAT));
    if (fb->width != (size_t)TG_CAMERA_WIDTH || fb->height != (size_t)TG_CAMERA_HEIGHT || fb->len != (size_t)expected) {
        esp_camera_fb_return(fb);
        tg_error("camera: the driver delivered a frame of another size or format than configured");
        return;
    }
    if (tg_camera_start(TG_CAMERA_FORMAT, TG_CAMERA_WIDTH, TG_CAMERA_HEIGHT) != 0) {
        esp_camera_fb_return(fb);
        return;
    }
    uint64_t count = tg_camera_rows(fb->buf, TG_CAMERA_HEIGHT);
    esp_camera_fb_return(fb);
    tg_camera_finish(count);
    if (tg_camera_streamed()) {
        return; /* the model ran band by band as the rows came, and its outputs are printed */
    }
    uint64_t invoke = tg_infer_run();
    tg_infer_print_out();
    tg_infer_print_count(invoke);
}
