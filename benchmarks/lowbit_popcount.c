/*
 * Popcount methods for the XNOR kernels, measured on the Cortex-M stand-ins by
 * benchmarks/lowbit_kernels.py --popcount: each function returns the set bits of
 * a[i] ^ w[i] over n words; main() runs every method over 4608 random word pairs in
 * calls of 8, 18, 36 and 72 words (FC 256, 3x3 x 64, 3x3 x 128, 3x3 x 256 channels per
 * output) and prints "<method> <words per call> <instructions> <total bits>".
 * The chosen method is in firmware/kernels/lowbit/tg_conv2d_b1_dsp.h.
 */
#include <stdint.h>
#include <stddef.h>
#include <arm_acle.h>
#include "tg_port.h"

#define M1 0x55555555u
#define M2 0x33333333u
#define M4 0x0F0F0F0Fu

__attribute__((noinline)) int32_t pc_mul(const uint32_t *a, const uint32_t *w, int32_t n)
{
    int32_t s = 0;
    for (int32_t i = 0; i < n; ++i) {
        uint32_t x = a[i] ^ w[i];
        x = x - ((x >> 1) & M1);
        x = (x & M2) + ((x >> 2) & M2);
        x = (x + (x >> 4)) & M4;
        s += (int32_t)((x * 0x01010101u) >> 24);
    }
    return s;
}

/* per-byte counts accumulated, one USADA8 per 31 words */
__attribute__((noinline)) int32_t pc_bytes(const uint32_t *a, const uint32_t *w, int32_t n)
{
    uint32_t s = 0;
    int32_t i = 0;
    while (i < n) {
        int32_t end = n - i > 31 ? i + 31 : n;
        uint32_t b = 0;
        for (; i < end; ++i) {
            uint32_t x = a[i] ^ w[i];
            x = x - ((x >> 1) & M1);
            x = (x & M2) + ((x >> 2) & M2);
            b += (x + (x >> 4)) & M4;
        }
        s = __usada8(b, 0u, s);
    }
    return (int32_t)s;
}

/* nibble counts of 2 words added before the byte step */
__attribute__((noinline)) int32_t pc_pair(const uint32_t *a, const uint32_t *w, int32_t n)
{
    uint32_t s = 0, b = 0;
    int32_t i = 0, k = 0;
    for (; i + 1 < n; i += 2) {
        uint32_t x = a[i] ^ w[i], y = a[i + 1] ^ w[i + 1];
        x = x - ((x >> 1) & M1);
        y = y - ((y >> 1) & M1);
        x = (x & M2) + ((x >> 2) & M2);
        y = (y & M2) + ((y >> 2) & M2);
        x += y;
        b += (x & M4) + ((x >> 4) & M4);
        if (++k == 15) { s = __usada8(b, 0u, s); b = 0; k = 0; }
    }
    if (i < n) {
        uint32_t x = a[i] ^ w[i];
        x = x - ((x >> 1) & M1);
        x = (x & M2) + ((x >> 2) & M2);
        b += (x & M4) + ((x >> 4) & M4);
    }
    return (int32_t)__usada8(b, 0u, s);
}

/* carry-save adder of 3 words (ones + 2 twos), nibble counts of both, one byte step */
__attribute__((noinline)) int32_t pc_csa3(const uint32_t *a, const uint32_t *w, int32_t n)
{
    uint32_t s = 0, b = 0;
    int32_t i = 0, k = 0;
    for (; i + 2 < n; i += 3) {
        uint32_t x = a[i] ^ w[i], y = a[i + 1] ^ w[i + 1], z = a[i + 2] ^ w[i + 2];
        uint32_t u = x ^ y;
        uint32_t l = u ^ z;
        uint32_t h = x ^ ((x ^ z) & u);
        l = l - ((l >> 1) & M1);
        h = h - ((h >> 1) & M1);
        l = (l & M2) + ((l >> 2) & M2);
        h = (h & M2) + ((h >> 2) & M2);
        l += h << 1;
        b += (l & M4) + ((l >> 4) & M4);
        if (++k == 10) { s = __usada8(b, 0u, s); b = 0; k = 0; }
    }
    for (; i < n; ++i) {
        uint32_t x = a[i] ^ w[i];
        x = x - ((x >> 1) & M1);
        x = (x & M2) + ((x >> 2) & M2);
        b += (x & M4) + ((x >> 4) & M4);
    }
    return (int32_t)__usada8(b, 0u, s);
}

#define CSA(h, l, a, b, c) do { uint32_t u_ = (a) ^ (b); h = (a) ^ (((a) ^ (c)) & u_); l = u_ ^ (c); } while (0)

static inline uint32_t bytes_of(uint32_t x)
{
    x = x - ((x >> 1) & M1);
    x = (x & M2) + ((x >> 2) & M2);
    return (x + (x >> 4)) & M4;
}

/* Harley-Seal over blocks of 8 words: ones/twos/fours carried across blocks, eights counted */
__attribute__((noinline)) int32_t pc_hs8(const uint32_t *a, const uint32_t *w, int32_t n)
{
    uint32_t ones = 0, twos = 0, fours = 0, eights, ta, tb, fa, fb, b = 0, s = 0;
    int32_t i = 0;
    for (; i + 7 < n; i += 8) {
        CSA(ta, ones, ones, a[i] ^ w[i], a[i + 1] ^ w[i + 1]);
        CSA(tb, ones, ones, a[i + 2] ^ w[i + 2], a[i + 3] ^ w[i + 3]);
        CSA(fa, twos, twos, ta, tb);
        CSA(ta, ones, ones, a[i + 4] ^ w[i + 4], a[i + 5] ^ w[i + 5]);
        CSA(tb, ones, ones, a[i + 6] ^ w[i + 6], a[i + 7] ^ w[i + 7]);
        CSA(fb, twos, twos, ta, tb);
        CSA(eights, fours, fours, fa, fb);
        b += bytes_of(eights);      /* <= 8 per byte per block: flush every 31 blocks (not reached here) */
    }
    s = __usada8(b, 0u, 0u) * 8u;
    s += __usada8(bytes_of(fours), 0u, 0u) * 4u + __usada8(bytes_of(twos), 0u, 0u) * 2u
         + __usada8(bytes_of(ones), 0u, 0u);
    for (; i < n; ++i) {
        s = __usada8(bytes_of(a[i] ^ w[i]), 0u, s);
    }
    return (int32_t)s;
}

static const uint8_t *s_table;
static uint8_t s_tab[256];

__attribute__((noinline)) int32_t pc_table(const uint32_t *a, const uint32_t *w, int32_t n)
{
    const uint8_t *t = s_table;
    int32_t s = 0;
    for (int32_t i = 0; i < n; ++i) {
        uint32_t x = a[i] ^ w[i];
        s += t[x & 0xFFu] + t[(x >> 8) & 0xFFu] + t[(x >> 16) & 0xFFu] + t[x >> 24];
    }
    return s;
}

static void put(const char *s)
{
    size_t n = 0;
    while (s[n]) {
        n++;
    }
    tg_port_write(s, n);
}
static void put_u(uint64_t v) { char b[21]; size_t i = sizeof b; do { b[--i] = (char)('0' + (int)(v % 10u)); v /= 10u; } while (v); tg_port_write(&b[i], sizeof b - i); }

#define N 4608
static uint32_t A[N], W[N];

typedef int32_t (*pc_fn)(const uint32_t *, const uint32_t *, int32_t);

int main(void)
{
    static const pc_fn fns[] = {pc_mul, pc_bytes, pc_pair, pc_csa3, pc_hs8, pc_table};
    static const char *const names[] = {"mul", "bytes", "pair", "csa3", "hs8", "table"};
    static const int32_t lens[] = {8, 18, 36, 72};
    uint32_t r = 12345u;
    tg_port_init();
    for (int i = 0; i < 256; ++i) { s_tab[i] = (uint8_t)__builtin_popcount((unsigned)i); }
    s_table = s_tab;
    for (int i = 0; i < N; ++i) { r = r * 1664525u + 1013904223u; A[i] = r; r = r * 1664525u + 1013904223u; W[i] = r; }
    for (unsigned f = 0; f < sizeof fns / sizeof fns[0]; ++f) {
        for (unsigned l = 0; l < 4; ++l) {
            int32_t len = lens[l], total = 0;
            uint64_t t = tg_port_counter();
            for (int32_t off = 0; off + len <= N; off += len) total += fns[f](&A[off], &W[off], len);
            t = tg_port_counter() - t;
            put(names[f]); put(" "); put_u((uint64_t)len); put(" "); put_u(t); put(" "); put_u((uint64_t)total); put("\n");
        }
    }
    put("done\n");
    tg_port_exit(0);
}
