/*
 * One output of tinygen's portable sub-byte and power-of-two weight convolutions
 * (tg_conv2d_s8_s4_s8, tg_conv2d_s8_s2_s8, tg_conv2d_s8_p4_s8): the loop nest of
 * tg_conv2d_s8_output over packed weight rows, the weight decode a compile-time
 * constant `kind` after inlining. See tg_kernels_subbyte.h and LOWBIT.md.
 */
#ifndef TG_CONV2D_SUBBYTE_H
#define TG_CONV2D_SUBBYTE_H

#include <stddef.h>
#include <stdint.h>

#include "tg_kernels_subbyte.h"
#include "tg_lowbit_bias_shift.h"
#include "tg_requant.h"

/* how a kernel turns a code into its term of the sum */
#define TG_SUBBYTE_INT 0    /* two's complement code c: c * a, or (2c + 1) * a with odd */
#define TG_SUBBYTE_POW2 1   /* pow2 code: +-(a << e), shifts and additions only */

/* Bytes per packed row of k codes of `bits` bits: whole 32-bit words (LOWBIT.md). */
static inline int32_t tg_subbyte_row_stride(int32_t k, int32_t bits)
{
    return 4 * ((k * bits + 31) / 32);
}

/* Code k of a packed row, unsigned: lowest bits first. */
static inline uint32_t tg_subbyte_code(const uint8_t *row, int32_t k, int32_t bits)
{
    const int32_t per_byte = 8 / bits;
    return ((uint32_t)row[k / per_byte] >> ((k % per_byte) * bits)) & ((1u << bits) - 1u);
}

/*
 * The term of code `code` and offset input a (|a| <= 255). TG_SUBBYTE_INT: the code
 * sign-extended from `bits`, times a (2c + 1 with odd). TG_SUBBYTE_POW2: a * 2^e with the
 * sign of bit 3, as a shift and a negation; with zero_code the term is doubled (a * 2^e
 * stands for a * 2^(e-1)) and e = 0 gives 0: the caller halves the sum.
 */
static inline int32_t tg_subbyte_term(uint32_t code, int32_t a, int32_t bits, int32_t kind, int32_t odd,
                                      int32_t zero_code)
{
    if (kind == TG_SUBBYTE_POW2) {
        const uint32_t e = code & 7u;
        int32_t v = (int32_t)((uint32_t)a << e);
        if (zero_code && e == 0u) {
            v = 0;
        }
        return (code & 8u) != 0u ? -v : v;
    } else {
        const int32_t half = (int32_t)1 << (bits - 1);
        const int32_t c = ((int32_t)code ^ half) - half;
        return (odd ? 2 * c + 1 : c) * a;
    }
}

/* The requantized, clamped int8 result of output channel oc at output pixel (out_y, out_x). */
static inline int8_t tg_conv2d_subbyte_output(const tg_conv2d_subbyte_params_t *p, const int8_t *input,
                                              const uint8_t *weights, const int32_t *bias,
                                              const int32_t *multiplier, const int8_t *shift,
                                              int32_t out_y, int32_t out_x, int32_t oc, int32_t bits,
                                              int32_t kind)
{
    const int32_t depth = p->kernel_h * p->kernel_w * p->in_c;
    const uint8_t *row = &weights[oc * tg_subbyte_row_stride(depth, bits)];
    const int32_t in_y_origin = out_y * p->stride_h - p->pad_top;
    const int32_t in_x_origin = out_x * p->stride_w - p->pad_left;
    const int32_t zero_code = kind == TG_SUBBYTE_POW2 && p->zero_code;
    int32_t acc = 0;
    int32_t ky, kx, ic;

    for (ky = 0; ky < p->kernel_h; ++ky) {
        const int32_t in_y = in_y_origin + ky * p->dilation_h;
        if (in_y < 0 || in_y >= p->in_h) {
            continue; /* padding: (zero point + input_offset) == 0 */
        }
        for (kx = 0; kx < p->kernel_w; ++kx) {
            const int32_t in_x = in_x_origin + kx * p->dilation_w;
            const int8_t *in_px;
            int32_t k0;
            if (in_x < 0 || in_x >= p->in_w) {
                continue;
            }
            in_px = &input[(in_y * p->in_w + in_x) * p->in_c];
            k0 = (ky * p->kernel_w + kx) * p->in_c;
            for (ic = 0; ic < p->in_c; ++ic) {
                acc += tg_subbyte_term(tg_subbyte_code(row, k0 + ic, bits), (int32_t)in_px[ic] + p->input_offset,
                                       bits, kind, p->odd, zero_code);
            }
        }
    }
    if (zero_code) {
        acc >>= 1;  /* every term was doubled and is even: exact */
    }
    acc = tg_lowbit_bias_shift(acc, p->bias_shift);
    if (bias != NULL) {
        acc += bias[oc];
    }
    acc = tg_requantize(acc, multiplier[oc], shift[oc]) + p->output_offset;
    acc = acc < p->act_min ? p->act_min : acc;
    acc = acc > p->act_max ? p->act_max : acc;
    return (int8_t)acc;
}

/* The whole convolution: every output, in raster order. */
static inline void tg_conv2d_subbyte(const tg_conv2d_subbyte_params_t *p, const int8_t *input,
                                     const uint8_t *weights, const int32_t *bias, const int32_t *multiplier,
                                     const int8_t *shift, int8_t *output, int32_t bits, int32_t kind)
{
    int32_t out_y, out_x, oc;

    for (out_y = 0; out_y < p->out_h; ++out_y) {
        for (out_x = 0; out_x < p->out_w; ++out_x) {
            for (oc = 0; oc < p->out_c; ++oc) {
                output[(out_y * p->out_w + out_x) * p->out_c + oc] = tg_conv2d_subbyte_output(
                    p, input, weights, bias, multiplier, shift, out_y, out_x, oc, bits, kind);
            }
        }
    }
}

#endif /* TG_CONV2D_SUBBYTE_H */
