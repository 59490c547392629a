/*
 * tg_lstm_s8_pairs_dsp: tg_lstm_s8 for ARMv7E-M with the int8 weights of two gates in one halfword
 * (tinygen.kernels.recurrent_pairs_dsp: h = 256 b + a for gates (0, 1) and (2, 3) of a unit at the same
 * column), half tg_lstm_s8_dsp's record for the same SMLAD count: per word of two columns one load, one
 * SXTB16 (the low bytes: gate A's weights) and two SMLAD, one over the halfwords (256 S_B + S_A) and one
 * over the low bytes (S_A); S_B = (acc1 - acc2) >> 8, exact by the build-time bound
 * (recurrent_pairs_dsp.pairs_fit). The input side, which does not depend on the hidden state, two steps at
 * a time before their recurrences, both gate pairs of a unit together (each weight word loaded and SXTB16'd
 * once for the two steps, each input word read for both pairs: tg_lstm_pairs_x22_dsp.h); the recurrent side per step,
 * columns padded to a multiple of 8 (two groups of 4, one turn of the products' register rotation). The
 * input pass requantizes the input side (tg_lstm_pairs_unit_dsp.h), the unit update the recurrent side, adding
 * the two by QADD16, then tg_lstm_s8_dsp's cell update (tg_lstm_cell_dsp, tg_lstm_s8_dsp.h). numpy twin: tinygen.ref.recurrent.lstm_s8.
 */
#include <string.h>

#include "tg_lstm_s8_dsp.h"
#include "tg_lstm_pairs_rec_dsp.h"

/* Four int8 values at src (any alignment) widened to int16: columns 0-1 in *lo, 2-3 in *hi (SXTB16 of
 * the word and of it rotated by 8, then PKHBT and PKHTB). */
static inline void tg_lstm_widen4(const int8_t *src, int32_t *lo, int32_t *hi)
{
    uint32_t w;
    int32_t e, o;
    __builtin_memcpy(&w, src, 4);
    __asm__("sxtb16 %[e], %[w]\n\t"
            "sxtb16 %[o], %[w], ror #8\n\t"
            "pkhbt %[l], %[e], %[o], lsl #16\n\t"
            "pkhtb %[h], %[o], %[e], asr #16"
            : [e] "=&r"(e), [o] "=&r"(o), [l] "=&r"(*lo), [h] "=r"(*hi)
            : [w] "r"(w));
}

#include "tg_lstm_pairs_x22_dsp.h"

/* The hidden state h (n values) widened to int16 into hw, zeros up to `padded` values (a multiple of
 * 4), four at a time (tg_lstm_widen4). */
static void tg_lstm_pairs_widen(const int8_t *h, int32_t n, int16_t *hw, int32_t padded)
{
    int32_t *d = (int32_t *)(void *)hw;
    const int8_t *src = h, *end = h + (n & ~3);
    int32_t k;
    for (; src != end; src += 4, d += 2) {
        tg_lstm_widen4(src, &d[0], &d[1]);
    }
    for (k = n & ~3; k < padded; ++k) {
        hw[k] = k < n ? h[k] : 0;
    }
}

/* Steps t (x) and t + 1 (x1) widened side by side into xv (xc columns): per two columns a word of each,
 * four columns at a time (tg_lstm_widen4) where both have them, zeros past the n values. */
static void tg_lstm_pairs_widen2(const int8_t *x, const int8_t *x1, int32_t n, int16_t *xv, int32_t xc)
{
    int32_t *d = (int32_t *)(void *)xv;
    int32_t k;
    for (k = 0; k + 4 <= n; k += 4, d += 4) {
        tg_lstm_widen4(x + k, &d[0], &d[2]);
        tg_lstm_widen4(x1 + k, &d[1], &d[3]);
    }
    for (; k < xc; ++k) {
        int16_t *e = xv + 4 * (k >> 1) + (k & 1);
        e[0] = k < n ? x[k] : 0;
        e[2] = k < n ? x1[k] : 0;
    }
}

/*
 * The layer: per batch row and two steps (tg_lstm_pairs_inputs2; an odd sequence's last step alone:
 * tg_lstm_pairs_inputs1) the steps' inputs widened and their input sides' pre-activations, then per step the old hidden
 * state widened and per unit its recurrent products and tg_lstm_unit_pairs_dsp, the new hidden value stored
 * into the step's output row (the spare row where the output does not keep it), from which the next step
 * widens it, the state taking the batch row's last one at its end; fast, right and clip as
 * tg_lstm_unit_pairs_dsp takes them, whole as
 * tg_lstm_pairs_products_dsp (constants where the caller's test chose them).
 * scratch (recurrent_pairs_dsp.pairs_dsp_scratch): the two steps' inputs
 * (2 * xc int16) and two words, the widened hidden state (4 * hid4 int16) and two words, a
 * row for the steps whose output is not kept, then the input sides' pre-activations (4 words a
 * unit: per step gates (0, 1)'s word, then (2, 3)'s).
 */
__attribute__((always_inline)) static inline void tg_lstm_pairs_steps(const tg_lstm_params_t *p, const int8_t *input,
                                                                      const int32_t *packed, int8_t *state,
                                                                      int8_t *scratch, int8_t *output, int32_t fast,
                                                                      int32_t right, int32_t clip, int32_t whole)
{
#if !(defined(TG_DUAL_ISSUE) && TG_DUAL_ISSUE)
    const tg_lstm_params_t params = *p;
    p = &params;
#endif
    const tg_lstm_dsp_requant_t *q = (const tg_lstm_dsp_requant_t *)(const void *)packed;
    const int32_t *xunits = packed + sizeof(tg_lstm_dsp_requant_t) / sizeof(int32_t);
    const int32_t hid = p->hidden, in = p->input_size;
    const int32_t xc = (in + 15) & ~15, hid4 = ((hid + 7) >> 3) << 1;
    const int32_t *runits = xunits + hid * (4 + xc);
    int16_t *xv = (int16_t *)(void *)scratch;
    int16_t *hw = xv + 2 * xc + 4;
    int8_t *spare = (int8_t *)(hw + 4 * hid4 + 4);
    int32_t *z = (int32_t *)(void *)(spare + ((hid + 3) & ~3));
    const int8_t *x = input;
    /* the recurrent side's sums (tg_lstm_pairs_products_dsp) */
    int32_t r[4];
    int32_t b, t, s, j;
    /* the cell's tanh: its input's rounding right shift's half (tg_tanh_s16's, once per call) */
    const int32_t tanh_round = p->tanh_shift > 0 ? 1 << (p->tanh_shift - 1) : 0;
    const int32_t xp = tg_lstm_x_unshifted(q);

    for (b = 0; b < p->batches; ++b) {
        int8_t *h = state + b * hid;
        int16_t *c = (int16_t *)(void *)(state + p->c_offset) + b * hid;
        const int8_t *prev = h;  /* the hidden state the next step reads */
        for (t = 0; t < p->steps; t += 2) {
            const int32_t two = t + 1 < p->steps;   /* a pair of steps, else a sequence's last step alone */
            if (two) {
                tg_lstm_pairs_widen2(x, x + in, in, xv, xc);
                tg_lstm_pairs_inputs2(xunits, xv, xc, hid, z, q, xp);
            } else {                                /* into the two-step layout's first step */
                tg_lstm_pairs_widen(x, in, xv, xc);
                tg_lstm_pairs_inputs1(xunits, xv, xc, hid, z, q, xp);
            }
            x += two ? 2 * in : in;
            for (s = 0; s <= two; ++s) {
                /* the old hidden state (prev: the state, or the previous step's output row) widened, then per
                 * unit its recurrent products and tg_lstm_unit_pairs_dsp, its input side's two words at z + 4 j + 2 s,
                 * the new hidden value stored into the step's output row only (one store
                 * a unit: the next step widens that row; the state takes the last row at the end) */
                const int32_t ts = t + s;
                const int32_t *w = runits;
                int8_t *out = p->sequence ? output + (b * p->steps + ts) * hid
                                          : (ts == p->steps - 1 ? output + b * hid : spare);
                tg_lstm_pairs_widen(prev, hid, hw, 4 * hid4);
                for (j = 0; j < hid; ++j) {
                    w = tg_lstm_pairs_products_dsp(w, hw, hid4, whole, r);
                    out[j] = (int8_t)tg_lstm_unit_pairs_dsp(p, q, z + 4 * j + 2 * s, r[0], r[1], r[2], r[3],
                                                            tanh_round, fast, right, clip, &c[j]);
                }
                prev = out;
            }
        }
        if (prev != h) {
            memcpy(h, prev, (size_t)hid);
        }
    }
}

/* The layer with its unit update specialized for the call's records: the recurrent side's gate
 * requantizations and f * c, i * g and tanh(c) * o's all shifting right, no cell clip and the recurrent
 * side's turns a multiple of a pass's as constants (no test per unit), anything else tested per unit. */
void tg_lstm_s8_pairs_dsp(const tg_lstm_params_t *p, const int8_t *input, const int8_t *h0, const int16_t *c0,
                          const int8_t *c0_input, const int32_t *packed, int8_t *state, int8_t *scratch,
                          int8_t *output)
{
    const tg_lstm_dsp_requant_t *q = (const tg_lstm_dsp_requant_t *)(const void *)packed;
    const int32_t whole = ((p->hidden + 7) >> 3) % TG_LSTM_PAIRS_TURNS == 0;
    const int32_t rec = tg_lstm_rec_right(q);

    if (!p->stateful) {
        tg_lstm_reset_s8(p, h0, c0, c0_input, state);
    }
    if (rec && tg_lstm_right(q) && p->cell_clip <= 0 && whole) {
        tg_lstm_pairs_steps(p, input, packed, state, scratch, output, 1, 1, 0, 1);
    } else {
        tg_lstm_pairs_steps(p, input, packed, state, scratch, output, rec, tg_lstm_right(q), 1, 0);
    }
}
