/*
 * tg_exit_taken_s8: whether an early exit answers (see tg_kernels_gating.h): the head's
 * largest int8 probability reaches the threshold code. numpy twin:
 * tinygen.gating.ref.exit_taken.
 */
#include "tg_kernels_gating.h"

int32_t tg_exit_taken_s8(const int8_t *probs, int32_t n, int32_t threshold)
{
    int32_t i, top = -128;
    for (i = 0; i < n; ++i) {
        top = probs[i] > top ? probs[i] : top;
    }
    return top >= threshold;
}
