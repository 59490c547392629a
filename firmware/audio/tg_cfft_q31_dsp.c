/*
 * tg_cfft_q31 on the ARMv7E-M DSP extension (Cortex-M4/M7, and the M33's): the same
 * radix-2 butterflies on the same values, bit for bit.
 *
 * The portable kernel rounds b * w as (br wr - bi wi + 2^30) >> 31 from the exact 64-bit
 * sum. Here SMULL / SMLAL form that sum exactly in a register pair, the 2^30 added as a third
 * product 2^15 * 2^15 (SMLAL, one instruction for the constant), and the >> 31 taken from the
 * pair (hi << 1 | lo >> 31): the same integer, five instructions a product. The subtraction
 * is a product of -bi (|bi| < 2^30, tg_cfft_q31's bound, so it negates exactly); negating wi
 * instead would overflow on the -i twiddle (-2^31).
 *
 * SMULL / SMLAL are ARMv7-M's own; the DSP extension's rounding multiplies (SMMULR, SMMLAR)
 * round each product alone and its packed halfword ops would drop bits of the Q31 twiddles:
 * either would change the result, so neither is used. The file is picked with the boards'
 * `dsp` feature, the variant every Cortex-M4/M7/M33/M55 board has.
 *
 * The butterflies of a stage are independent, so their order may change: the early stages
 * (more groups than twiddles) keep each twiddle in registers over the groups, the late ones
 * (fewer groups) run j inside a group and read the twiddle beside the data. Where the early
 * stages' twiddle is -i exactly, its butterflies need no product.
 */
#include "tg_audio.h"

#define TG_ROUND_ROOT (1 << 15)    /* squared: the rounding term 2^30 */

/*
 * One butterfly with twiddle (wr, wi) on the points at pa and pb (k = 2^15):
 *   tr = (br wr + (-bi) wi + 2^30) >> 31, ti = (br wi + bi wr + 2^30) >> 31,
 *   a, b = a + t, a - t.
 * One block, so that tr is finished before ti starts: five registers of its own.
 */
static inline __attribute__((always_inline)) void tg_butterfly_q31(int32_t *pa, int32_t *pb, int32_t wr, int32_t wi,
                                                                   int32_t k)
{
    int32_t br;
    int32_t bi;
    int32_t lo;
    int32_t tr;
    int32_t ti;
    __asm__ volatile(
        "ldrd   %[br], %[bi], [%[pb]]\n\t"
        "smull  %[lo], %[tr], %[br], %[wr]\n\t"
        "rsb    %[ti], %[bi], #0\n\t"
        "smlal  %[lo], %[tr], %[ti], %[wi]\n\t"
        "smlal  %[lo], %[tr], %[k], %[k]\n\t"
        "lsr    %[lo], %[lo], #31\n\t"
        "orr    %[tr], %[lo], %[tr], lsl #1\n\t"
        "smull  %[lo], %[ti], %[br], %[wi]\n\t"
        "smlal  %[lo], %[ti], %[bi], %[wr]\n\t"
        "smlal  %[lo], %[ti], %[k], %[k]\n\t"
        "lsr    %[lo], %[lo], #31\n\t"
        "orr    %[ti], %[lo], %[ti], lsl #1\n\t"
        "ldrd   %[br], %[bi], [%[pa]]\n\t"           /* ar, ai */
        "add    %[lo], %[br], %[tr]\n\t"
        "sub    %[tr], %[br], %[tr]\n\t"
        "add    %[br], %[bi], %[ti]\n\t"
        "sub    %[ti], %[bi], %[ti]\n\t"
        "strd   %[lo], %[br], [%[pa]]\n\t"
        "strd   %[tr], %[ti], [%[pb]]"
        : [br] "=&r"(br), [bi] "=&r"(bi), [lo] "=&r"(lo), [tr] "=&r"(tr), [ti] "=&r"(ti)
        : [pa] "r"(pa), [pb] "r"(pb), [wr] "r"(wr), [wi] "r"(wi), [k] "r"(k)
        : "memory");
}

/* The j = 0 butterfly (w = 1): a, b = a + b, a - b. */
static inline __attribute__((always_inline)) void tg_butterfly_one(int32_t *pa, int32_t *pb)
{
    int32_t ar = pa[0];
    int32_t ai = pa[1];
    int32_t br = pb[0];
    int32_t bi = pb[1];
    pa[0] = ar + br;
    pa[1] = ai + bi;
    pb[0] = ar - br;
    pb[1] = ai - bi;
}

/*
 * The butterfly of w = -i exactly (wr = 0, wi = -2^31: Q31's -1.0 is exact): tr =
 * (bi 2^31 + 2^30) >> 31 = bi and ti = (-br 2^31 + 2^30) >> 31 = -br, no product.
 */
static inline __attribute__((always_inline)) void tg_butterfly_minus_i(int32_t *pa, int32_t *pb)
{
    int32_t ar = pa[0];
    int32_t ai = pa[1];
    int32_t br = pb[0];
    int32_t bi = pb[1];
    pa[0] = ar + bi;
    pa[1] = ai - br;
    pb[0] = ar - bi;
    pb[1] = ai + br;
}

void tg_cfft_q31(int32_t *z, int32_t n, const int32_t *twiddles)
{
    const int32_t k = TG_ROUND_ROOT;
    int32_t *end = z + 2 * n;
    for (int32_t half = 1; half < n; half *= 2) {
        int32_t step = n / half;                       /* int32s from one used twiddle to the next */
        int32_t span = 4 * half;                       /* int32s of a group: 2 half points */
        if (half <= n / (2 * half)) {                  /* more groups than twiddles: twiddle outside */
            for (int32_t *pa = z; pa < end; pa += span) {
                tg_butterfly_one(pa, pa + 2 * half);
            }
            for (int32_t j = 1; j < half; j++) {
                int32_t wr = twiddles[j * step];
                int32_t wi = twiddles[j * step + 1];
                if (wr == 0 && wi == INT32_MIN) {
                    for (int32_t *pa = z + 2 * j; pa < end; pa += span) {
                        tg_butterfly_minus_i(pa, pa + 2 * half);
                    }
                    continue;
                }
                for (int32_t *pa = z + 2 * j; pa < end; pa += span) {
                    tg_butterfly_q31(pa, pa + 2 * half, wr, wi, k);
                }
            }
        } else {                                       /* the twiddle read beside the data */
            for (int32_t *group = z; group < end; group += span) {
                int32_t *pb = group + 2 * half;
                tg_butterfly_one(group, pb);
                const int32_t *w = twiddles + step;
                for (int32_t *pa = group + 2; pa < pb; pa += 2) {
                    tg_butterfly_q31(pa, pa + 2 * half, w[0], w[1], k);
                    w += step;
                }
            }
        }
    }
}
