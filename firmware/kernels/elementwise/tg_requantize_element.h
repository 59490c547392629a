/*
 * One element of the requantization kernels (tg_requantize_s8 and its int16 variants,
 * TFLite's reference_ops::Requantize): requant(x + input_offset) + output_offset, clamped to
 * [act_min, act_max].
 */
#ifndef TG_REQUANTIZE_ELEMENT_H
#define TG_REQUANTIZE_ELEMENT_H

#include "tg_kernels.h"
#include "tg_requant.h"

static inline int32_t tg_requantize_element(const tg_requantize_params_t *p, int32_t x)
{
    int32_t out = tg_requantize(x + p->input_offset, p->multiplier, p->shift) + p->output_offset;
    out = out < p->act_min ? p->act_min : out;
    return out > p->act_max ? p->act_max : out;
}

#endif /* TG_REQUANTIZE_ELEMENT_H */
