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
 * shifts of the int8 MVE kernel's records (tg_lut_mve_fc_requant), bit for bit as tg_fully_connected_s8_mve
 * on the decoded weights.
 *
 * packed: LUT.md's constant (4-bit indices, one table), then tg_fully_connected_s8_mve's records less
 * the weights (tinygen/kernels/lut_mve_pack.py, mat_mult_lut_mve: the same as
 * tg_fully_connected_lut_decode_s8_mve's). Scratch: TG_LUT_PAIRS_MVE_BYTES(out_features).
 * numpy twin: fully_connected_s8 on the decoded weights.
 */
#include <arm_mve.h>

#include "tg_kernels_lut_mve.h"
#include "tg_lut_mve.h"

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

/* A step's weights of the row at r from T: its `bytes` index bytes (1..8) widened to halfword offsets,
   gathered; the lanes past them zero. */
static inline int8x16_t tg_lut_pairs_mve_tail(const uint16_t *t, const uint8_t *r, int32_t bytes)
{
    const mve_pred16_t live = vctp16q((uint32_t)bytes);
    return vreinterpretq_s8_u16(vldrhq_gather_shifted_offset_z_u16(t, vldrbq_z_u16(r, live), live));
}

/* What tg_lut_pairs_mve_blocks reads (the TG_LPM_* offsets, checked below). */
typedef struct {
    const int8_t *x;            /* the input row */
    const uint8_t *rows;        /* the first block's row 0 */
    int32_t row_bytes;          /* = 8 * steps: no partial step */
    int32_t steps;              /* >= 1 */
    int32_t blocks;             /* >= 1 */
    const uint16_t *t;          /* the pair table */
    int32_t *sums;              /* 4 a block */
} tg_lut_pairs_mve_run_t;

#define TG_LPM_X 0
#define TG_LPM_ROWS 4
#define TG_LPM_ROW_BYTES 8
#define TG_LPM_STEPS 12
#define TG_LPM_BLOCKS 16
#define TG_LPM_T 20
#define TG_LPM_SUMS 24
typedef char tg_lut_pairs_mve_layout_check[(__builtin_offsetof(tg_lut_pairs_mve_run_t, x) == TG_LPM_X
                                            && __builtin_offsetof(tg_lut_pairs_mve_run_t, steps) == TG_LPM_STEPS
                                            && __builtin_offsetof(tg_lut_pairs_mve_run_t, sums) == TG_LPM_SUMS)
                                               ? 1 : -1];

/* One row's part of a step: 8 index bytes widened to halfword offsets, the gather of their 16
   weights from T, their products with the step's inputs (q2) into the row's sum. */
#define TG_LPM_ROW(R, A, Q)                                                                                    \
    "vldrb.u16 " Q ", [" R "], #8\n\t"                                                                          \
    "vldrh.u16 q3, [r9, " Q ", uxtw #1]\n\t"                                                                   \
    "vmladava.s8 " A ", q2, q3\n\t"

/*
 * The sums of whole blocks of 4 rows of whole steps (in_features a multiple of 16): per block the 4
 * row pointers (low registers r0..r3: VLDRB.U16 takes no other), the 4 sums in even registers
 * (r6, r8, r10, r12: VMLADAVA takes no other), the input in r7, T in r9; 9 loads (the input, 4 x 8
 * index bytes, 4 gathers, each gather's result in another register than its offsets) and 4 VMLADAVA
 * a step in a low-overhead loop; one STM writes the block's sums in register order, and the next
 * block's row 0 is where row 3 ended. Written out: the compiler's version of the same loop spills.
 */
__attribute__((naked, noinline)) static void tg_lut_pairs_mve_blocks(tg_lut_pairs_mve_run_t *m)
{
    (void)m;
    __asm volatile("push {r4-r11, lr}\n\t"
                   "mov r11, r0\n\t"
                   "ldr r0, [r11, #" TG_MVE_X(TG_LPM_ROWS) "]\n\t"
                   "ldr r9, [r11, #" TG_MVE_X(TG_LPM_T) "]\n\t"
                   "ldr r5, [r11, #" TG_MVE_X(TG_LPM_SUMS) "]\n"
                   "10:\n\t"
                   "ldr r4, [r11, #" TG_MVE_X(TG_LPM_ROW_BYTES) "]\n\t"
                   "add r1, r0, r4\n\t"
                   "add r2, r1, r4\n\t"
                   "add r3, r2, r4\n\t"
                   "ldr r7, [r11, #" TG_MVE_X(TG_LPM_X) "]\n\t"
                   "ldr lr, [r11, #" TG_MVE_X(TG_LPM_STEPS) "]\n\t"
                   "movs r6, #0\n\t"
                   "mov r8, r6\n\t"
                   "mov r10, r6\n\t"
                   "mov r12, r6\n\t"
                   "dls lr, lr\n"
                   "1:\n\t"
                   "vldrb.8 q2, [r7], #16\n\t"
                   TG_LPM_ROW("r0", "r6", "q0")
                   TG_LPM_ROW("r1", "r8", "q1")
                   TG_LPM_ROW("r2", "r10", "q0")
                   TG_LPM_ROW("r3", "r12", "q1")
                   "le lr, 1b\n\t"
                   "stm r5!, {r6, r8, r10, r12}\n\t"
                   "mov r0, r3\n\t"
                   "ldr r4, [r11, #" TG_MVE_X(TG_LPM_BLOCKS) "]\n\t"
                   "subs r4, r4, #1\n\t"
                   "str r4, [r11, #" TG_MVE_X(TG_LPM_BLOCKS) "]\n\t"
                   "bne 10b\n\t"
                   "pop {r4-r11, pc}\n\t");
}

/* The sums of one block of 4 rows (r0..r3) of n weights (any n >= 1) into sums[0..3]. */
static void tg_lut_pairs_mve_block(const uint16_t *t, const int8_t *x, const uint8_t *r0, const uint8_t *r1,
                                   const uint8_t *r2, const uint8_t *r3, int32_t n, int32_t *sums)
{
    int32_t a0 = 0, a1 = 0, a2 = 0, a3 = 0;
    for (int32_t k = 0; k < n; k += 16, x += 16, r0 += 8, r1 += 8, r2 += 8, r3 += 8) {
        const int32_t left = n - k < 16 ? n - k : 16;
        const mve_pred16_t live = vctp8q((uint32_t)left);
        const int32_t bytes = (left + 1) >> 1;
        const int8x16_t xv = vldrbq_z_s8(x, live);
        a0 = vmladavaq_p_s8(a0, xv, tg_lut_pairs_mve_tail(t, r0, bytes), live);
        a1 = vmladavaq_p_s8(a1, xv, tg_lut_pairs_mve_tail(t, r1, bytes), live);
        a2 = vmladavaq_p_s8(a2, xv, tg_lut_pairs_mve_tail(t, r2, bytes), live);
        a3 = vmladavaq_p_s8(a3, xv, tg_lut_pairs_mve_tail(t, r3, bytes), live);
    }
    sums[0] = a0;
    sums[1] = a1;
    sums[2] = a2;
    sums[3] = a3;
}

/* sums[o] = sum_k x[k] * w[o][k] for the out_c rows of n weights each (row o at rows + o * row_bytes):
   whole blocks of 4 rows of whole steps in tg_lut_pairs_mve_blocks, the rest (a depth that ends mid-step,
   a last block of 1..3 rows, whose missing rows repeat its first) here step by step, predicated.
   sums has room for out_c rounded up to 4. */
static void tg_lut_pairs_mve_dots(const uint16_t *t, const int8_t *x, const uint8_t *rows, int32_t row_bytes,
                                  int32_t out_c, int32_t n, int32_t *sums)
{
    int32_t o = 0;
    if ((n & 15) == 0 && out_c >= 4) {
        tg_lut_pairs_mve_run_t m = {x, rows, row_bytes, n >> 4, out_c >> 2, t, sums};
        tg_lut_pairs_mve_blocks(&m);
        o = out_c & ~3;
    }
    for (; o < out_c; o += 4) {
        const uint8_t *r0 = rows + o * row_bytes;
        const uint8_t *r1 = o + 1 < out_c ? r0 + row_bytes : r0;
        const uint8_t *r2 = o + 2 < out_c ? r0 + 2 * row_bytes : r0;
        const uint8_t *r3 = o + 3 < out_c ? r0 + 3 * row_bytes : r0;
        tg_lut_pairs_mve_block(t, x, r0, r1, r2, r3, n, &sums[o]);
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

    tg_lut_pairs_mve_table(lut.tables, t);
    for (int32_t r = 0; r < p->rows; r++, input += p->in_features, output += out_c) {
        tg_lut_pairs_mve_dots(t, input, (const uint8_t *)(const void *)lut.rows, 4 * lut.row_words, out_c,
                              p->in_features, sums);
        tg_lut_mve_fc_requant(p, records, sums, output);
    }
}
