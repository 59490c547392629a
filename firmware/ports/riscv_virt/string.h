/*
 * The four memory functions GCC may call even in freestanding code (for
 * struct copies, zero-initialised locals, and loops it recognises), for the
 * RISC-V virt stand-in, which is built without a C library. Implemented in
 * tg_libc.c. Only these: tinygen's C needs nothing else from <string.h>.
 */
#ifndef TG_VIRT_STRING_H
#define TG_VIRT_STRING_H

#include <stddef.h>

void *memcpy(void *dest, const void *src, size_t n);
void *memmove(void *dest, const void *src, size_t n);
void *memset(void *dest, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);

#endif /* TG_VIRT_STRING_H */
