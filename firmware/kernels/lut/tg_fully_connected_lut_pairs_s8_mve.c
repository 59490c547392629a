/*
 * tg_fully_connected_lut_pairs_s8_mve: a fully connected layer with 4-bit shared weights and one
 * table for the tensor (LUT.md), for Helium (Cortex-M55), that decodes nothing into RAM: the
 * weights are looked up from the packed rows as the dot products run.
 *
 * Its scratch first gets the table of weight pairs (TG_LUT_PAIRS_MVE_TABLE_BYTES): the 256 halfwords
 * T[b] = (uint8_t)c[b & 15] | (uint8_t)c[b >> 4] << 8 (c: the layer's table), the two int8 weights
 * of every index byte b in memory order (a row's byte m holds weight 2m in its low nibble, 2m + 1 in
 * its high one). Then per block of 4 output features and per step of 16 inputs: one VLDRB.U16 widens
 * a row's 8 index bytes into 8 halfword lanes, one gather of halfwords from T at those offsets
 * (VLDRH.U16 [T, Q, UXTW #1]) gives the step's 16 weights as int8 lanes, one VMLADAVA.S8 adds their
 * products with the 16 inputs (loaded once per step for the 4 rows). A row's last partial step is
 * predicated (VCTP): no index byte past the row's bytes and no input past in_features is read, and
 * the products past in_features are left out. The 4 sums of each block go to the scratch after the
 * table; the requantization then takes them 4 at a time with the folded biases, multipliers and
 * shifts of the int8 MVE kernel's records (tg_requant_mve.h), bit for bit as tg_fully_connected_s8_mve
 * on the decoded weights.
 *
 * packed: LUT.md's constant (4-bit indices, one table), then tg_fully_connected_s8_mve's records less
 * the weights (tinygen/kernels/lut_mve_pack.py, mat_mult_lut_mve: the same as
 * tg_fully_connected_lut_decode_s8_mve's). Scratch: TG_LUT_PAIRS_MVE_BYTES(out_features).
 * numpy twin: fully_connected_s8 on the decoded weights.
 */
#include <arm_mve.h>

#include "tg_kernels_lut_mve.h"
#include "tg_lut.h"
#include "tg_requant_mve.h"

/* T (above) from the 16 entries of c: two vectors of 8 halfwords per high nibble. */
static void tg_lut_pairs_mve_table(const int8_t *c, uint16_t *t)
{
    const uint16x8_t lo0 = vldrbq_u16((const uint8_t *)c);
    const uint16x8_t lo1 = vldrbq_u16((const uint8_t *)c + 8);
    for (int32_t h = 0; h < 16; h++, t += 16) {
        const uint16x8_t hi = vdupq_n_u16((uint16_t)((uint32_t)(uint8_t)c[h] << 8));
        vst1q_u16(t, vorrq_u16(lo0, hi));
        vst1q_u16(t + 8, vorrq_u16(lo1, hi));
    }
}

/* The step's 16 weights of the row at r (8 index bytes) from T. */
static inline int8x16_t tg_lut_pairs_mve_step(const uint16_t *t, const uint8_t *r)
{
    return vreinterpretq_s8_u16(vldrhq_gather_shifted_offset_u16(t, vldrbq_u16(r)));
}

/* The same for a partial step: `bytes` index bytes (1..8), the lanes past them zero. */
static inline int8x16_t tg_lut_pairs_mve_tail(const uint16_t *t, const uint8_t *r, int32_t bytes)
{
    const mve_pred16_t live = vctp16q((uint32_t)bytes);
    return vreinterpretq_s8_u16(vldrhq_gather_shifted_offset_z_u16(t, vldrbq_z_u16(r, live), live));
}

/* The full steps of 4 rows (r0..r3: their index bytes, x: the inputs): a0..a3 += the dot products.
 * Written out so that the 4 row pointers, the input pointer, the table and the 4 sums stay in
 * registers (the compiler's version of the same loop spills), the sums in even registers (VMLADAVA
 * takes no other), the rows in low ones (VLDRB.U16 takes no other); 9 loads (the input, 4 x 8 index bytes, 4 gathers) and 4 VMLADAVA a step, each
 * gather's offsets and result in other registers (a gather's Qd must differ from its Qm). */
#define TG_LUT_PAIRS_MVE_ROW(R, A, Q)                                                                            \
    "vldrb.u16 " Q ", [%[" R "]], #8\n\t"                                                                        \
    "vldrh.u16 q3, [%[t], " Q ", uxtw #1]\n\t"                                                                   \
    "vmladava.s8 %[" A "], q2, q3\n\t"

static __attribute__((noinline)) void tg_lut_pairs_mve_full(const uint16_t *t, const int8_t *x, const uint8_t *r0, const uint8_t *r1,
                                         const uint8_t *r2, const uint8_t *r3, int32_t steps, int32_t *sums)
{
    register int32_t a0 __asm("r6") = 0;
    register int32_t a1 __asm("r8") = 0;
    register int32_t a2 __asm("r10") = 0;
    register int32_t a3 __asm("r12") = 0;
    register int32_t n __asm("lr") = steps;
    __asm volatile("dls lr, lr\n"
                   "1:\n\t"
                   "vldrb.8 q2, [%[x]], #16\n\t"
                   TG_LUT_PAIRS_MVE_ROW("r0", "a0", "q0")
                   TG_LUT_PAIRS_MVE_ROW("r1", "a1", "q1")
                   TG_LUT_PAIRS_MVE_ROW("r2", "a2", "q0")
                   TG_LUT_PAIRS_MVE_ROW("r3", "a3", "q1")
                   "le lr, 1b\n\t"
                   : [a0] "+r"(a0), [a1] "+r"(a1), [a2] "+r"(a2), [a3] "+r"(a3), [x] "+r"(x), [r0] "+l"(r0),
                     [r1] "+l"(r1), [r2] "+l"(r2), [r3] "+l"(r3), [n] "+r"(n)
                   : [t] "r"(t)
                   : "q0", "q1", "q2", "q3", "memory");
    sums[0] = a0;
    sums[1] = a1;
    sums[2] = a2;
    sums[3] = a3;
}

/* sums[o] = sum_k x[k] * w[o][k] for the out_c rows of n weights each (row o at rows + o * row_bytes),
   4 rows at a time; sums has room for out_c rounded up to 4 (a last block's missing rows repeat
   its first). */
static void tg_lut_pairs_mve_dots(const uint16_t *t, const int8_t *x, const uint8_t *rows, int32_t row_bytes,
                                  int32_t out_c, int32_t n, int32_t *sums)
{
    const int32_t full = n >> 4;
    const int32_t left = n & 15;
    const mve_pred16_t live = vctp8q((uint32_t)left);
    const int32_t bytes = (left + 1) >> 1;
    for (int32_t o = 0; o < out_c; o += 4, rows += 4 * row_bytes, sums += 4) {
        const uint8_t *r0 = rows;
        const uint8_t *r1 = o + 1 < out_c ? r0 + row_bytes : r0;
        const uint8_t *r2 = o + 2 < out_c ? r0 + 2 * row_bytes : r0;
        const uint8_t *r3 = o + 3 < out_c ? r0 + 3 * row_bytes : r0;
        sums[0] = sums[1] = sums[2] = sums[3] = 0;
        if (full > 0) {
            tg_lut_pairs_mve_full(t, x, r0, r1, r2, r3, full, sums);
        }
        if (left > 0) {
            const int32_t step = 16 * full;
            const int8x16_t xv = vldrbq_z_s8(&x[step], live);
            sums[0] = vmladavaq_p_s8(sums[0], xv, tg_lut_pairs_mve_tail(t, &r0[step / 2], bytes), live);
            sums[1] = vmladavaq_p_s8(sums[1], xv, tg_lut_pairs_mve_tail(t, &r1[step / 2], bytes), live);
            sums[2] = vmladavaq_p_s8(sums[2], xv, tg_lut_pairs_mve_tail(t, &r2[step / 2], bytes), live);
            sums[3] = vmladavaq_p_s8(sums[3], xv, tg_lut_pairs_mve_tail(t, &r3[step / 2], bytes), live);
        }
    }
}

void tg_fully_connected_lut_pairs_s8_mve(const tg_fully_connected_params_t *p, const int8_t *input,
                                         const uint32_t *packed, int8_t *scratch, int8_t *output)
{
    const tg_lut_t lut = tg_lut_open(packed);
    const int32_t out_c = p->out_features;
    const int32_t *records = tg_lut_after(&lut, out_c);  /* [0] flags, [1] steps, then 16 words a block */
    uint16_t *t = (uint16_t *)(void *)scratch;
    int32_t *sums = (int32_t *)(void *)&scratch[TG_LUT_PAIRS_MVE_TABLE_BYTES];
    const int16x8_t zp = vdupq_n_s16((int16_t)p->output_offset);
    const int16x8_t lo = vdupq_n_s16((int16_t)p->act_min);
    const int16x8_t hi = vdupq_n_s16((int16_t)p->act_max);

    tg_lut_pairs_mve_table(lut.tables, t);
    for (int32_t r = 0; r < p->rows; r++, input += p->in_features, output += out_c) {
        tg_lut_pairs_mve_dots(t, input, (const uint8_t *)(const void *)lut.rows, 4 * lut.row_words, out_c,
                              p->in_features, sums);
        const int32_t *q = &records[2];
        for (int32_t o = 0; o < out_c; o += 4, q += 16) {
            const int32x4_t acc = vaddq_s32(vldrwq_s32(&sums[o]), vldrwq_s32(&q[0]));
            const int32x4_t v = tg_requant_mve(acc, vldrwq_s32(&q[4]), vldrwq_s32(&q[8]), vldrwq_s32(&q[12]), 1, 1);
            const int8x16_t b = tg_mve_narrow1(v, zp, lo, hi, 1);
            vstrbq_p_s32(&output[o], vreinterpretq_s32_s8(b), vctp32q((uint32_t)(out_c - o)));
        }
    }
}
