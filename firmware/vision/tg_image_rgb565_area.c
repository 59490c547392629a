/*
 * The RGB565 path of tg_image_row: an RGB model's input shrunk along both axes by area (the
 * common camera case, QVGA to 96x96), bit-exact with the general path (tinygen/ref/camera.py).
 *
 * The general path unpacks each region pixel to three bytes, sums each row along the width
 * into 32-bit values per output column, then adds each row's sums into the output row's
 * (54 instructions per region pixel on the Cortex-M7 stand-in). This one sums along the height
 * first, two pixels at a time in 16-bit lanes, straight from the packed words:
 *
 * - A 32-bit word holds two pixels (LE: pixel 0 in the low half; RGB565BE: bytes swapped in
 *   each half first, REV16). Each channel of both pixels widens to 8 bits in one step of three
 *   instructions, e.g. red: ((x >> 8) & 0x00F800F8) | ((x >> 13) & 0x00070007), the 5 bits
 *   moved to the lane's top and their top 3 repeated below (r5 << 3 | r5 >> 2, tg_image.h).
 * - Along the height a row's weight is the general path's divided by gcd(crop_h, out_h): the
 *   weights of one output row then add up to tv = crop_h / gcd, and a lane's sum is at most
 *   255 tv, which stays below 2^15 (the path serves frames with tv <= 128); one multiply-add
 *   per channel word adds a row into the region's lanes (3 words per pixel pair).
 * - When an output row is complete, each output column's value is the weighted sum of its
 *   pixels' lanes, the width's weights likewise divided by gcd(crop_w, out_w) (adding up to th),
 *   doubled and laid out per column at the frame's start as int16 pairs matching the lanes
 *   (two 16x16 multiply-adds per lane word: SMLABB, SMLATT on the DSP cores).
 *
 * The general path divides the sum T of weights w_h w_v by D = crop_w crop_h rounded half up:
 * (T + D / 2) / D. Here T = g T' and D = g D' with g = gcd_h gcd_v, and the same value is
 * (2 T' + D' - (D & 1)) / (2 D'): for even D both are floor((2 T' + D') / (2 D')); for odd D,
 * (2 g T' + g D' - 1) / (2 g D') and (2 T' + D' - 1) / (2 D') are equal as 2 T' + D' = 2 D' q + r
 * gives q - 1 for both at r = 0 and q for both at 1 <= r < 2 D' (g r - 1 < 2 g D'). The sums start
 * at D' - (D & 1) and the weights are doubled, so the division is the only step left.
 */
#include <stddef.h>
#include <string.h>

#include "tg_image.h"

/* acc + the two int16 products of a lane word and a weight word (SMLABB + SMLATT). */
static inline int32_t tg_dot2(uint32_t lanes, int32_t w, int32_t acc)
{
    return acc + (int16_t)lanes * (int16_t)w + ((int32_t)lanes >> 16) * (w >> 16);
}

int tg_image_rgb565_area_plan(tg_image_state *s)
{
    const tg_image_target *t = s->target;
    const int32_t cw = s->frame.crop_w, ow = t->out_w, npairs = cw / 2;
    tg_image_area_shape shape;
    if (!tg_image_rgb565_area_shape(s, &shape)) {
        return 0;
    }
    const int32_t pairs = shape.pairs;
    /* the scratch */
    const uint32_t scratch = (uint32_t)tg_image_get_buffer_size(t);
    const uint32_t need = (uint32_t)(3 * npairs + ow * (1 + pairs)) * 4u;
    if (need > scratch) {
        return 0;
    }
    s->hweights = (int32_t *)s->rows[0];
    s->lanes = (uint32_t *)(s->hweights + ow * (1 + pairs));
    /* a second set of lanes where the scratch has room: a row the output row ends inside is then
       one pass (its rest starts the next output row's lanes), else two */
    s->next = need + (uint32_t)(3 * npairs) * 4u <= scratch ? s->lanes + 3 * npairs : NULL;
    tg_image_rgb565_area_start(s, &shape);
    memset(s->lanes, 0, (size_t)(3 * npairs) * sizeof(uint32_t));
    for (int32_t j = 0; j < ow; j++) {
        int32_t *hw = s->hweights + j * (1 + pairs);
        int32_t first = (int32_t)((uint32_t)j * (uint32_t)cw / (uint32_t)ow) / 2;
        int32_t base = first < npairs - pairs ? first : npairs - pairs;
        hw[0] = 3 * base;
        for (int32_t k = 0; k < pairs; k++) {
            const int32_t i = 2 * (base + k);
            hw[1 + k] = (int32_t)((uint32_t)tg_image_rgb565_area_weight(i, j, cw, ow, shape.gh) |
                                  (uint32_t)tg_image_rgb565_area_weight(i + 1, j, cw, ow, shape.gh) << 16);
        }
    }
    return 1;
}

/*
 * A value the compiler must keep in a register: the masks below are then operands of ANDs with
 * a shifted register (one instruction for a shift and a mask on Arm), not a shift and an AND
 * with an immediate. An empty asm: no instruction.
 */
static inline uint32_t tg_in_register(uint32_t v)
{
    __asm__("" : "+r"(v));
    return v;
}

/* Two pixels' channel words from their packed word x (LE halves; big_endian: swapped first). */
static inline __attribute__((always_inline)) void tg_rgb565_widen(uint32_t x, int32_t big_endian, uint32_t m5,
                                                                  uint32_t m3, uint32_t m6, uint32_t m2,
                                                                  uint32_t c[3])
{
    if (big_endian) {
        x = __builtin_bswap32(x);
        x = x >> 16 | x << 16; /* REV16: the bytes swapped within each half */
    }
    c[0] = (x >> 8 & m5) | (x >> 13 & m3);
    c[1] = (x >> 3 & m6) | (x >> 9 & m2);
    c[2] = (x << 3 & m5) | (x >> 2 & m3);
}

/*
 * A region row into the lanes: lanes += w x its pixel pairs' channel words, and where `split`
 * (a row the output row ends inside) next = w1 x the same words. big_endian and split are
 * constants after inlining.
 */
static inline __attribute__((always_inline)) void tg_rgb565_lanes_with(const uint8_t *p, int32_t npairs,
                                                                       int32_t big_endian, uint32_t w,
                                                                       uint32_t *lanes, int32_t split, uint32_t w1,
                                                                       uint32_t *next)
{
    const uint32_t m5 = tg_in_register(0x00F800F8u), m3 = tg_in_register(0x00070007u);
    const uint32_t m6 = tg_in_register(0x00FC00FCu), m2 = tg_in_register(0x00030003u);
    for (uint32_t *end = lanes + 3 * npairs; lanes != end; lanes += 3, p += 4) {
        uint32_t x, c[3];
        memcpy(&x, p, sizeof x);
        tg_rgb565_widen(x, big_endian, m5, m3, m6, m2, c);
        lanes[0] += w * c[0];
        lanes[1] += w * c[1];
        lanes[2] += w * c[2];
        if (split) {
            next[0] = w1 * c[0];
            next[1] = w1 * c[1];
            next[2] = w1 * c[2];
            next += 3;
        }
    }
}

/*
 * A row's pass: into the lanes (tg_image_rgb565_accumulate: the rows of one output row, most
 * of the work), and split between two output rows where next is not NULL.
 */
static void tg_rgb565_pass(const uint8_t *p, int32_t npairs, int32_t big_endian, uint32_t w, uint32_t *lanes,
                           uint32_t w1, uint32_t *next)
{
    if (next == NULL) {
        tg_image_rgb565_accumulate(p, npairs, big_endian, w, lanes);
    } else if (big_endian) {
        tg_rgb565_lanes_with(p, npairs, 1, w, lanes, 1, w1, next);
    } else {
        tg_rgb565_lanes_with(p, npairs, 0, w, lanes, 1, w1, next);
    }
}

/* Output row s->out_row from the lanes, `pairs` pairs per column (a constant after inlining). */
static inline __attribute__((always_inline)) void tg_rgb565_emit_with(const tg_image_state *s, int8_t *out,
                                                                      int32_t pairs)
{
    const int8_t *const lut_r = s->target->lut, *const lut_g = lut_r + 256, *const lut_b = lut_r + 512;
    const uint32_t *const lanes = s->lanes;
    const int32_t *hw = s->hweights;
    const uint32_t div = s->divisor2;
    const int32_t round = s->round;
#pragma GCC unroll 1
    for (int32_t n = s->target->out_w; n != 0; n--, out += 3, hw += 1 + pairs) {
        const uint32_t *l = lanes + hw[0];
        int32_t r = round, g = round, b = round;
#pragma GCC unroll 3
        for (int32_t k = 0; k < pairs; k++) {
            r = tg_dot2(l[3 * k], hw[1 + k], r);
            g = tg_dot2(l[3 * k + 1], hw[1 + k], g);
            b = tg_dot2(l[3 * k + 2], hw[1 + k], b);
        }
        out[0] = lut_r[(uint32_t)r / div];
        out[1] = lut_g[(uint32_t)g / div];
        out[2] = lut_b[(uint32_t)b / div];
    }
}

static void tg_rgb565_emit(tg_image_state *s)
{
    const int32_t values = s->target->out_w * 3;
    int8_t *out = s->sink != NULL ? s->sink(s->sink_ctx, s->out_row) : s->out + s->out_row * values;
    if (out != NULL) {
        switch (s->pairs) {
        case 1: tg_rgb565_emit_with(s, out, 1); break;
        case 2: tg_rgb565_emit_with(s, out, 2); break;
        default: tg_rgb565_emit_with(s, out, 3); break;
        }
    }
    s->out_row++;
}

void tg_image_rgb565_area_row(tg_image_state *s, const uint8_t *row)
{
    const tg_image_frame *f = &s->frame;
    const int32_t out_h = s->target->out_h, npairs = f->crop_w / 2;
    const uint8_t *p = row + 2 * f->crop_x;
    const int32_t be = f->format == TG_IMAGE_RGB565BE;
    const uint32_t full = (uint32_t)out_h / s->vunit;
    const int32_t end = s->vpos + out_h; /* the row covers [vpos, end) in 1/(crop_h out_h) units */
    if (end < s->vbound) {
        tg_rgb565_pass(p, npairs, be, full, s->lanes, 0u, NULL);
    } else {
        /* the output row ends inside this row: finish it, start the next with the rest */
        const uint32_t w0 = (uint32_t)(s->vbound - s->vpos) / s->vunit, w1 = (uint32_t)(end - s->vbound) / s->vunit;
        if (w1 != 0u && s->next != NULL) { /* both in one pass, then the next row's lanes are the current */
            uint32_t *next = s->next;
            tg_rgb565_pass(p, npairs, be, w0, s->lanes, w1, next);
            tg_rgb565_emit(s);
            s->next = s->lanes;
            s->lanes = next;
        } else {
            tg_rgb565_pass(p, npairs, be, w0, s->lanes, 0u, NULL);
            tg_rgb565_emit(s);
            memset(s->lanes, 0, (size_t)(3 * npairs) * sizeof(uint32_t));
            if (w1 != 0u) {
                tg_rgb565_pass(p, npairs, be, w1, s->lanes, 0u, NULL);
            }
        }
        s->vbound += f->crop_h;
    }
    s->vpos = end;
}
