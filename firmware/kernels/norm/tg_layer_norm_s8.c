/*
 * tg_layer_norm_s8: layer norm over the last axis, int8 in/out, the integer layer norm of
 * tg_norm_s8.h (mean and variance of each row, TFLite's inverse square root, gamma and beta).
 * numpy twin: tinygen.ref.attention.layer_norm_s8.
 */
#include "tg_kernels.h"
#include "tg_norm_s8.h"

void tg_layer_norm_s8(const tg_norm_params_t *p, const int8_t *input, const int16_t *gamma,
                      const int32_t *beta, int8_t *output)
{
    tg_norm_s8(p, input, gamma, beta, 1, output);
}
