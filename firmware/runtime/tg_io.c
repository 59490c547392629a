/* Text output for the protocol: see tg_io.h. */
#include "tg_io.h"

#include <string.h>

#include "tg_port.h"

/* Big enough to send short lines in one write, small enough for any part. */
#define TG_IO_BUF 64

static char tg_io_buf[TG_IO_BUF];
static size_t tg_io_len;

void tg_io_flush(void)
{
    if (tg_io_len > 0) {
        tg_port_write(tg_io_buf, tg_io_len);
        tg_io_len = 0;
    }
}

void tg_io_char(char c)
{
    if (tg_io_len == TG_IO_BUF) {
        tg_io_flush();
    }
    tg_io_buf[tg_io_len++] = c;
}

void tg_io_write(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        tg_io_char(s[i]);
    }
}

void tg_io_str(const char *s)
{
    while (*s != '\0') {
        tg_io_char(*s++);
    }
}

void tg_io_u64(uint64_t v)
{
    char digits[20]; /* UINT64_MAX has 20 digits */
    int n = 0;
    do {
        digits[n++] = (char)('0' + (int)(v % 10u));
        v /= 10u;
    } while (v != 0u);
    while (n > 0) {
        tg_io_char(digits[--n]);
    }
}

void tg_io_i64(int64_t v)
{
    if (v < 0) {
        tg_io_char('-');
        /* negate in unsigned arithmetic: INT64_MIN has no positive twin */
        tg_io_u64(0u - (uint64_t)v);
    } else {
        tg_io_u64((uint64_t)v);
    }
}

void tg_io_hex(const uint8_t *bytes, size_t n)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        tg_io_char(digits[bytes[i] >> 4]);
        tg_io_char(digits[bytes[i] & 0xFu]);
    }
}

/* Below 2^63 / 1000 the thousandths fit a uint64_t; 9.2e18f is just under 2^63. */
#define TG_IO_F3_LIMIT 9.2e18f

/*
 * x (0 <= x < TG_IO_F3_LIMIT) rounded to an integer, halves up: its integer part plus one where
 * its fraction is at least 0.5, i.e. where the first bit below the binary point is set. Read from
 * the float's bits: a float-to-uint64 conversion pulls in libgcc's soft-float routines (2.2 KB
 * of the MobileNetV2 image on a Cortex-M4F, whose FPU converts to 32 bits only).
 */
static uint64_t tg_io_round_half_up(float x)
{
    uint32_t bits;
    memcpy(&bits, &x, sizeof bits);
    const int32_t e = (int32_t)((bits >> 23) & 0xFFu);
    if (e == 0) { /* zero or subnormal: below 0.5 */
        return 0;
    }
    const uint64_t m = (uint64_t)((bits & 0x7FFFFFu) | 0x800000u); /* x = m * 2^(e - 150) */
    const int32_t s = e - 150;
    if (s >= 0) { /* an integer; s <= 39 below the limit */
        return m << s;
    }
    if (s < -24) { /* x < 2^(24 + s) <= 0.5 */
        return 0;
    }
    return (m >> -s) + ((m >> (-s - 1)) & 1u);
}

void tg_io_f3(float v)
{
    if (v != v) {
        tg_io_str("nan");
        return;
    }
    if (v < 0.0f) {
        tg_io_char('-');
        v = -v;
    }
    /*
     * volatile: the product must be rounded to float before the fraction is
     * taken, or a compiler allowed to fuse multiply-adds (-ffp-contract=fast)
     * computes m - i exactly and may round the other way than documented.
     */
    volatile float m = v * 1000.0f;
    float thousandths = m;
    if (!(thousandths < TG_IO_F3_LIMIT)) {
        tg_io_str("inf");
        return;
    }
    uint64_t t = tg_io_round_half_up(thousandths);
    tg_io_u64(t / 1000u);
    tg_io_char('.');
    uint32_t frac = (uint32_t)(t % 1000u);
    tg_io_char((char)('0' + frac / 100u));
    tg_io_char((char)('0' + frac / 10u % 10u));
    tg_io_char((char)('0' + frac % 10u));
}

void tg_io_end_line(void)
{
    tg_io_char('\r');
    tg_io_char('\n');
    tg_io_flush();
}

void tg_io_end_bracket(void)
{
    tg_io_char(']');
    tg_io_end_line();
}

void tg_io_line(const char *s)
{
    tg_io_str(s);
    tg_io_end_line();
}
