/*
 * tg_rms_norm_s8: RMS norm over the last axis, int8 in/out, the integer layer norm of
 * tg_norm_s8.h without the mean (x / sqrt(mean(x^2) + eps) * gamma).
 * numpy twin: tinygen.ref.attention.rms_norm_s8.
 */
#include <stddef.h>

#include "tg_kernels.h"
#include "tg_norm_s8.h"

void tg_rms_norm_s8(const tg_norm_params_t *p, const int8_t *input, const int16_t *gamma, int8_t *output)
{
    tg_norm_s8(p, input, gamma, NULL, 0, output);
}
