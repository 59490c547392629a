/*
 * tg_depthwise_conv2d_s8_mve: depthwise 2-D convolution with depth multiplier 1 for Helium
 * (Armv8.1-M MVE, Cortex-M55), int8 in/out, per-channel requantization, for windows of
 * at most 16 taps (kernel_h * kernel_w <= 16: 3x3, k x 1, 1 x k ...), dilation 1, any
 * stride and padding. Equals tg_depthwise_conv2d_s8 bit for bit.
 * numpy twin: tinygen.ref.kernels.depthwise_conv2d_s8.
 *
 * Per output row, the scratch gets each channel's window columns with their kernel rows
 * interleaved: for channel c and padded column xp (0 .. wp-1, wp = (out_w - 1) * stride_w
 * + kernel_w), the kernel_h input values of that column, the input zero point where the
 * window leaves the input:
 *
 *   row[c * plane + xp * kernel_h + ky] = input[oy * stride_h - pad_top + ky][xp - pad_left][c]
 *
 * so that output (oy, ox, c) is the dot product of the kernel_h * kernel_w contiguous bytes
 * at row + c * plane + ox * stride_w * kernel_h with the channel's weights in the same
 * order, zeros completing 16: one VLDRB and one VMLADAVA.S8 per output. The row is
 * built 8 channels at a time: their bytes of one input column, widened to 16-bit lanes
 * (VLDRB.U16), go to the 8 channels' planes with one scatter (VSTRB.16). Outputs are
 * computed 8 pixels of a channel at a time, as two groups of 4 sums (STM, VLDRW: see
 * tg_mat_mult_s8_mve.h on the two-lane VMOV) requantized with the channel's constants as
 * scalars (tg_requant_mve_n) and narrowed into the even and the odd 16-bit lanes of one
 * vector, which one scatter (VSTRB.16) stores to the 8 pixels; fewer than 8 at the row's
 * end: a group of 8 or of 4, the store predicated to them.
 *
 * The packed constant (tinygen/kernels/mve_pack.py, depthwise_mve_records), int32 words:
 * [0] flags (TG_MVE_LEFT), then per channel 8 words: the folded bias
 * (bias + input_offset * sum of the channel's weights), multiplier, -right shift, left
 * shift, and its 16 weights in the row's tap order (kx, then ky).
 * Scratch: mve_pack.py depthwise_mve_scratch (channels * plane bytes, plane = wp *
 * kernel_h + 16 rounded to 16: a load may read 15 bytes past a channel's row).
 */
#include <arm_mve.h>
#include <stddef.h>
#include <stdint.h>

#include "tg_kernels.h"
#include "tg_requant_mve.h"

#define TG_DW_MVE_RECORD_WORDS 8

/* The plane of one channel in the row: mve_pack.py depthwise_mve_plane. */
static inline int32_t tg_dw_mve_plane(int32_t wp, int32_t kernel_h)
{
    return (wp * kernel_h + 16 + 15) / 16 * 16;
}

/* Columns [x0, x1) of one kernel row, 8 channels a group: the input pixels from src on
 * (C bytes apart) or, where src is NULL, the zero point. Whole groups two at a time and
 * unpredicated; the last group's lanes past the channels predicated off. */
static inline void tg_dw_mve_columns(const uint8_t *src, int32_t channels, int32_t x0, int32_t x1, int32_t kernel_h,
                                     int32_t plane, uint16x8_t scatter, uint16x8_t zp, int8_t *dst)
{
    const int32_t whole = channels / 8;
    const uint16x8_t scatter2 = vaddq_n_u16(scatter, (uint16_t)(8 * plane));
    dst += x0 * kernel_h;
    int32_t g = 0;
    for (; g + 2 <= whole; g += 2, dst += 16 * plane) {
        uint8_t *d = (uint8_t *)dst;
        if (src == NULL) {
            for (int32_t xp = x0; xp < x1; xp++, d += kernel_h) {
                vstrbq_scatter_offset_u16(d, scatter, zp);
                vstrbq_scatter_offset_u16(d, scatter2, zp);
            }
        } else {
            const uint8_t *s = src + 8 * g;
            for (int32_t xp = x0; xp < x1; xp++, d += kernel_h, s += channels) {
                const uint16x8_t a = vldrbq_u16(s), b = vldrbq_u16(s + 8);
                vstrbq_scatter_offset_u16(d, scatter, a);
                vstrbq_scatter_offset_u16(d, scatter2, b);
            }
        }
    }
    for (; g < whole; g++, dst += 8 * plane) {
        uint8_t *d = (uint8_t *)dst;
        if (src == NULL) {
            for (int32_t xp = x0; xp < x1; xp++, d += kernel_h) {
                vstrbq_scatter_offset_u16(d, scatter, zp);
            }
        } else {
            const uint8_t *s = src + 8 * g;
            for (int32_t xp = x0; xp < x1; xp++, d += kernel_h, s += channels) {
                vstrbq_scatter_offset_u16(d, scatter, vldrbq_u16(s));
            }
        }
    }
    if (channels % 8 != 0) {
        const mve_pred16_t pred = vctp16q((uint32_t)(channels % 8));
        uint8_t *d = (uint8_t *)dst;
        if (src == NULL) {
            for (int32_t xp = x0; xp < x1; xp++, d += kernel_h) {
                vstrbq_scatter_offset_p_u16(d, scatter, zp, pred);
            }
        } else {
            const uint8_t *s = src + 8 * whole;
            for (int32_t xp = x0; xp < x1; xp++, d += kernel_h, s += channels) {
                vstrbq_scatter_offset_p_u16(d, scatter, vldrbq_z_u16(s, pred), pred);
            }
        }
    }
}

/* Output row oy's window columns into row (see above). */
static void tg_dw_mve_row(const tg_conv2d_params_t *p, const int8_t *input, int32_t oy, int32_t wp, int32_t plane,
                          int8_t *row)
{
    const int32_t in_h = p->in_h, in_w = p->in_w, channels = p->in_c, kernel_h = p->kernel_h;
    const int32_t pad_left = p->pad_left;
    const uint16x8_t scatter = vmulq_n_u16(vidupq_n_u16(0, 1), (uint16_t)plane);
    const uint16x8_t zp = vdupq_n_u16((uint16_t)(uint8_t)(-p->input_offset));
    /* padded columns [0, left) and [right, wp) hold the zero point, [left, right) the input */
    const int32_t left = pad_left < wp ? pad_left : wp;
    const int32_t right = pad_left + in_w < wp ? pad_left + in_w : wp;
    for (int32_t ky = 0; ky < kernel_h; ky++) {
        const int32_t iy = oy * p->stride_h - p->pad_top + ky;
        int8_t *dst = row + ky;
        if (iy < 0 || iy >= in_h) {
            tg_dw_mve_columns(NULL, channels, 0, wp, kernel_h, plane, scatter, zp, dst);
            continue;
        }
        if (left > 0) {
            tg_dw_mve_columns(NULL, channels, 0, left, kernel_h, plane, scatter, zp, dst);
        }
        tg_dw_mve_columns((const uint8_t *)(input + (iy * in_w + left - pad_left) * channels), channels, left, right,
                          kernel_h, plane, scatter, zp, dst);
        if (right < wp) {
            tg_dw_mve_columns(NULL, channels, right, wp, kernel_h, plane, scatter, zp, dst);
        }
    }
}

/* What the output loop reads: the TG_DW_* offsets below. */
typedef struct {
    const int8_t *row;          /* channel 0's plane */
    int32_t plane;
    int8_t *out;                /* channel 0's output of the row's first pixel */
    const int32_t *records;     /* channel 0's record */
    int32_t channels_left;
    int32_t groups;             /* whole groups of 8 pixels */
    int32_t tail;               /* VPR mask of the pixels after them (16-bit lanes as scatter's), 0: none */
    int32_t tail_wide;          /* more than 4 of them: computed as a group of 8, else of 4 */
    int32_t group_out;          /* 8 * channels: bytes from a group's outputs to the next */
    int32_t sums[4];            /* the sums' round trip (STM, VLDRW) */
    int32_t spare[3];
    int16x8_t zp, lo, hi;       /* output zero point, act_min, act_max in every 16-bit lane */
    uint16x8_t scatter;         /* 16-bit lane 2i: pixel i's output at i * channels, lane 2i + 1: pixel 4 + i's */
} tg_dw_mve_t;

#define TG_DW_ROW 0
#define TG_DW_PLANE 4
#define TG_DW_OUT 8
#define TG_DW_RECORDS 12
#define TG_DW_CHANNELS 16
#define TG_DW_GROUPS 20
#define TG_DW_TAIL 24
#define TG_DW_TAIL_WIDE 28
#define TG_DW_GROUP_OUT 32
#define TG_DW_SUMS 36
#define TG_DW_ZP 64
#define TG_DW_LO 80
#define TG_DW_HI 96
#define TG_DW_SCATTER 112

typedef char tg_dw_mve_layout_check[(__builtin_offsetof(tg_dw_mve_t, group_out) == TG_DW_GROUP_OUT
                                     && __builtin_offsetof(tg_dw_mve_t, sums) == TG_DW_SUMS
                                     && __builtin_offsetof(tg_dw_mve_t, zp) == TG_DW_ZP
                                     && __builtin_offsetof(tg_dw_mve_t, scatter) == TG_DW_SCATTER) ? 1 : -1];

#define TG_DW_X(x) TG_MVE_X(x)
#define TG_DW_AT(field) TG_MVE_AT(field)

/* 4 outputs' sums: r0, r2, r4, r6 from 4 window loads STEP bytes apart (the weights in q4). */
#define TG_DW_DOTS(STEP)                                                                                       \
    "vldrb.8 q0, [r1], #" #STEP "\n\tvmladav.s8 r0, q0, q4\n\t"                                                \
    "vldrb.8 q0, [r1], #" #STEP "\n\tvmladav.s8 r2, q0, q4\n\t"                                                \
    "vldrb.8 q0, [r1], #" #STEP "\n\tvmladav.s8 r4, q0, q4\n\t"                                                \
    "vldrb.8 q0, [r1], #" #STEP "\n\tvmladav.s8 r6, q0, q4\n\t"

/* Their requantization into q1 (r8 bias, r10 multiplier, r12 -right shift, r9 the sums
 * buffer; q7 the -right shift in every lane, q3 the left shift; q0 free). */
#define TG_DW_LEFT_0 ""
#define TG_DW_LEFT_1 "vshl.s32 q1, q1, q3\n\t"
#define TG_DW_SIGN_0 ""
#define TG_DW_SIGN_1 "vand q0, q1, q7\n\tvshr.s32 q0, q0, #31\n\tvadd.i32 q1, q1, q0\n\t"
#define TG_DW_SCALE(LEFT, SIGN)                                                                                \
    "stm r9, {r0, r2, r4, r6}\n\t"                                                                             \
    "vldrw.32 q1, [r9]\n\t"                                                                                    \
    "vadd.i32 q1, q1, r8\n\t" TG_DW_LEFT_##LEFT "vqrdmulh.s32 q1, q1, r10\n\t" TG_DW_SIGN_##SIGN               \
    "vrshl.s32 q1, r12\n\t"

/* q2's 16-bit lanes to int8: the zero point, the clamp, the narrowing. */
#define TG_DW_CLAMP_0 ""
#define TG_DW_CLAMP_1                                                                                          \
    "vldrw.32 q1, " TG_DW_AT(TG_DW_LO) "\n\tvmax.s16 q2, q2, q1\n\t"                                           \
    "vldrw.32 q1, " TG_DW_AT(TG_DW_HI) "\n\tvmin.s16 q2, q2, q1\n\t"
#define TG_DW_FINISH(CLAMP) "vqadd.s16 q2, q2, q5\n\t" TG_DW_CLAMP_##CLAMP "vqmovnb.s16 q2, q2\n\t"

/* 4 pixels into q2's even 16-bit lanes; 8 pixels: the next 4 into its odd lanes. */
#define TG_DW_GROUP4(STEP, LEFT, SIGN, CLAMP)                                                                  \
    TG_DW_DOTS(STEP) TG_DW_SCALE(LEFT, SIGN) "vqmovnb.s32 q2, q1\n\t" TG_DW_FINISH(CLAMP)
#define TG_DW_GROUP8(STEP, LEFT, SIGN, CLAMP)                                                                  \
    TG_DW_DOTS(STEP) TG_DW_SCALE(LEFT, SIGN) "vqmovnb.s32 q2, q1\n\t"                                          \
    TG_DW_DOTS(STEP) TG_DW_SCALE(LEFT, SIGN) "vqmovnt.s32 q2, q1\n\t" TG_DW_FINISH(CLAMP)

#define TG_DW_BODY(STEP, LEFT, SIGN, CLAMP)                                                                    \
    "push {r4-r11, lr}\n\t"                                                                                    \
    "vpush {d8-d15}\n\t"                                                                                       \
    "mov r11, r0\n\t"                                                                                          \
    "vldrw.32 q5, " TG_DW_AT(TG_DW_ZP) "\n\t"                                                                  \
    "vldrw.32 q6, " TG_DW_AT(TG_DW_SCATTER) "\n\t"                                                             \
    "add r9, r11, #" TG_DW_X(TG_DW_SUMS) "\n\t"                                                                \
    "ldr r7, " TG_DW_AT(TG_DW_ROW) "\n\t"                                                                      \
    "ldr r3, " TG_DW_AT(TG_DW_OUT) "\n\t"                                                                      \
    "ldr r5, " TG_DW_AT(TG_DW_RECORDS) "\n"                                                                    \
    "10:\n\t" /* the next channel: its constants and weights, its plane, its first output */                  \
    "ldm r5, {r8, r10, r12}\n\t"                                                                               \
    "vdup.32 q7, r12\n\t"                                                                                      \
    "ldr r0, [r5, #12]\n\t"                                                                                    \
    "vdup.32 q3, r0\n\t"                                                                                       \
    "vldrw.32 q4, [r5, #16]\n\t"                                                                               \
    "adds r5, r5, #32\n\t"                                                                                     \
    "mov r1, r7\n\t"                                                                                           \
    "push {r3}\n\t"                                                                                            \
    "ldr r0, " TG_DW_AT(TG_DW_GROUPS) "\n\t"                                                                   \
    "wls lr, r0, 2f\n"                                                                                         \
    "1:\n\t" TG_DW_GROUP8(STEP, LEFT, SIGN, CLAMP)                                                             \
    "vstrb.16 q2, [r3, q6]\n\t"                                                                                \
    "ldr r0, " TG_DW_AT(TG_DW_GROUP_OUT) "\n\t"                                                                \
    "add r3, r3, r0\n\t"                                                                                       \
    "le lr, 1b\n"                                                                                              \
    "2:\n\t" /* the last pixels, fewer than 8: as a group of 8 or of 4, the stores predicated */             \
    "ldr r0, " TG_DW_AT(TG_DW_TAIL) "\n\t"                                                                     \
    "cmp r0, #0\n\t"                                                                                           \
    "beq 3f\n\t"                                                                                               \
    "vmsr p0, r0\n\t"                                                                                          \
    "ldr r0, " TG_DW_AT(TG_DW_TAIL_WIDE) "\n\t"                                                                \
    "cmp r0, #0\n\t"                                                                                           \
    "beq 4f\n\t" TG_DW_GROUP8(STEP, LEFT, SIGN, CLAMP)                                                         \
    "b 5f\n"                                                                                                   \
    "4:\n\t" TG_DW_GROUP4(STEP, LEFT, SIGN, CLAMP)                                                             \
    "5:\n\t"                                                                                                   \
    "vpst\n\t"                                                                                                 \
    "vstrbt.16 q2, [r3, q6]\n"                                                                                 \
    "3:\n\t"                                                                                                   \
    "pop {r3}\n\t"                                                                                             \
    "adds r3, r3, #1\n\t"                                                                                      \
    "ldr r0, " TG_DW_AT(TG_DW_PLANE) "\n\t"                                                                    \
    "add r7, r7, r0\n\t"                                                                                       \
    "ldr r0, " TG_DW_AT(TG_DW_CHANNELS) "\n\t"                                                                 \
    "subs r0, r0, #1\n\t"                                                                                      \
    "str r0, " TG_DW_AT(TG_DW_CHANNELS) "\n\t"                                                                 \
    "bne 10b\n\t"                                                                                              \
    "vpop {d8-d15}\n\t"                                                                                        \
    "pop {r4-r11, pc}\n\t"

#define TG_DW_VARIANT(NAME, STEP, LEFT, SIGN, CLAMP)                                                           \
    __attribute__((naked, noinline)) static void NAME(tg_dw_mve_t *d)                                          \
    {                                                                                                          \
        (void)d;                                                                                               \
        __asm volatile(TG_DW_BODY(STEP, LEFT, SIGN, CLAMP));                                                   \
    }

/* The output loop for column steps of 3 (3x3, stride 1) and 6 (3x3, stride 2), per
 * requantization variant (tg_requant_mve.h: left shift, tie correction, clamp). */
TG_DW_VARIANT(tg_dw_mve_3_general, 3, 1, 1, 1)
TG_DW_VARIANT(tg_dw_mve_3_sign, 3, 0, 1, 1)
TG_DW_VARIANT(tg_dw_mve_3_clamp, 3, 0, 0, 1)
TG_DW_VARIANT(tg_dw_mve_3_plain, 3, 0, 0, 0)
TG_DW_VARIANT(tg_dw_mve_6_general, 6, 1, 1, 1)
TG_DW_VARIANT(tg_dw_mve_6_sign, 6, 0, 1, 1)
TG_DW_VARIANT(tg_dw_mve_6_clamp, 6, 0, 0, 1)
TG_DW_VARIANT(tg_dw_mve_6_plain, 6, 0, 0, 0)

/* Any other column step: the same computation in C, 4 pixels at a time. */
static void tg_dw_mve_any(const tg_conv2d_params_t *p, const tg_dw_mve_t *d)
{
    const int32_t channels = p->out_c, out_w = p->out_w, step = p->stride_w * p->kernel_h;
    const uint32x4_t scatter = vmulq_n_u32(vidupq_n_u32(0, 1), (uint32_t)channels);
    const int32_t *records = d->records;
    const int8_t *row = d->row;
    for (int32_t c = 0; c < channels; c++, records += TG_DW_MVE_RECORD_WORDS, row += d->plane) {
        const int8x16_t w = vldrbq_s8((const int8_t *)(records + 4));
        const int8_t *x = row;
        int8_t *o = d->out + c;
        for (int32_t ox = 0; ox < out_w; ox += 4, o += 4 * channels) {
            int32_t s[4];
            for (int32_t i = 0; i < 4; i++, x += step) {
                s[i] = vmladavq_s8(vldrbq_s8(x), w);
            }
            int32x4_t acc = vaddq_n_s32(vldrwq_s32(s), records[0]);
            acc = tg_requant_mve_n(acc, records[1], records[2], records[3], 1, 1);
            const int8x16_t b = tg_mve_narrow1(acc, d->zp, d->lo, d->hi, 1);
            vstrbq_scatter_offset_p_s32(o, scatter, vreinterpretq_s32_s8(b), vctp32q((uint32_t)(out_w - ox)));
        }
    }
}

void tg_depthwise_conv2d_s8_mve(const tg_conv2d_params_t *p, const int8_t *input, const int32_t *packed,
                                int8_t *scratch, int8_t *output)
{
    const int32_t wp = (p->out_w - 1) * p->stride_w + p->kernel_w;
    const int32_t plane = tg_dw_mve_plane(wp, p->kernel_h);
    const int32_t step = p->stride_w * p->kernel_h;
    const int left = (packed[0] & TG_MVE_LEFT) != 0;
    const int sign = p->act_min < p->output_offset;
    const int clamp = p->act_min > -128 || p->act_max < 127;
    const int variant = left ? 0 : sign ? 1 : clamp ? 2 : 3;
    static void (*const k_step3[4])(tg_dw_mve_t *) = {tg_dw_mve_3_general, tg_dw_mve_3_sign, tg_dw_mve_3_clamp,
                                                        tg_dw_mve_3_plain};
    static void (*const k_step6[4])(tg_dw_mve_t *) = {tg_dw_mve_6_general, tg_dw_mve_6_sign, tg_dw_mve_6_clamp,
                                                        tg_dw_mve_6_plain};
    void (*const loop)(tg_dw_mve_t *) = step == 3 ? k_step3[variant] : step == 6 ? k_step6[variant] : NULL;
    tg_dw_mve_t d;
    d.plane = plane;
    d.groups = p->out_w / 8;
    const int32_t rest = p->out_w % 8;
    d.tail = 0;
    for (int32_t i = 0; i < 4; i++) {
        d.tail |= (i < rest ? 3 : 0) << (4 * i) | (4 + i < rest ? 3 : 0) << (4 * i + 2);
    }
    d.tail_wide = rest > 4;
    d.group_out = 8 * p->out_c;
    d.zp = vdupq_n_s16((int16_t)p->output_offset);
    d.lo = vdupq_n_s16((int16_t)p->act_min);
    d.hi = vdupq_n_s16((int16_t)p->act_max);
    /* lanes 0, 2, 4, 6: pixels 0 .. 3; lanes 1, 3, 5, 7: pixels 4 .. 7 */
    const uint16x8_t lane = vidupq_n_u16(0, 1);
    const uint16x8_t pixel = vaddq_u16(vshrq_n_u16(lane, 1), vmulq_n_u16(vandq_u16(lane, vdupq_n_u16(1)), 4));
    d.scatter = vmulq_n_u16(pixel, (uint16_t)p->out_c);
    const int32_t row_bytes = p->out_w * p->out_c;
    for (int32_t oy = 0; oy < p->out_h; oy++, output += row_bytes) {
        tg_dw_mve_row(p, input, oy, wp, plane, scratch);
        d.row = scratch;
        d.out = output;
        d.records = packed + 1;
        d.channels_left = p->out_c;
        if (loop != NULL) {
            loop(&d);
        } else {
            tg_dw_mve_any(p, &d);
        }
    }
}
