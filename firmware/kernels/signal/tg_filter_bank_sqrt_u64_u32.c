/*
 * tg_filter_bank_sqrt_u64_u32: portable SignalFilterBankSquareRoot (TFLite Micro's signal
 * library): each channel's rounded integer root, shifted right by the scalar the FFT's auto
 * scale wrote. The root is found bit by bit from the highest even power of two not above the
 * argument; it is then rounded up where the remainder exceeds it, but never past the largest
 * root of the width. An argument below 2^32 takes the 32-bit path (a root of at most 0xFFFF),
 * as the signal library does: the bytes differ from tinygen's own tg_sqrt_u64 (firmware/audio/,
 * floor(sqrt) after a Newton step), so the two are not shared.
 * numpy twin: tinygen.ref.signal_bank.filter_bank_sqrt_u64_u32.
 */
#include "tg_kernels_signal_bank.h"

static uint64_t tg_root_rounded(uint64_t num, int32_t width)
{
    int32_t top = width - (64 - __builtin_clzll(num));   /* leading zeros within the width */
    int32_t steps;
    uint64_t root = 0u;
    uint64_t bit;
    uint64_t cap = width == 32 ? 0xFFFFu : 0xFFFFFFFFu;

    top |= 1;
    bit = (uint64_t)1u << (width - 1 - top);
    for (steps = (width - 1 - top) / 2 + 1; steps > 0; --steps) {
        if (num >= root + bit) {
            num -= root + bit;
            root = (root >> 1) + bit;
        } else {
            root >>= 1;
        }
        bit >>= 2;
    }
    if (num > root && root != cap) {
        ++root;
    }
    return root;
}

void tg_filter_bank_sqrt_u64_u32(const tg_filter_bank_sqrt_params_t *p, const uint64_t *input,
                                 const int32_t *shift, uint32_t *output)
{
    const uint32_t s = (uint32_t)*shift;
    int32_t i;

    for (i = 0; i < p->size; ++i) {
        const uint64_t x = input[i];
        uint32_t root = 0u;
        if ((x >> 32) != 0u) {
            root = (uint32_t)tg_root_rounded(x, 64);
        } else if (x != 0u) {
            root = (uint32_t)tg_root_rounded(x, 32);
        }
        output[i] = root >> s;
    }
}
