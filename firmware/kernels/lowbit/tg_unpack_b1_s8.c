/*
 * tg_unpack_b1_s8: packed binary activations -> int8 +1 / -1 (bit 0 -> +1,
 * bit 1 -> -1). numpy twin: tinygen.ref.binary.unpack_b1_s8. Semantics: LOWBIT.md.
 */
#include "tg_kernels_b1.h"

void tg_unpack_b1_s8(const tg_unpack_b1_params_t *p, const uint32_t *input, int8_t *output)
{
    const int32_t words = TG_B1_WORDS(p->channels);
    int32_t px, c;

    for (px = 0; px < p->pixels; ++px) {
        const uint32_t *in_px = &input[px * words];
        for (c = 0; c < p->channels; ++c) {
            *output++ = (int8_t)(1 - 2 * (int32_t)((in_px[c >> 5] >> (c & 31)) & 1u));
        }
    }
}
