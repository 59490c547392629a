/*
 * tinygen image preprocessing: a camera frame in, the model's int8 input out.
 *
 * A frame arrives row by row (tg_image_row), in one of the camera formats below, at any
 * size up to the target's max_width x max_height. The region `crop` of it (by default the
 * largest centred region with the model's aspect ratio, tg_image_center_crop) is resized
 * to the model's out_w x out_h: by area averaging along an axis where the region is at
 * least as large as the model's input, by bilinear interpolation (half-pixel centres,
 * weights in 1/256) where it is smaller. Colours are converted to the model's channels
 * (3: RGB, 1: gray), and each resized 8-bit pixel value p of channel c becomes the int8
 * input lut[c * 256 + p]: the build computes that table from the model's input scale and
 * zero point, so the device only looks it up.
 *
 * Integer arithmetic only; a frame is never held whole: the state keeps two rows of the
 * output width and one row of the region (tg_image_get_buffer_size bytes of scratch, in
 * the model's arena between inferences). The numpy twin is tinygen/ref/camera.py, bit-exact.
 *
 * Formats (bytes per pixel):
 *   TG_IMAGE_RGB565    2  16-bit words RRRRRGGG GGGBBBBB stored low byte first
 *   TG_IMAGE_RGB565BE  2  the same words high byte first (as OV2640 / OV7670 sensors and
 *                         the esp32-camera driver deliver them)
 *   TG_IMAGE_YUYV      2  YUV 4:2:2, Y0 U Y1 V for each pair of pixels (even widths);
 *                         BT.601 limited range, converted with the BT.601 integer formula:
 *                         C = Y - 16, D = U - 128, E = V - 128,
 *                         R = (298 C + 409 E + 128) >> 8, G = (298 C - 100 D - 208 E + 128) >> 8,
 *                         B = (298 C + 516 D + 128) >> 8, each clamped to 0..255;
 *                         gray is (298 C + 128) >> 8 clamped (R = G = B of a pixel with U = V = 128)
 *   TG_IMAGE_GRAY      1  8-bit luminance; replicated to three channels for an RGB model
 * RGB565 channels widen to 8 bits by repeating their top bits (r5 -> r5 << 3 | r5 >> 2); an
 * RGB pixel becomes gray as (77 R + 150 G + 29 B + 128) >> 8 (BT.601 luma weights).
 */
#ifndef TG_IMAGE_H
#define TG_IMAGE_H

#include <stdint.h>

#define TG_IMAGE_RGB565 0
#define TG_IMAGE_RGB565BE 1
#define TG_IMAGE_YUYV 2
#define TG_IMAGE_GRAY 3
#define TG_IMAGE_NUM_FORMATS 4

/* Return codes of tg_image_check and tg_image_begin. */
#define TG_IMAGE_OK 0
#define TG_IMAGE_BAD_FORMAT (-1) /* not one of the TG_IMAGE_ formats */
#define TG_IMAGE_BAD_SIZE (-2)   /* width or height 0, or beyond the target's max_width / max_height */
#define TG_IMAGE_ODD_WIDTH (-3)  /* a YUYV frame needs an even width */
#define TG_IMAGE_BAD_CROP (-4)   /* the crop region is empty or not inside the frame */

/* Bilinear weights are in units of 1/2^TG_IMAGE_FRAC_BITS. */
#define TG_IMAGE_FRAC_BITS 8
#define TG_IMAGE_FRAC_ONE (1 << TG_IMAGE_FRAC_BITS)

/* The largest frame side the 32-bit sums allow (255 x 1024 x 1024 < 2^32). */
#define TG_IMAGE_MAX_DIM 1024

/* What the frames are turned into: the model's input, fixed at build time. */
typedef struct {
    int32_t out_w;        /* model input width, height and channels (1 or 3), HWC int8 */
    int32_t out_h;
    int32_t channels;
    int32_t max_width;    /* largest frame accepted (sizes the scratch), <= TG_IMAGE_MAX_DIM */
    int32_t max_height;
    const int8_t *lut;    /* channels x 256: resized 8-bit pixel value -> int8 model input */
} tg_image_target;

/* One frame: its format and size, and the region resized into the model's input. */
typedef struct {
    int32_t format;       /* TG_IMAGE_RGB565 ... TG_IMAGE_GRAY */
    int32_t width;
    int32_t height;
    int32_t crop_x;       /* region: columns crop_x .. crop_x + crop_w - 1, rows likewise */
    int32_t crop_y;
    int32_t crop_w;
    int32_t crop_h;
} tg_image_frame;

/* A bilinear tap: source index i0 and the weight of i0 + 1 in 1/256 (i0 gets 256 - frac). */
typedef struct {
    uint16_t index;
    uint16_t frac;
} tg_image_tap;

/*
 * Where output row `row` goes, for a caller that does not hold the whole output (a model whose
 * input streams in, firmware/camera): a pointer to out_w x channels bytes, or NULL to drop the
 * row. Called once per output row, in order, just before the row is written.
 */
typedef int8_t *(*tg_image_sink)(void *ctx, int32_t row);

typedef struct tg_image_state tg_image_state;

/* A region row's work on a path that takes the whole row (tg_image_row hands it the row). */
typedef void (*tg_image_row_fn)(tg_image_state *s, const uint8_t *row);

/* A frame in progress (filled by tg_image_begin; its pointers point into the scratch). */
struct tg_image_state {
    const tg_image_target *target;
    tg_image_frame frame;
    int8_t *out;          /* out_h x out_w x channels (unless sink is set) */
    tg_image_sink sink;   /* NULL (tg_image_begin's): rows go to out; else where sink says */
    void *sink_ctx;
    uint32_t *rows[2];    /* out_w x channels each: area: the row's sums, the accumulator; bilinear: two rows */
    tg_image_tap *htaps;  /* out_w taps when the width is enlarged */
    tg_image_tap *vtaps;  /* out_h taps when the height is enlarged */
    uint8_t *line;        /* the region's part of the current row, channels per pixel */
    int32_t h_area;       /* 1: area averaging along the width, 0: bilinear */
    int32_t v_area;
    uint32_t divisor;     /* sum of the weights of one output value: (crop_w or 256) x (crop_h or 256) */
    int32_t y;            /* next frame row */
    int32_t out_row;      /* next output row */
    int32_t vpos;         /* area along the height: start of the row in 1/(crop_h out_h) units */
    int32_t vbound;       /* ... and the end of output row out_row */
    /* the area paths that take whole rows (tg_image_rgb565_area.c, tg_image_planar_area_mve.c) */
    tg_image_row_fn area_row; /* NULL: the general path; else the region's rows go to it */
    /* (the Helium paths lay these out as their files say: planes of 16-bit lanes, weight vectors) */
    uint32_t *lanes;      /* per pixel pair of the region, its R, G, B words: 16-bit sums along the height */
    uint32_t *next;       /* the next output row's lanes, or NULL (the scratch has no room for them) */
    int32_t *hweights;    /* per output column: its first pair's word offset, then pairs int16 weight pairs */
    int32_t pairs;        /* pixel pairs per output column (the most any spans); planar: the weights' period */
    uint32_t vunit;       /* gcd(crop_h, out_h): the height's weights in these units */
    int32_t round;        /* out = (sum + round) / divisor2 (twice the reduced sums, see the .c) */
    uint32_t divisor2;
};

/* Bytes per pixel of a format (0 for an unknown one). */
static inline int32_t tg_image_bytes_per_pixel(int32_t format)
{
    switch (format) {
    case TG_IMAGE_RGB565:
    case TG_IMAGE_RGB565BE:
    case TG_IMAGE_YUYV: return 2;
    case TG_IMAGE_GRAY: return 1;
    default: return 0;
    }
}

/*
 * Scratch bytes tg_image_begin needs for `t` (4-byte aligned): two rows of out_w x channels
 * uint32 sums, out_w + out_h taps, and one row of max_width x channels bytes rounded up to
 * 4. tinygen/passes/camera_input.py computes the same (checked by a host test).
 */
int32_t tg_image_get_buffer_size(const tg_image_target *t);

/* Whether `f` is a frame `t` accepts: TG_IMAGE_OK or one of the error codes above. */
int tg_image_check(const tg_image_target *t, const tg_image_frame *f);

/*
 * Set f->crop_* to the largest region with the model's aspect ratio (out_w : out_h)
 * centred in the f->width x f->height frame: the full height and
 * height * out_w / out_h columns starting at (width - crop_w) / 2 when the frame is
 * wider, else the full width and width * out_h / out_w rows (integer division, at least 1).
 */
void tg_image_center_crop(const tg_image_target *t, tg_image_frame *f);

/*
 * Start a frame: check it (returns the error code, changing nothing, if bad), lay out
 * `scratch` (tg_image_get_buffer_size(t) bytes, 4-byte aligned) and compute the taps.
 * `out` receives out_h x out_w x channels int8 values as the rows arrive.
 */
int tg_image_begin(tg_image_state *s, const tg_image_target *t, const tg_image_frame *f, void *scratch,
                   int8_t *out);

/*
 * Feed the next frame row (width x bytes-per-pixel bytes; rows outside the crop are
 * skipped). Returns 1 once every output row is written (the rows after the region's
 * last are then ignored), else 0.
 */
int tg_image_row(tg_image_state *s, const uint8_t *row);

/*
 * Pixels x0 .. x0 + n - 1 of a frame row to `channels` (1 or 3) bytes each in dst.
 * RGB565: big_endian selects TG_IMAGE_RGB565BE's byte order.
 */
void tg_image_unpack_rgb565(const uint8_t *row, int32_t x0, int32_t n, int32_t big_endian, int32_t channels,
                            uint8_t *dst);
void tg_image_unpack_yuyv(const uint8_t *row, int32_t x0, int32_t n, int32_t channels, uint8_t *dst);
void tg_image_unpack_gray(const uint8_t *row, int32_t x0, int32_t n, int32_t channels, uint8_t *dst);

/*
 * Shrink a row of in_w pixels (channels bytes each) to out_w <= in_w by area: output j
 * covers input [j in_w / out_w, (j + 1) in_w / out_w); dst[j] = sum of each input pixel
 * times its overlap in 1/out_w pixel units (the weights of one output sum to in_w).
 */
void tg_image_hscale_area(const uint8_t *line, int32_t in_w, int32_t out_w, int32_t channels, uint32_t *dst);

/* Enlarge a row with taps: dst[j] = line[i0] x (256 - frac) + line[min(i0 + 1, in_w - 1)] x frac. */
void tg_image_hscale_bilinear(const uint8_t *line, int32_t in_w, const tg_image_tap *taps, int32_t out_w,
                              int32_t channels, uint32_t *dst);

/*
 * Bilinear taps from `in` samples to `out` > `in`, half-pixel centres: output j samples
 * s = (j + 1/2) in / out - 1/2, clamped to [0, in - 1]; index = floor(s), frac = the
 * fraction of s rounded to 1/256 (exactly: num = max(0, (2j + 1) in - out),
 * index = num / (2 out), frac = ((num mod 2 out) x 256 + out) / (2 out); index >= in - 1
 * becomes in - 1 with frac 0).
 */
void tg_image_bilinear_taps(int32_t in, int32_t out, tg_image_tap *taps);

/*
 * The RGB565 path of tg_image_row for an RGB model shrinking along both axes
 * (tg_image_rgb565_area.c): at tg_image_begin, whether it takes the frame (1, its tables laid
 * out in the scratch) or not (0: the general path); then one region row.
 */
int tg_image_rgb565_area_plan(tg_image_state *s);
void tg_image_rgb565_area_row(tg_image_state *s, const uint8_t *row);

/* What both versions of that path share (tg_image_rgb565_area_shape.c): the reduced units
   gh = gcd(crop_w, out_w), gv = gcd(crop_h, out_h), th = crop_w / gh, tv = crop_h / gv and the
   pixel pairs an output column spans; _shape returns 0 where the path cannot take the frame. */
typedef struct {
    uint32_t gh, gv, th, tv;
    int32_t pairs;
} tg_image_area_shape;

int tg_image_rgb565_area_shape(const tg_image_state *s, tg_image_area_shape *shape);
/* The greatest common divisor of a and b (a, b > 0; in tg_image_rgb565_area_shape.c). */
uint32_t tg_image_gcd(uint32_t a, uint32_t b);
/* s's pairs, vunit, round and divisor2 from the shape. */
void tg_image_rgb565_area_start(tg_image_state *s, const tg_image_area_shape *shape);
/* Region pixel i's weight in output column j (doubled, in the width's reduced units). */
int32_t tg_image_rgb565_area_weight(int32_t i, int32_t j, int32_t cw, int32_t ow, uint32_t gh);

/*
 * That path's inner loop: lanes += w x the channel words of npairs RGB565 pixel pairs at p (per
 * pair the R, G and B words, each two 16-bit lanes: pixel 0 low; tg_image_rgb565_area.c).
 * tg_image_rgb565_accumulate.c in C, tg_image_rgb565_accumulate_dsp.c in Thumb-2 assembly for
 * the Cortex-M4/M7 (the build takes the _dsp file on a board with the "dsp" feature).
 */
void tg_image_rgb565_accumulate(const uint8_t *p, int32_t npairs, int32_t big_endian, uint32_t w,
                                uint32_t *lanes);

/*
 * The planar area path: YUYV and gray frames shrunk along both axes, bit-exact with the
 * general path. tg_image_planar_area_plan (at tg_image_begin, after the RGB565 path declined)
 * returns the function the region's rows go to, its tables laid out in the scratch, or NULL:
 * the general path. Helium (tg_image_planar_area_mve.c, Cortex-M55) sums each channel along
 * the height in a plane of 16-bit lanes, a lane per region pixel, 8 pixels per vector; the
 * portable tg_image_planar_area.c takes no frame (the general path serves every other core).
 */
tg_image_row_fn tg_image_planar_area_plan(tg_image_state *s);

#endif /* TG_IMAGE_H */
