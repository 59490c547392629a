/*
 * tg_lstm_s8_pairs_dsp: tg_lstm_s8 for ARMv7E-M with the int8 weights of two gates in one halfword
 * (tinygen.kernels.recurrent_pairs_dsp: h = 256 b + a for gates (0, 1) and (2, 3) of a unit at the
 * same column), half tg_lstm_s8_dsp's record for the same SMLAD count: per word of two columns one
 * load, one SXTB16 (the low bytes: gate A's weights) and two SMLAD, one over the halfwords (256 S_B
 * + S_A) and one over the low bytes (S_A); S_B = (acc1 - acc2) >> 8, exact by the build-time bound
 * (recurrent_pairs_dsp.pairs_fit). Columns padded to a multiple of 8 (two groups of 4, one turn of
 * the products' register rotation). The rest is tg_lstm_s8_dsp's (tg_lstm_s8_dsp.h). numpy twin:
 * tinygen.ref.recurrent.lstm_s8.
 */
#include "tg_lstm_s8_dsp.h"

/*
 * One group (4 columns) of one side: the vector's words x0 (columns 0-1), x1 (2-3) and the words of
 * gates (0, 1) (HA: columns 0-1, r5: 2-3) already loaded, the next group's loaded on the way (software
 * pipelined). Each SMLAD pairs with a load or an SXTB16 on a dual-issue core (Cortex-M7); the loads
 * come two at a time where the registers allow (Cortex-M4's pipelined loads). HA, F1, F2 rotate (r4,
 * r6, r8 for the first group of a turn; r6, r4, r8 for the second); the second group's loads of the
 * next turn move v and w on (write-back: XNEXT, WNEXT), its later loads relative to them (X1, W5).
 */
#define TG_LSTM_PAIRS_GROUP(HA, F1, F2, ow, WNEXT, W5, XNEXT, X1)                                            \
    "smlad %[a0], " HA ", %[x0], %[a0]\n\t"                                                                  \
    "sxtb16 " F1 ", " HA "\n\t"                                                                              \
    "smlad %[a0], r5, %[x1], %[a0]\n\t"                                                                      \
    "sxtb16 " F2 ", r5\n\t"                                                                                  \
    "smlad %[a1], " F1 ", %[x0], %[a1]\n\t"                                                                  \
    "ldr " HA ", [%[w], #" #ow "+8]\n\t"                                                                     \
    "smlad %[a1], " F2 ", %[x1], %[a1]\n\t"                                                                  \
    "ldr r5, [%[w], #" #ow "+12]\n\t"                                                                        \
    "ldr " F1 ", [%[w], " WNEXT "\n\t"                                                                       \
    "smlad %[a2], " HA ", %[x0], %[a2]\n\t"                                                                  \
    "sxtb16 " F2 ", " HA "\n\t"                                                                              \
    "smlad %[a2], r5, %[x1], %[a2]\n\t"                                                                      \
    "sxtb16 " HA ", r5\n\t"                                                                                  \
    "smlad %[a3], " F2 ", %[x0], %[a3]\n\t"                                                                  \
    "ldr %[x0], [%[v], " XNEXT "\n\t"                                                                        \
    "smlad %[a3], " HA ", %[x1], %[a3]\n\t"                                                                  \
    "ldr %[x1], [%[v], #" #X1 "]\n\t"                                                                        \
    "ldr r5, [%[w], #" #W5 "]\n\t"

/* Two groups (8 columns), v and w moved on past them. */
#define TG_LSTM_PAIRS_TURN                                                                                   \
    TG_LSTM_PAIRS_GROUP("r4", "r6", "r8", 0, "#16]", 20, "#8]", 12)                                           \
    TG_LSTM_PAIRS_GROUP("r6", "r4", "r8", 16, "#32]!", 4, "#16]!", 4)

/*
 * The loop over a side's turns (n4 / 2): TG_LSTM_PAIRS_TURNS of them a pass (2 by default, an odd turn
 * entering at the second; 1 where the board's instruction cache is small: the STM32F446's 1 KB ART,
 * -DTG_LSTM_PAIRS_TURNS=1 in boards/nucleo-f446re.toml, keeps the step's code inside it).
 */
#ifndef TG_LSTM_PAIRS_TURNS
#define TG_LSTM_PAIRS_TURNS 2
#endif
#if TG_LSTM_PAIRS_TURNS == 1
#define TG_LSTM_PAIRS_LOOP                                                                                   \
    "1:\n\t"                                                                                                 \
    TG_LSTM_PAIRS_TURN                                                                                       \
    "subs %[n], %[n], #2\n\t"                                                                                \
    "bne 1b\n\t"
#else
#define TG_LSTM_PAIRS_LOOP                                                                                   \
    "tst %[n], #2\n\t"                                                                                       \
    "beq 1f\n\t"                                                                                             \
    "adds %[n], %[n], #2\n\t"                                                                                \
    "b 2f\n\t"                                                                                               \
    "1:\n\t"                                                                                                 \
    TG_LSTM_PAIRS_TURN                                                                                       \
    "2:\n\t"                                                                                                 \
    TG_LSTM_PAIRS_TURN                                                                                       \
    "subs %[n], %[n], #4\n\t"                                                                                \
    "bne 1b\n\t"
#endif

/*
 * One unit's products (tg_lstm_products_dsp_t): per side its record (acc1's and acc2's starts for
 * gates (0, 1), then for gates (2, 3), then 4 words per group of 4 columns) times the widened vector
 * (n4 groups, even), two groups a turn, the sums taken apart into the 4 gates' products
 * (gate A = acc2, gate B = (acc1 - acc2) >> 8) at acc, then the recurrent side (acc[8], acc[9]) at acc + 4,
 * in one loop whose code serves both sides (as tg_rnn_products4_dsp's; acc[12] = 0 ends it), the acc
 * pointer kept in memory (registers run out).
 * The pipelined loads read the two words past each side's vector and record (scratch and packed are
 * sized for it).
 */
__attribute__((always_inline)) static inline const int32_t *tg_lstm_pairs_products_dsp(const int32_t *w, const int16_t *v,
                                                                                        int32_t n4, int32_t *acc)
{
    int32_t a0, a1, a2, a3, x0, x1;
    __asm__ volatile(
        "5:\n\t"
        "ldrd %[a0], %[a1], [%[w]], #8\n\t"
        "ldrd %[a2], %[a3], [%[w]], #8\n\t"
        "ldr %[x0], [%[v]]\n\t"
        "ldr %[x1], [%[v], #4]\n\t"
        "ldr r4, [%[w]]\n\t"
        "ldr r5, [%[w], #4]\n\t"
        TG_LSTM_PAIRS_LOOP
        /* the side's 4 gate products: A = acc2, B = (acc1 - acc2) >> 8; the next side's vector and groups */
        "ldr r4, %[accp]\n\t"
        "subs %[a0], %[a0], %[a1]\n\t"
        "subs %[a2], %[a2], %[a3]\n\t"
        "asrs %[a0], %[a0], #8\n\t"
        "asrs %[a2], %[a2], #8\n\t"
        "strd %[a1], %[a0], [r4], #8\n\t"
        "strd %[a3], %[a2], [r4], #8\n\t"
        "str r4, %[accp]\n\t"
        "ldrd %[v], %[n], [r4, #16]\n\t"
        "cmp %[v], #0\n\t"
        "bne 5b\n\t"
        : [a0] "=&r"(a0), [a1] "=&r"(a1), [a2] "=&r"(a2), [a3] "=&r"(a3), [x0] "=&r"(x0), [x1] "=&r"(x1),
          [w] "+r"(w), [v] "+r"(v), [n] "+r"(n4), [accp] "+m"(acc)
        :
        : "r4", "r5", "r6", "r8", "cc", "memory");
    return w;
}

void tg_lstm_s8_pairs_dsp(const tg_lstm_params_t *p, const int8_t *input, const int8_t *h0, const int16_t *c0,
                          const int8_t *c0_input, const int32_t *packed, int8_t *state, int8_t *scratch,
                          int8_t *output)
{
    tg_lstm_steps_dsp(p, input, h0, c0, c0_input, packed, state, scratch, output, ((p->input_size + 7) >> 3) << 1,
                      ((p->hidden + 7) >> 3) << 1, tg_lstm_pairs_products_dsp);
}
