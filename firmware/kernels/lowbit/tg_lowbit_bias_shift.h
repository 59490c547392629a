/*
 * The low-bit kernels' finer bias (LOWBIT.md): acc * 2^bias_shift before the bias is added.
 * TG_LOWBIT_BIAS_SHIFT (default 1) compiles the shift; a build whose every layer compiling
 * this header has bias_shift 0 passes -DTG_LOWBIT_BIAS_SHIFT=0 (tinygen/codegen/bias_shift.py)
 * and the kernels add the bias to acc itself, reading no field. The structs keep bias_shift
 * either way: one parameter layout.
 */
#ifndef TG_LOWBIT_BIAS_SHIFT_H
#define TG_LOWBIT_BIAS_SHIFT_H

#include <stdint.h>

#include "tg_requant.h"

#ifndef TG_LOWBIT_BIAS_SHIFT
#define TG_LOWBIT_BIAS_SHIFT 1
#endif

/* acc * 2^k (wrapping, k in [0, 30]); acc itself where the build left the shift out */
static inline int32_t tg_lowbit_bias_shift(int32_t acc, int32_t k)
{
#if TG_LOWBIT_BIAS_SHIFT
    return tg_wrapping_shift_left(acc, k);
#else
    (void)k;
    return acc;
#endif
}

#endif /* TG_LOWBIT_BIAS_SHIFT_H */
