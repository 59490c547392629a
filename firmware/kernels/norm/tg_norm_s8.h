/*
 * The integer layer norm, one row at a time, shared by tg_layer_norm_s8 (center = 1) and
 * tg_rms_norm_s8 (center = 0). tinygen's own arithmetic (TFLite has no int8 layer norm);
 * the constants come from tinygen.quant.attention_params. For a row of D int8 values q:
 *
 *   c_i = q_i - input_zero_point,  S1 = sum c_i (0 for RMS norm),  S2 = sum c_i^2   (int32)
 *   d_i = D * c_i - S1                      = D * (x_i - mean) / s_in, exactly
 *   W   = D * S2 - S1^2 + eps_term          = D^2 * (var + eps) / s_in^2   (int64; eps_term =
 *                                             round(D^2 * eps / s_in^2))
 *   W   >> 2a below 2^31, (m, e) = tg_inv_sqrt_s32(W >> 2a): 1 / sqrt(W) ~ m * 2^(e - a - 31)
 *   n_i = MBQM(d_i, m, e - a + norm_shift)  = (x_i - mean) / sqrt(var + eps) in Q(norm_shift)
 *                                             (the shift at least -31)
 *   out = MBQM(n_i * gamma_i + beta_i, output_multiplier, output_shift) + output_zero_point,
 *         clamped to int8 (gamma int16 on the scale s_g, beta int32 on s_g * 2^-norm_shift,
 *         the multiplier s_g * 2^-norm_shift / s_out)
 *
 * MBQM is TFLite's MultiplyByQuantizedMultiplier (tg_requantize_fast, equal to tg_requantize). norm_shift keeps
 * |n_i * gamma_i| below 2^29 for any row (|n_i| <= 2^norm_shift * sqrt(D - 1)), beta is
 * clamped to 2^30: nothing overflows int32. D <= 32767 (S2 in int32).
 * numpy twins: tinygen.ref.attention.layer_norm_s8, rms_norm_s8.
 */
#ifndef TG_NORM_S8_H
#define TG_NORM_S8_H

#include <stdint.h>

#include "tg_inv_sqrt.h"
#include "tg_kernels.h"
#include "tg_requant.h"

static inline __attribute__((always_inline)) void tg_norm_s8(const tg_norm_params_t *p, const int8_t *input,
                                                              const int16_t *gamma, const int32_t *beta,
                                                              int32_t center, int8_t *output)
{
    /* the parameters in locals: the int8 stores may alias *p, which would reload them */
    const int32_t rows = p->rows, depth = p->depth, zero_point = p->input_zero_point;
    const int32_t out_zero_point = p->output_zero_point, eps_term = p->eps_term, norm_shift = p->norm_shift;
    const int32_t out_multiplier = p->output_multiplier, out_shift = p->output_shift;
    int32_t r, i;

    for (r = 0; r < rows; ++r) {
        const int8_t *x = input + r * depth;
        int8_t *y = output + r * depth;
        int32_t s1 = 0, s2 = 0, m, e, shift, halvings = 0;
        int64_t w;
        for (i = 0; i < depth; ++i) {
            const int32_t c = (int32_t)x[i] - zero_point;
            s1 += c;
            s2 += c * c;
        }
        if (!center) {
            s1 = 0;
        }
        w = (int64_t)depth * s2 - (int64_t)s1 * s1 + eps_term;
        while (w >= ((int64_t)1 << 31)) {
            w >>= 2;
            ++halvings;
        }
        tg_inv_sqrt_s32((int32_t)w, &m, &e);
        shift = e - halvings + norm_shift;
        shift = shift < -31 ? -31 : shift;
        for (i = 0; i < depth; ++i) {
            const int32_t d = depth * ((int32_t)x[i] - zero_point) - s1;
            int32_t acc = tg_requantize_fast(d, m, shift) * (int32_t)gamma[i];
            if (center) {           /* a constant: the layer norm has beta, the RMS norm none */
                acc += beta[i];
            }
            acc = tg_requantize_fast(acc, out_multiplier, out_shift) + out_zero_point;
            acc = acc < -128 ? -128 : acc;
            acc = acc > 127 ? 127 : acc;
            y[i] = (int8_t)acc;
        }
    }
}

#endif /* TG_NORM_S8_H */
