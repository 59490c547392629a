/*
 * tg_fully_connected_lut_pairs_s8_dsp: a fully connected layer of one row (batch 1) with 4-bit
 * shared weights and one table for the tensor (LUT.md) on the ARMv7E-M DSP extension, multiplied
 * straight from a table of weight pairs: no decoded copy of the weights.
 * numpy twin: fully_connected_s8, on the decoded weights.
 *
 * At 4 bits a byte of a row holds two indices, weight 2m in its low nibble and 2m + 1 in its high
 * one (LUT.md: LSB first). The kernel builds in its scratch the 256 words
 *     T[b] = (uint16_t)c[b & 15] | (uint16_t)c[b >> 4] << 16
 * (c: the tensor's table, int8 sign-extended to int16), the two weights of every index byte as an
 * int16 pair, and widens the input once, with the input offset added, to the pairs
 *     X[m] = (uint16_t)(x[2m] + input_offset) | (uint16_t)(x[2m + 1] + input_offset) << 16,
 * zeros past in_features up to the row's last word (the padding indices of a row's last word,
 * index 0, then meet zeros). A row word of 8 weights then takes one word load, 4 extracts (UXTB
 * with rotation, LSR), 4 table loads and 4 SMLAD (x0 c0 + x1 c1 each), three rows at a time sharing
 * the input pairs (the last one or two rows two at a time):
 *     acc_r += SMLAD(X[4j + k], T[byte k of row r's word j]),  k = 0..3.
 * Three rows, not four: the fitted timing models of the Cortex-M7 and M4 (tinygen.cycles.fit) charge
 * every load beyond the pipeline's count (0.732 and 0.989 cycles), and a four-row word has no registers
 * left for its rows' words, so it reads its 16 index bytes one at a time: 36 loads for 32
 * multiply-accumulates against the three-row word's 19 for 24. MLPerf AD at lut:4:tensor, est. cycles:
 * 478,950 -> 450,577 on the f746zg, 931,005 -> 901,575 on the f446re (benchmarks/huffman.py --estimate).
 * The sums start at the bias and go through the requantization of tg_fully_connected_s8_dsp in the
 * mode the build found for the layer, the packed constant's word after its rows
 * (tinygen.kernels.lut_table.pairs_pack: the folded form of tg_mat_mult_outputs_folded, or
 * tg_mat_mult_out's bounded or general one), so the outputs equal that kernel's on the decoded
 * weights byte for byte.
 *
 * Scratch (tinygen.kernels.lut_table.pairs_scratch, TG_LUT_PAIRS_BYTES): the input pairs, 16 bytes
 * per row word, then TG_LUT_PAIRS_TABLE_BYTES (1 KB) of table, where the row loops stop reading
 * pairs; 4-byte aligned. The whole input is read (widened) before any output is written, so the
 * output may overlap the input.
 *
 * The row loops are assembly scheduled for the Cortex-M7 where TG_DUAL_ISSUE=1 (its board files'
 * cflags: each load beside another instruction, no load's result used by the next instruction),
 * and the same instructions in plain order otherwise (the Cortex-M4, which issues one at a time).
 */
#include <arm_acle.h>
#include <stddef.h>
#include <stdint.h>

#include "tg_dsp_s8.h"
#include "tg_kernels_lut.h"
#include "tg_lut.h"
#include "tg_mat_mult_s8_dsp.h"

/* T: the pair of every index byte, from the tensor's 16 int8 entries; half a row's low halves at a time
   (8 registers), each row's high half added to them. */
static void tg_lut_pairs_table(const int8_t *c, uint32_t *t)
{
    int32_t half, h, l;

    for (half = 0; half < 16; half += 8) {
        uint32_t lo[8];
        for (l = 0; l < 8; ++l) {
            lo[l] = (uint32_t)(uint16_t)(int16_t)c[half + l];
        }
        for (h = 0; h < 16; ++h) {
            const uint32_t hi = (uint32_t)(uint16_t)(int16_t)c[h] << 16;
            uint32_t *d = &t[16 * h + half];
#pragma GCC unroll 8
            for (l = 0; l < 8; ++l) {
                d[l] = lo[l] | hi;
            }
        }
    }
}

/* X: the input's pairs with the offset added, zeros up to `words` row words (8 values each). */
static void tg_lut_pairs_widen(const int8_t *x, int32_t n, int32_t offset, int32_t words, int32_t *dst)
{
    const int32_t off2 = (int32_t)(((uint32_t)offset & 0xFFFFu) * 0x10001u);
    int32_t k = 0, m = 0;

    for (; k + 4 <= n; k += 4, m += 2) {
        const int32_t v = tg_dsp_load_s8x4(&x[k]);
        const int32_t even = __sxtab16(off2, v);                 /* (x0, x2) + offset */
        const int32_t odd = tg_dsp_sxtab16_odd(off2, v);        /* (x1, x3) + offset */
        dst[m] = tg_dsp_pkhbt(even, odd);                        /* (x0, x1) */
        dst[m + 1] = tg_dsp_pkhtb(odd, even);                    /* (x2, x3) */
    }
    for (; k < n; k += 2, ++m) {
        const uint32_t x0 = (uint16_t)(int16_t)(x[k] + offset);
        const uint32_t x1 = k + 1 < n ? (uint16_t)(int16_t)(x[k + 1] + offset) : 0u;
        dst[m] = (int32_t)(x0 | x1 << 16);
    }
    for (; m < 4 * words; ++m) {
        dst[m] = 0;
    }
}

#if defined(TG_DUAL_ISSUE) && TG_DUAL_ISSUE
/*
 * A row word of two rows (a at pa, b at pa + stride) and of three (c at pa + 2 stride): the rows'
 * words read side by side, then the 4 input pairs one at a time; two instructions a line, the pairs
 * the Cortex-M7 issues together (each load beside another load, an extract or a SMLAD), and no
 * instruction reads what the one before it loaded. Two rows: 16 issue cycles and the taken branch
 * for 16 multiply-accumulates; three rows, two words a turn (TG_LUT_PAIRS_WORD3, then LAST3 with the
 * loop's compare; the last SMLAD of the first beside the second's first load): 45 and the branch for
 * 48 (tinygen.cycles.cortex_m7).
 */
#define TG_LUT_PAIRS_STEP2                                            \
    "ldr r9, [%[pa], %[stride]]\n\t" "ldr r8, [%[pa]], #4\n\t"        \
    "ldr r6, [%[x]], #4\n\t" "uxtb r4, r8\n\t"                        \
    "uxtb r5, r9\n\t" "ldr r4, [%[t], r4, lsl #2]\n\t"                \
    "uxtb r12, r8, ror #8\n\t" "ldr r5, [%[t], r5, lsl #2]\n\t"       \
    "smlad %[a], r6, r4, %[a]\n\t" "ldr r12, [%[t], r12, lsl #2]\n\t" \
    "smlad %[b], r6, r5, %[b]\n\t" "ldr r6, [%[x]], #4\n\t"           \
    "uxtb r4, r9, ror #8\n\t" "uxtb r5, r8, ror #16\n\t"              \
    "ldr r4, [%[t], r4, lsl #2]\n\t" "smlad %[a], r6, r12, %[a]\n\t"  \
    "ldr r5, [%[t], r5, lsl #2]\n\t" "uxtb r12, r9, ror #16\n\t"      \
    "smlad %[b], r6, r4, %[b]\n\t" "ldr r12, [%[t], r12, lsl #2]\n\t" \
    "ldr r6, [%[x]], #4\n\t" "lsr r4, r8, #24\n\t"                    \
    "lsr r8, r9, #24\n\t" "ldr r4, [%[t], r4, lsl #2]\n\t"            \
    "smlad %[a], r6, r5, %[a]\n\t" "ldr r8, [%[t], r8, lsl #2]\n\t"   \
    "smlad %[b], r6, r12, %[b]\n\t" "ldr r6, [%[x]], #4\n\t"          \
    "cmp %[x], %[t]\n\t" "smlad %[a], r6, r4, %[a]\n\t"               \
    "smlad %[b], r6, r8, %[b]\n\t"
#define TG_LUT_PAIRS_BODY3                                                     \
    "ldr r9, [%[pa], %[stride]]\n\t" "ldr r7, [%[pa], %[stride], lsl #1]\n\t"  \
    "ldr r8, [%[pa]], #4\n\t" "ldr r6, [%[x]], #4\n\t"                         \
    "uxtb r4, r9\n\t" "uxtb r5, r7\n\t"                                        \
    "uxtb r12, r8\n\t" "ldr r4, [%[t], r4, lsl #2]\n\t"                        \
    "ldr r5, [%[t], r5, lsl #2]\n\t" "smlad %[b], r6, r4, %[b]\n\t"            \
    "ldr r12, [%[t], r12, lsl #2]\n\t" "uxtb r4, r9, ror #8\n\t"               \
    "smlad %[c], r6, r5, %[c]\n\t" "ldr r4, [%[t], r4, lsl #2]\n\t"            \
    "uxtb r5, r7, ror #8\n\t" "smlad %[a], r6, r12, %[a]\n\t"                  \
    "ldr r6, [%[x]], #4\n\t" "ldr r5, [%[t], r5, lsl #2]\n\t"                  \
    "uxtb r12, r8, ror #8\n\t" "smlad %[b], r6, r4, %[b]\n\t"                  \
    "ldr r12, [%[t], r12, lsl #2]\n\t" "uxtb r4, r9, ror #16\n\t"              \
    "smlad %[c], r6, r5, %[c]\n\t" "ldr r4, [%[t], r4, lsl #2]\n\t"            \
    "uxtb r5, r7, ror #16\n\t" "smlad %[a], r6, r12, %[a]\n\t"                 \
    "ldr r6, [%[x]], #4\n\t" "ldr r5, [%[t], r5, lsl #2]\n\t"                  \
    "uxtb r12, r8, ror #16\n\t" "smlad %[b], r6, r4, %[b]\n\t"                 \
    "ldr r12, [%[t], r12, lsl #2]\n\t" "lsr r4, r9, #24\n\t"                   \
    "smlad %[c], r6, r5, %[c]\n\t" "ldr r4, [%[t], r4, lsl #2]\n\t"            \
    "lsr r5, r7, #24\n\t" "smlad %[a], r6, r12, %[a]\n\t"                      \
    "ldr r6, [%[x]], #4\n\t" "ldr r5, [%[t], r5, lsl #2]\n\t"                  \
    "lsr r12, r8, #24\n\t" "smlad %[b], r6, r4, %[b]\n\t"                      \
    "ldr r12, [%[t], r12, lsl #2]\n\t" "smlad %[c], r6, r5, %[c]\n\t"
#define TG_LUT_PAIRS_WORD3 TG_LUT_PAIRS_BODY3 "smlad %[a], r6, r12, %[a]\n\t"
#define TG_LUT_PAIRS_LAST3 TG_LUT_PAIRS_BODY3 "cmp %[x], %[t]\n\t" "smlad %[a], r6, r12, %[a]\n\t"
/* the three-row loop: two row words a turn; an odd count (16 odd bytes of pairs) enters at the second */
#define TG_LUT_PAIRS_LOOP3                                                                                 \
    "sub r4, %[t], %[x]\n\ttst r4, #16\n\tbne 2f\n\t"                                                        \
    "1:\n\t" TG_LUT_PAIRS_WORD3 "2:\n\t" TG_LUT_PAIRS_LAST3 "bne 1b\n\t"
#else
/* The same in plain order (a core issuing one instruction at a time), each byte's loads together: the
   rows' extracts of one byte (ea, eb, ec), the input pair, the table entries, the SMLADs. */
#define TG_LUT_PAIRS_BYTE2(ea, eb)                                                                         \
    ea eb "ldr r6, [%[x]], #4\n\t"                                                                           \
    "ldr r4, [%[t], r4, lsl #2]\n\tldr r5, [%[t], r5, lsl #2]\n\t"                                           \
    "smlad %[a], r6, r4, %[a]\n\tsmlad %[b], r6, r5, %[b]\n\t"
#define TG_LUT_PAIRS_STEP2                                                                                 \
    "ldr r9, [%[pa], %[stride]]\n\tldr r8, [%[pa]], #4\n\t"                                                 \
    TG_LUT_PAIRS_BYTE2("uxtb r4, r8\n\t", "uxtb r5, r9\n\t")                                                 \
    TG_LUT_PAIRS_BYTE2("uxtb r4, r8, ror #8\n\t", "uxtb r5, r9, ror #8\n\t")                                 \
    TG_LUT_PAIRS_BYTE2("uxtb r4, r8, ror #16\n\t", "uxtb r5, r9, ror #16\n\t")                               \
    TG_LUT_PAIRS_BYTE2("lsr r4, r8, #24\n\t", "lsr r5, r9, #24\n\t") "cmp %[x], %[t]\n\t"
#define TG_LUT_PAIRS_BYTE3(ea, eb, ec)                                                                     \
    ea eb ec "ldr r6, [%[x]], #4\n\t"                                                                        \
    "ldr r12, [%[t], r12, lsl #2]\n\tldr r4, [%[t], r4, lsl #2]\n\tldr r5, [%[t], r5, lsl #2]\n\t"           \
    "smlad %[a], r6, r12, %[a]\n\tsmlad %[b], r6, r4, %[b]\n\tsmlad %[c], r6, r5, %[c]\n\t"
#define TG_LUT_PAIRS_WORD3                                                                                 \
    "ldr r9, [%[pa], %[stride]]\n\tldr r7, [%[pa], %[stride], lsl #1]\n\tldr r8, [%[pa]], #4\n\t"           \
    TG_LUT_PAIRS_BYTE3("uxtb r12, r8\n\t", "uxtb r4, r9\n\t", "uxtb r5, r7\n\t")                             \
    TG_LUT_PAIRS_BYTE3("uxtb r12, r8, ror #8\n\t", "uxtb r4, r9, ror #8\n\t", "uxtb r5, r7, ror #8\n\t")     \
    TG_LUT_PAIRS_BYTE3("uxtb r12, r8, ror #16\n\t", "uxtb r4, r9, ror #16\n\t", "uxtb r5, r7, ror #16\n\t")  \
    TG_LUT_PAIRS_BYTE3("lsr r12, r8, #24\n\t", "lsr r4, r9, #24\n\t", "lsr r5, r7, #24\n\t")
/* the three-row loop: a row word a turn (the Cortex-M4's 1 KB ART cache holds the loop's code better) */
#define TG_LUT_PAIRS_LOOP3 "1:\n\t" TG_LUT_PAIRS_WORD3 "cmp %[x], %[t]\n\tbne 1b\n\t"
#endif

/* One output of sum a, channel o, in mode `mode` (a constant: tinygen.kernels.specialize's modes, as a
   specialized int8 layer's `bounded`): the folded form of tg_mat_mult_outputs_folded, else tg_mat_mult_out. */
static inline __attribute__((always_inline)) int8_t tg_lut_pairs_out(int32_t a, const int32_t *multiplier,
                                                                     const int8_t *shift, int32_t o,
                                                                     tg_mat_mult_out_t oq, int32_t mode)
{
    if (TG_REQUANT_KIND(mode) == TG_REQUANT_FOLDED) {
        const int32_t n = -shift[o];
        const int32_t r = tg_folded_round(oq.output_offset, n, 0);
        /* arithmetic shifts of negative values: see tg_requant.h */
        int32_t y = tg_ssat8((tg_dsp_smmlar(a + a, multiplier[o], r) + (TG_REQUANT_POS_OF(mode) ? 0 : a >> 31)) >> n);
        if (!(oq.act_min == -128 && oq.act_max == 127)) {
            y = y < oq.act_min ? oq.act_min : y > oq.act_max ? oq.act_max : y;
        }
        return (int8_t)y;
    }
    return tg_mat_mult_out(a, multiplier[o], shift[o], oq, mode);
}

/*
 * Every output, three rows at a time, the last one or two rows two at a time (a last single row as
 * the pair of it with itself: stride 0, its reads stay in its row): each row's sum over the row
 * words from its bias, then requantized in mode `mode` (a constant after inlining; oq.act_min ==
 * -128 and oq.act_max == 127 constants where the caller tested them). The loops' operands sit in
 * fixed registers, so that the allocator has the others to itself.
 */
static inline __attribute__((always_inline)) void tg_lut_pairs_rows(const tg_lut_t *lut, int32_t cols,
                                                                      const int32_t *x, const uint32_t *t,
                                                                      const int32_t *bias, const int32_t *multiplier,
                                                                      const int8_t *shift, tg_mat_mult_out_t oq,
                                                                      int32_t mode, int8_t *output)
{
    const int32_t words = lut->row_words;
    const uint32_t *row = lut->rows;
    int32_t o = 0;

    for (; o + 3 <= cols; o += 3, row += 3 * words) {
        register int32_t a __asm__("r0") = bias != NULL ? bias[o] : 0;
        register int32_t b __asm__("r1") = bias != NULL ? bias[o + 1] : 0;
        register int32_t c __asm__("lr") = bias != NULL ? bias[o + 2] : 0;
        register const uint32_t *pa __asm__("r2") = row;
        register const int32_t *xp __asm__("r3") = x;
        register const uint32_t *tp __asm__("r10") = t;
        register int32_t stride __asm__("r11") = 4 * words;

        __asm__ volatile(TG_LUT_PAIRS_LOOP3
                         : [a] "+r"(a), [b] "+r"(b), [c] "+r"(c), [pa] "+r"(pa), [x] "+r"(xp)
                         : [t] "r"(tp), [stride] "r"(stride)
                         : "r4", "r5", "r6", "r7", "r8", "r9", "r12", "cc", "memory");
        output[o] = tg_lut_pairs_out(a, multiplier, shift, o, oq, mode);
        output[o + 1] = tg_lut_pairs_out(b, multiplier, shift, o + 1, oq, mode);
        output[o + 2] = tg_lut_pairs_out(c, multiplier, shift, o + 2, oq, mode);
    }
    if (o < cols) {
        const int32_t pair = o + 1 < cols;
        register int32_t a __asm__("r0") = bias != NULL ? bias[o] : 0;
        register int32_t b __asm__("r1") = pair && bias != NULL ? bias[o + 1] : 0;
        register const uint32_t *pa __asm__("r2") = row;
        register const int32_t *xp __asm__("r3") = x;
        register const uint32_t *tp __asm__("r10") = t;
        register int32_t stride __asm__("r11") = pair ? 4 * words : 0;

        __asm__ volatile("1:\n\t" TG_LUT_PAIRS_STEP2 "bne 1b\n\t"
                         : [a] "+r"(a), [b] "+r"(b), [pa] "+r"(pa), [x] "+r"(xp)
                         : [t] "r"(tp), [stride] "r"(stride)
                         : "r4", "r5", "r6", "r8", "r9", "r12", "cc", "memory");
        output[o] = tg_lut_pairs_out(a, multiplier, shift, o, oq, mode);
        if (pair) {
            output[o + 1] = tg_lut_pairs_out(b, multiplier, shift, o + 1, oq, mode);
        }
    }
}

/* tg_lut_pairs_rows in the modes the build gives (the folded ones without an activation, with and
   without the sign's ADD), each out of line; any other mode through tg_mat_mult_out's run-time tests */
#define TG_LUT_PAIRS_ROWS_IN(name, mode, act_min, act_max)                                                  \
    static __attribute__((noinline)) void name(const tg_lut_t *lut, int32_t cols, const int32_t *x,           \
                                               const uint32_t *t, const int32_t *bias, const int32_t *multiplier, \
                                               const int8_t *shift, int32_t output_offset, int8_t *output)    \
    {                                                                                                        \
        const tg_mat_mult_out_t oq = {output_offset, act_min, act_max};                                      \
        tg_lut_pairs_rows(lut, cols, x, t, bias, multiplier, shift, oq, mode, output);                      \
    }
TG_LUT_PAIRS_ROWS_IN(tg_lut_pairs_rows_folded_pos, TG_REQUANT_FOLDED | TG_REQUANT_POS, -128, 127)
TG_LUT_PAIRS_ROWS_IN(tg_lut_pairs_rows_folded, TG_REQUANT_FOLDED, -128, 127)

static __attribute__((noinline)) void tg_lut_pairs_rows_with(const tg_lut_t *lut, int32_t cols, const int32_t *x,
                                                             const uint32_t *t, const int32_t *bias,
                                                             const int32_t *multiplier, const int8_t *shift,
                                                             tg_mat_mult_out_t oq, int32_t bounded, int8_t *output)
{
    tg_lut_pairs_rows(lut, cols, x, t, bias, multiplier, shift, oq, bounded, output);
}

void tg_fully_connected_lut_pairs_s8_dsp(const tg_fully_connected_params_t *p, const int8_t *input,
                                         const uint32_t *packed, const int32_t *bias, const int32_t *multiplier,
                                         const int8_t *shift, int8_t *scratch, int8_t *output)
{
    const tg_lut_t lut = tg_lut_open(packed);
    const int32_t cols = p->out_features;
    /* the requantization the build found (tinygen.kernels.lut_table.pairs_pack) */
    const int32_t mode = *tg_lut_after(&lut, cols);
    const int32_t full = p->act_min == -128 && p->act_max == 127;
    int32_t *x = (int32_t *)(void *)scratch;
    uint32_t *t = (uint32_t *)(void *)&scratch[16 * lut.row_words];

    tg_lut_pairs_table(lut.tables, t);
    tg_lut_pairs_widen(input, p->in_features, p->input_offset, lut.row_words, x);
    if (full && mode == (TG_REQUANT_FOLDED | TG_REQUANT_POS)) {
        tg_lut_pairs_rows_folded_pos(&lut, cols, x, t, bias, multiplier, shift, p->output_offset, output);
    } else if (full && mode == TG_REQUANT_FOLDED) {
        tg_lut_pairs_rows_folded(&lut, cols, x, t, bias, multiplier, shift, p->output_offset, output);
    } else {    /* the folded modes' outputs equal the bounded ones' */
        const tg_mat_mult_out_t oq = {p->output_offset, p->act_min, p->act_max};
        tg_lut_pairs_rows_with(&lut, cols, x, t, bias, multiplier, shift, oq, mode != 0, output);
    }
}
