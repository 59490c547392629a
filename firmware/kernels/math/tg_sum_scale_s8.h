/*
 * tg_sum_scale_s8.h: the int8 scaling ADD_N and CUMSUM share (TFLite Micro's add_n.cc and
 * cumsum.cc Eval): a value onto the int32 grid of the sum, and the sum back to int8.
 * numpy twins: tinygen.ref.mathsums._scaled, _output.
 */
#ifndef TG_SUM_SCALE_S8_H
#define TG_SUM_SCALE_S8_H

#include "tg_kernels_math.h"
#include "tg_requant.h"

/* (q + input_offset) << TG_SUM_LEFT_SHIFT times the input multiplier (|q + offset| <= 255, so
 * the shift stays within int32). */
static inline int32_t tg_sum_scaled(int32_t q, int32_t input_offset, int32_t multiplier, int32_t shift)
{
    return tg_requantize_smaller_than_one_exp((q + input_offset) * ((int32_t)1 << TG_SUM_LEFT_SHIFT), multiplier,
                                              shift);
}

/* The int32 sum requantized, plus the output offset, saturated to int8. */
static inline int8_t tg_sum_output(int32_t acc, int32_t multiplier, int32_t shift, int32_t output_offset)
{
    int32_t out = tg_requantize_smaller_than_one_exp(acc, multiplier, shift) + output_offset;
    out = out < INT8_MIN ? INT8_MIN : out;
    out = out > INT8_MAX ? INT8_MAX : out;
    return (int8_t)out;
}

/* a + b modulo 2^32 (TFLite's int32 sums wrap on every target; a signed overflow is undefined in C) */
static inline int32_t tg_sum_wrap(int32_t a, int32_t b)
{
    return (int32_t)((uint32_t)a + (uint32_t)b);
}

#endif /* TG_SUM_SCALE_S8_H */
