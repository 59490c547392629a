/*
 * memcpy, memmove, memset, memcmp for the libc-less RISC-V virt build (see
 * string.h here). Byte loops: small and obviously correct; the model's hot
 * paths do not copy memory. The attribute stops GCC from recognising each
 * loop as a call to the very function it implements.
 */
#include <string.h>

#define TG_NO_LIBCALLS __attribute__((optimize("no-tree-loop-distribute-patterns")))

TG_NO_LIBCALLS void *memcpy(void *dest, const void *src, size_t n)
{
    unsigned char *d = dest;
    const unsigned char *s = src;
    for (size_t i = 0; i < n; i++) {
        d[i] = s[i];
    }
    return dest;
}

TG_NO_LIBCALLS void *memmove(void *dest, const void *src, size_t n)
{
    unsigned char *d = dest;
    const unsigned char *s = src;
    if (d < s) {
        for (size_t i = 0; i < n; i++) {
            d[i] = s[i];
        }
    } else {
        for (size_t i = n; i > 0; i--) {
            d[i - 1] = s[i - 1];
        }
    }
    return dest;
}

TG_NO_LIBCALLS void *memset(void *dest, int c, size_t n)
{
    unsigned char *d = dest;
    for (size_t i = 0; i < n; i++) {
        d[i] = (unsigned char)c;
    }
    return dest;
}

TG_NO_LIBCALLS int memcmp(const void *a, const void *b, size_t n)
{
    const unsigned char *x = a;
    const unsigned char *y = b;
    for (size_t i = 0; i < n; i++) {
        if (x[i] != y[i]) {
            return x[i] < y[i] ? -1 : 1;
        }
    }
    return 0;
}
