/*
 * tg_lstm_pairs_rec_dsp.h: tg_lstm_s8_pairs_dsp's recurrent side (tinygen.kernels.recurrent_pairs_dsp's _side:
 * per unit 4 starts, then per group of 4 columns the words of gates (0, 1) at columns 0-1 and 2-3, then those of
 * gates (2, 3)): one unit's products over the widened hidden state, two groups a turn, TG_LSTM_PAIRS_TURNS turns
 * a loop pass, by the core's schedule (the Cortex-M7's pairing, TG_DUAL_ISSUE; LDRDs on the M4 and M33; LDMs
 * where TG_LSTM_LDM). numpy twin: tinygen.ref.recurrent.lstm_s8.
 */
#ifndef TG_LSTM_PAIRS_REC_DSP_H
#define TG_LSTM_PAIRS_REC_DSP_H

#include <stdint.h>

/*
 * One group (4 columns) of one side: the vector's words x0 (columns 0-1), x1 (2-3) and the words of
 * gates (0, 1) (HA: columns 0-1, r5: 2-3) already loaded, the next group's loaded on the way (software
 * pipelined). Each SMLAD pairs with a load or an SXTB16 on a dual-issue core (Cortex-M7), and the next
 * group's vector words come by one LDRD once the last SMLAD has read them (an LDRD issues alone: one
 * cycle and one load for two LDRs that would leave two SMLADs' partners unpaired), the next group's first
 * instruction an SXTB16 that reads neither. HA, F1, F2 rotate (r4, r6, r8 for the first group of a turn;
 * r6, r4, r8 for the second); the second group's loads of the next turn move v and w on (write-back:
 * XNEXT, WNEXT), its later load of w relative to it (W5).
 */
#define TG_LSTM_PAIRS_GROUP(HA, F1, F2, ow, WNEXT, W5, XNEXT)                                                \
    "sxtb16 " F1 ", " HA "\n\t"                                                                              \
    "smlad %[a0], " HA ", %[x0], %[a0]\n\t"                                                                  \
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
    "smlad %[a3], " HA ", %[x1], %[a3]\n\t"                                                                  \
    "ldr r5, [%[w], #" #W5 "]\n\t"                                                                           \
    "ldrd %[x0], %[x1], [%[v], " XNEXT "\n\t"

/* The same for the cores without TG_DUAL_ISSUE (M4, M33: nothing to pair), each two adjacent words by one LDRD
 * (3 loads a group for 6: the M4 charges each load), the next group's words of gates (0, 1) once the current
 * ones are used, the vector's once its last products are done, the group's SXTB16 first (no load read by the
 * instruction after it: the M33's load-use stall). */
#define TG_LSTM_PAIRS_GROUP_LDRD(HA, F1, F2, ow, WNEXT, XNEXT)                                               \
    "sxtb16 " F1 ", " HA "\n\t"                                                                              \
    "smlad %[a0], " HA ", %[x0], %[a0]\n\t"                                                                  \
    "smlad %[a0], r5, %[x1], %[a0]\n\t"                                                                      \
    "sxtb16 " F2 ", r5\n\t"                                                                                  \
    "smlad %[a1], " F1 ", %[x0], %[a1]\n\t"                                                                  \
    "ldrd " HA ", r5, [%[w], #" #ow "+8]\n\t"                                                                \
    "smlad %[a1], " F2 ", %[x1], %[a1]\n\t"                                                                  \
    "smlad %[a2], " HA ", %[x0], %[a2]\n\t"                                                                  \
    "sxtb16 " F2 ", " HA "\n\t"                                                                              \
    "smlad %[a2], r5, %[x1], %[a2]\n\t"                                                                      \
    "sxtb16 " HA ", r5\n\t"                                                                                  \
    "ldrd " F1 ", r5, [%[w], " WNEXT "\n\t"                                                                  \
    "smlad %[a3], " F2 ", %[x0], %[a3]\n\t"                                                                  \
    "smlad %[a3], " HA ", %[x1], %[a3]\n\t"                                                                  \
    "ldrd %[x0], %[x1], [%[v], " XNEXT "\n\t"

/* The same by LDMs (-DTG_LSTM_LDM=1: the Cortex-M4, whose fitted model charges each load instruction about a
 * cycle beyond its TRM timing: an LDM of N words 1 + N and that cycle, N LDRs that cycle each): the group's 4 words in r4, r5, r6, r8 and the vector's
 * 2 in r2, r3 by one LDM each, moving w and v on (no software pipelining: nothing loaded ahead), each word's
 * SXTB16 in place once its halfwords' SMLAD is done. */
#define TG_LSTM_PAIRS_GROUP_LDM                                                                              \
    "ldmia %[w]!, {r4, r5, r6, r8}\n\t"                                                                       \
    "ldmia %[v]!, {r2, r3}\n\t"                                                                               \
    "smlad %[a0], r4, r2, %[a0]\n\t"                                                                          \
    "sxtb16 r4, r4\n\t"                                                                                       \
    "smlad %[a0], r5, r3, %[a0]\n\t"                                                                          \
    "sxtb16 r5, r5\n\t"                                                                                       \
    "smlad %[a1], r4, r2, %[a1]\n\t"                                                                          \
    "smlad %[a1], r5, r3, %[a1]\n\t"                                                                          \
    "smlad %[a2], r6, r2, %[a2]\n\t"                                                                          \
    "sxtb16 r6, r6\n\t"                                                                                       \
    "smlad %[a2], r8, r3, %[a2]\n\t"                                                                          \
    "sxtb16 r8, r8\n\t"                                                                                       \
    "smlad %[a3], r6, r2, %[a3]\n\t"                                                                          \
    "smlad %[a3], r8, r3, %[a3]\n\t"

/* Two groups (8 columns), v and w moved on past them. */
#if defined(TG_LSTM_LDM) && TG_LSTM_LDM
#define TG_LSTM_PAIRS_TURN TG_LSTM_PAIRS_GROUP_LDM TG_LSTM_PAIRS_GROUP_LDM
#elif defined(TG_DUAL_ISSUE) && TG_DUAL_ISSUE
#define TG_LSTM_PAIRS_TURN                                                                                   \
    TG_LSTM_PAIRS_GROUP("r4", "r6", "r8", 0, "#16]", 20, "#8]")                                              \
    TG_LSTM_PAIRS_GROUP("r6", "r4", "r8", 16, "#32]!", 4, "#16]!")
#else
#define TG_LSTM_PAIRS_TURN                                                                                   \
    TG_LSTM_PAIRS_GROUP_LDRD("r4", "r6", "r8", 0, "#16]", "#8]")                                              \
    TG_LSTM_PAIRS_GROUP_LDRD("r6", "r4", "r8", 16, "#32]!", "#16]!")
#endif

/*
 * The loop over a side's turns (n4 / 2): TG_LSTM_PAIRS_TURNS of them a pass (4 on a dual-issue core,
 * TG_DUAL_ISSUE, else 2 by default, a remainder of r turns entering at turn TG_LSTM_PAIRS_TURNS + 1 - r:
 * each turn moves v and w on itself; a board sets it: -DTG_LSTM_PAIRS_TURNS=8 on the U585, whose 8 KB
 * ICACHE holds the unrolled loop (64 units in one pass), 4 on the F446, whose 1 KB ART holds four turns of
 * the products and the unit update; 1 where the instruction cache is too small for two turns and the unit
 * update together).
 */
#ifndef TG_LSTM_PAIRS_TURNS
#if defined(TG_DUAL_ISSUE) && TG_DUAL_ISSUE
#define TG_LSTM_PAIRS_TURNS 4
#else
#define TG_LSTM_PAIRS_TURNS 2
#endif
#endif
/* TG_LSTM_PAIRS_LOOP(DISPATCH): the loop; DISPATCH(text) keeps the entry for a remainder of turns
 * (TG_LSTM_PAIRS_ANY) or drops it (TG_LSTM_PAIRS_WHOLE: the caller found the turns a multiple of
 * TG_LSTM_PAIRS_TURNS, once per call). */
#define TG_LSTM_PAIRS_ANY(text) text
#define TG_LSTM_PAIRS_WHOLE(text) ""
#if TG_LSTM_PAIRS_TURNS == 4
#define TG_LSTM_PAIRS_LOOP(DISPATCH)                                                                         \
    DISPATCH("ands r6, %[n], #6\n\t"                                                                          \
             "beq 1f\n\t"                                                                                     \
             "rsb r6, r6, #8\n\t"                                                                             \
             "add %[n], %[n], r6\n\t"                                                                         \
             "cmp r6, #4\n\t"                                                                                 \
             "blo 2f\n\t"                                                                                     \
             "beq 3f\n\t"                                                                                     \
             "b 4f\n\t")                                                                                      \
    "1:\n\t"                                                                                                  \
    TG_LSTM_PAIRS_TURN                                                                                       \
    "2:\n\t"                                                                                                  \
    TG_LSTM_PAIRS_TURN                                                                                       \
    "3:\n\t"                                                                                                  \
    TG_LSTM_PAIRS_TURN                                                                                       \
    "4:\n\t"                                                                                                  \
    TG_LSTM_PAIRS_TURN                                                                                       \
    "subs %[n], %[n], #8\n\t"                                                                                 \
    "bne 1b\n\t"
#elif TG_LSTM_PAIRS_TURNS == 8
#define TG_LSTM_PAIRS_LOOP(DISPATCH)                                                                         \
    DISPATCH("ands r6, %[n], #14\n\t"                                                                         \
             "beq 1f\n\t"                                                                                    \
             "rsb r6, r6, #16\n\t"                                                                           \
             "add %[n], %[n], r6\n\t"                                                                        \
             "cmp r6, #8\n\t"                                                                                \
             "beq 5f\n\t"                                                                                    \
             "bhi 9f\n\t"                                                                                    \
             "cmp r6, #4\n\t"                                                                                \
             "blo 2f\n\t"                                                                                    \
             "beq 3f\n\t"                                                                                    \
             "b 4f\n\t"                                                                                      \
             "9:\n\t"                                                                                        \
             "cmp r6, #12\n\t"                                                                               \
             "blo 6f\n\t"                                                                                    \
             "beq 7f\n\t"                                                                                    \
             "b 8f\n\t")                                                                                     \
    "1:\n\t" TG_LSTM_PAIRS_TURN "2:\n\t" TG_LSTM_PAIRS_TURN "3:\n\t" TG_LSTM_PAIRS_TURN                       \
    "4:\n\t" TG_LSTM_PAIRS_TURN "5:\n\t" TG_LSTM_PAIRS_TURN "6:\n\t" TG_LSTM_PAIRS_TURN                       \
    "7:\n\t" TG_LSTM_PAIRS_TURN "8:\n\t" TG_LSTM_PAIRS_TURN                                                   \
    "subs %[n], %[n], #16\n\t"                                                                                \
    "bne 1b\n\t"
#elif TG_LSTM_PAIRS_TURNS == 1
#define TG_LSTM_PAIRS_LOOP(DISPATCH)                                                                         \
    "1:\n\t"                                                                                                 \
    TG_LSTM_PAIRS_TURN                                                                                       \
    "subs %[n], %[n], #2\n\t"                                                                                \
    "bne 1b\n\t"
#else
#define TG_LSTM_PAIRS_LOOP(DISPATCH)                                                                         \
    DISPATCH("tst %[n], #2\n\t"                                                                               \
             "beq 1f\n\t"                                                                                     \
             "adds %[n], %[n], #2\n\t"                                                                        \
             "b 2f\n\t")                                                                                      \
    "1:\n\t"                                                                                                 \
    TG_LSTM_PAIRS_TURN                                                                                       \
    "2:\n\t"                                                                                                 \
    TG_LSTM_PAIRS_TURN                                                                                       \
    "subs %[n], %[n], #4\n\t"                                                                                \
    "bne 1b\n\t"
#endif

/* One unit's recurrent products' asm (tg_lstm_pairs_products_dsp), DISPATCH as TG_LSTM_PAIRS_LOOP takes it. */
#if defined(TG_LSTM_LDM) && TG_LSTM_LDM
#define TG_LSTM_PAIRS_PRODUCTS(DISPATCH)                                                                     \
    __asm__ volatile(                                                                                         \
        "ldrd %[a0], %[a1], [%[w]], #8\n\t"                                                                  \
        "ldrd %[a2], %[a3], [%[w]], #8\n\t"                                                                  \
        TG_LSTM_PAIRS_LOOP(DISPATCH)                                                                          \
        : [a0] "=&r"(a0), [a1] "=&r"(a1), [a2] "=&r"(a2), [a3] "=&r"(a3), [w] "+r"(w), [v] "+r"(v),           \
          [n] "+r"(n4)                                                                                        \
        :                                                                                                     \
        : "r2", "r3", "r4", "r5", "r6", "r8", "cc", "memory")
#else
#define TG_LSTM_PAIRS_PRODUCTS(DISPATCH)                                                                     \
    __asm__ volatile(                                                                                         \
        "ldrd %[a0], %[a1], [%[w]], #8\n\t"                                                                   \
        "ldrd %[a2], %[a3], [%[w]], #8\n\t"                                                                   \
        "ldr %[x0], [%[v]]\n\t"                                                                               \
        "ldr %[x1], [%[v], #4]\n\t"                                                                           \
        "ldr r4, [%[w]]\n\t"                                                                                  \
        "ldr r5, [%[w], #4]\n\t"                                                                              \
        TG_LSTM_PAIRS_LOOP(DISPATCH)                                                                          \
        : [a0] "=&r"(a0), [a1] "=&r"(a1), [a2] "=&r"(a2), [a3] "=&r"(a3), [x0] "=&r"(x0), [x1] "=&r"(x1),     \
          [w] "+r"(w), [v] "+r"(v), [n] "+r"(n4)                                                              \
        :                                                                                                     \
        : "r4", "r5", "r6", "r8", "cc", "memory")
#endif

/*
 * One unit's recurrent products: its record (acc1's and acc2's starts for gates (0, 1), then for
 * gates (2, 3), then 4 words per group of 4 columns) times the widened vector (n4 groups, even), two
 * groups a turn, the sums taken apart into the 4 gates' products (gate A = acc2, gate B = (acc1 -
 * acc2) >> 8) in r[0..3] (registers where inlined); whole: the turns a multiple of TG_LSTM_PAIRS_TURNS
 * (a constant 1 where the caller tested it: no entry for a remainder). The pipelined loads read the two
 * words past the vector and the record (scratch and packed are sized for it). Returns w past the unit.
 */
__attribute__((always_inline)) static inline const int32_t *tg_lstm_pairs_products_dsp(const int32_t *w, const int16_t *v,
                                                                                        int32_t n4, int32_t whole,
                                                                                        int32_t *r)
{
    int32_t a0, a1, a2, a3;
#if !(defined(TG_LSTM_LDM) && TG_LSTM_LDM)
    int32_t x0, x1;     /* the vector's words (the LDM version loads them into r2, r3) */
#endif
    if (whole) {
        TG_LSTM_PAIRS_PRODUCTS(TG_LSTM_PAIRS_WHOLE);
    } else {
        TG_LSTM_PAIRS_PRODUCTS(TG_LSTM_PAIRS_ANY);
    }
    r[0] = a1;
    r[1] = (a0 - a1) >> 8;
    r[2] = a3;
    r[3] = (a2 - a3) >> 8;
    return w;
}

#endif /* TG_LSTM_PAIRS_REC_DSP_H */
