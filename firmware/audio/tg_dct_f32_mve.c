/*
 * tg_dct_f32.c for the Cortex-M55's Helium (MVE): the same DCT, bit for bit.
 *
 * A lane is one output coefficient k: step m adds x[m] dct[m][k] to four
 * consecutive coefficients' sums at once (one VLDR of the row's 4 entries, a
 * VMUL by x[m], a VADD: not fused), in the scalar order m = 0, 1, ...; the
 * last vector of a row shorter than 4 is predicated. The sums stay in
 * registers until the guard (tg_audio_mve.h) has passed, and the whole
 * transform is redone in scalar if it did not. (The log-mel inputs are 0 or
 * at least about 1e-8 in magnitude and the table's entries at least 1e-17, so
 * every product is at least 1e-25 and every sum a multiple of a grid far
 * above the subnormals: the guard is not expected to fire here, it is kept so
 * that nothing rests on that argument.)
 *
 * Cost and floor. Per input: one load of x[m] and, per 4 outputs, a load, a
 * product and a sum (3 vectors for 10 outputs: 10 instructions and the
 * loop), against the scalar code's 10 x 6. The floor is one product and one
 * sum per 4 outputs and input, and the matrix's loads: 3 loads, 3 products
 * and 3 sums an input.
 */
#include "tg_audio.h"
#include "tg_audio_f32_scalar.h"
#include "tg_audio_mve.h"

#define TG_LANES 4
#define TG_DCT_VECTORS 3     /* up to 12 outputs in registers */

void tg_dct_f32(const float *x, int32_t n_in, const float *dct, int32_t n_out, float *out)
{
    if (n_out > TG_LANES * TG_DCT_VECTORS || n_out <= 2 * TG_LANES) {   /* the layout below is for 9..12 */
        tg_dct_f32_scalar(x, n_in, dct, n_out, out);
        return;
    }
    const mve_pred16_t tail = vctp32q((uint32_t)(n_out - 2 * TG_LANES));
    float32x4_t s0 = vdupq_n_f32(0.0f);
    float32x4_t s1 = s0;
    float32x4_t s2 = s0;
    tg_mve_clear_flush();
    for (int32_t m = 0; m < n_in; m++) {
        const float *row = &dct[m * n_out];
        const float xm = x[m];
        s0 = vaddq_f32(s0, vmulq_n_f32(vld1q_f32(row), xm));
        s1 = vaddq_f32(s1, vmulq_n_f32(vld1q_f32(row + TG_LANES), xm));
        s2 = vaddq_f32(s2, vmulq_n_f32(vldrwq_z_f32(row + 2 * TG_LANES, tail), xm));
    }
    if (tg_mve_flushed4(s0, s1, s2, s2)) {
        tg_dct_f32_scalar(x, n_in, dct, n_out, out);
        tg_mve_clear_flush();
        return;
    }
    vst1q_f32(out, s0);
    vst1q_f32(out + TG_LANES, s1);
    vstrwq_p_f32(out + 2 * TG_LANES, s2, tail);
}
