/*
 * tg_fully_connected_lut_nibbles_s8_mve: a fully connected layer with 4-bit shared weights (LUT.md), a
 * table per output channel or one for the tensor, for Helium (Cortex-M55), that decodes nothing into
 * RAM: the weights are looked up from the packed rows as the dot products run.
 *
 * Per block of 4 output features and per step of 16 inputs, a row's 8 index bytes are widened into 8
 * halfword lanes (VLDRB.U16); VSLI.16 #4 of a lane onto itself puts the byte's low nibble in bits 0..3
 * and its high nibble in bits 8..11, and a mask of 0x0F0F leaves the 16 indices in memory order as
 * byte lanes (index 2m in the low nibble of byte m); a byte gather from the row's table (VLDRB.S8
 * [table, Q]) gives the 16 weights, and VMLADAVA.S8 adds their products with the 16 inputs (loaded
 * once per step for the 4 rows). A row's last partial step is predicated (VCTP): no index byte past
 * the row and no input past in_features is read, and those lanes' weights are 0. The 4 sums of each
 * block go to the scratch; tg_lut_mve_fc_requant then requantizes them with the int8 MVE kernel's
 * records, bit for bit as tg_fully_connected_s8_mve on the decoded weights.
 *
 * packed: LUT.md's constant (4-bit indices), then tg_fully_connected_s8_mve's records less the weights
 * (tinygen/kernels/lut_mve_pack.py, mat_mult_lut_mve: the same as tg_fully_connected_lut_decode_s8_mve's).
 * Scratch: TG_LUT_NIBBLES_MVE_BYTES(out_features). numpy twin: fully_connected_s8 on the decoded weights.
 */
#include <arm_mve.h>

#include "tg_kernels_lut_mve.h"
#include "tg_lut_mve.h"

/* A row's 8 index bytes (v: widened to halfword lanes) as 16 byte lanes of indices in memory order. */
static inline uint8x16_t tg_lut_nibbles_mve_indices(uint16x8_t v)
{
    return vreinterpretq_u8_u16(vandq_u16(vsliq_n_u16(v, v, 4), vdupq_n_u16(0x0F0F)));
}

/* A whole step's 16 weights of the row at r from its table. */
static inline int8x16_t tg_lut_nibbles_mve_step(const int8_t *table, const uint8_t *r)
{
    return vldrbq_gather_offset_s8(table, tg_lut_nibbles_mve_indices(vldrbq_u16(r)));
}

/* A partial step's: `bytes` index bytes (1..8), the lanes past them 0. */
static inline int8x16_t tg_lut_nibbles_mve_tail(const int8_t *table, const uint8_t *r, int32_t bytes)
{
    const uint16x8_t v = vldrbq_z_u16(r, vctp16q((uint32_t)bytes));
    return vldrbq_gather_offset_z_s8(table, tg_lut_nibbles_mve_indices(v), vctp8q((uint32_t)(2 * bytes)));
}

void tg_fully_connected_lut_nibbles_s8_mve(const tg_fully_connected_params_t *p, const int8_t *input,
                                           const uint32_t *packed, int8_t *scratch, int8_t *output)
{
    const tg_lut_t lut = tg_lut_open(packed);
    const int32_t out_c = p->out_features;
    const int32_t n = p->in_features;
    const int32_t rb = 4 * lut.row_words;
    const int32_t ts = lut.per_channel ? 16 : 0;
    const int32_t *records = tg_lut_after(&lut, out_c);
    int32_t *sums = (int32_t *)(void *)scratch;

    for (int32_t r = 0; r < p->rows; r++, input += n, output += out_c) {
        const uint8_t *rows = (const uint8_t *)(const void *)lut.rows;
        for (int32_t o = 0; o < out_c; o += 4) {
            /* a last block's missing rows repeat its first (their sums are not stored) */
            const uint8_t *r0 = rows + o * rb;
            const uint8_t *r1 = o + 1 < out_c ? r0 + rb : r0;
            const uint8_t *r2 = o + 2 < out_c ? r0 + 2 * rb : r0;
            const uint8_t *r3 = o + 3 < out_c ? r0 + 3 * rb : r0;
            const int8_t *t0 = lut.tables + o * ts;
            const int8_t *t1 = o + 1 < out_c ? t0 + ts : t0;
            const int8_t *t2 = o + 2 < out_c ? t0 + 2 * ts : t0;
            const int8_t *t3 = o + 3 < out_c ? t0 + 3 * ts : t0;
            const int8_t *x = input;
            int32_t a0 = 0, a1 = 0, a2 = 0, a3 = 0;
            int32_t k = 0;
            for (; k + 16 <= n; k += 16, x += 16, r0 += 8, r1 += 8, r2 += 8, r3 += 8) {
                const int8x16_t xv = vldrbq_s8(x);
                a0 = vmladavaq_s8(a0, xv, tg_lut_nibbles_mve_step(t0, r0));
                a1 = vmladavaq_s8(a1, xv, tg_lut_nibbles_mve_step(t1, r1));
                a2 = vmladavaq_s8(a2, xv, tg_lut_nibbles_mve_step(t2, r2));
                a3 = vmladavaq_s8(a3, xv, tg_lut_nibbles_mve_step(t3, r3));
            }
            if (k < n) {
                const int32_t left = n - k;
                const int32_t bytes = (left + 1) >> 1;
                const mve_pred16_t live = vctp8q((uint32_t)left);
                const int8x16_t xv = vldrbq_z_s8(x, live);
                a0 = vmladavaq_p_s8(a0, xv, tg_lut_nibbles_mve_tail(t0, r0, bytes), live);
                a1 = vmladavaq_p_s8(a1, xv, tg_lut_nibbles_mve_tail(t1, r1, bytes), live);
                a2 = vmladavaq_p_s8(a2, xv, tg_lut_nibbles_mve_tail(t2, r2, bytes), live);
                a3 = vmladavaq_p_s8(a3, xv, tg_lut_nibbles_mve_tail(t3, r3, bytes), live);
            }
            sums[o] = a0;
            sums[o + 1] = a1;
            sums[o + 2] = a2;
            sums[o + 3] = a3;
        }
        tg_lut_mve_fc_requant(p, records, sums, output);
    }
}
