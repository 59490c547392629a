/*
 * tg_image_rgb565_accumulate (tg_image.h) for the Cortex-M4/M7 (Thumb-2): the C version's
 * arithmetic, with the four masks, the weight and the pointers in registers through the loop.
 * Per pixel pair (two pixels of one region row):
 *
 *     LDR  x, [p], #4                   the pair (REV16 x first for RGB565BE)
 *     LDM  l, {L0, L1, L2}              its R, G, B lanes
 *     3 x { AND c, m, x, LSR #s;  AND t, m', x, LSR #s';  ORR c, c, t;  MLA Li, w, c, Li }
 *     STM  l!, {L0, L1, L2}
 *
 * 15 instructions (16 big-endian), 2 pairs per loop turn (CMP + BNE): 16 (17) per pair, 8 (8.5)
 * per pixel. The floor of this form: a channel word of 2 pixels is 3 instructions (the 5 or 6
 * bits moved to the lane's top, their top bits repeated below, one OR) and 1 multiply-add,
 * so 12 per pair before any load; the 14 registers (4 masks, the weight, 3 pointers, the pair,
 * 2 temporaries, 3 lanes) leave no room for a wider step.
 */
#include "tg_image.h"

#define TG_RGB565_STEP(swap)                                                                            \
    "ldr %[x], [%[p]], #4\n\t" swap                                                                     \
    "ldm %[l], {%[l0], %[l1], %[l2]}\n\t"                                                               \
    "and %[c], %[m5], %[x], lsr #8\n\tand %[t], %[m3], %[x], lsr #13\n\torr %[c], %[c], %[t]\n\t"        \
    "mla %[l0], %[w], %[c], %[l0]\n\t"                                                                  \
    "and %[c], %[m6], %[x], lsr #3\n\tand %[t], %[m2], %[x], lsr #9\n\torr %[c], %[c], %[t]\n\t"         \
    "mla %[l1], %[w], %[c], %[l1]\n\t"                                                                  \
    "and %[c], %[m5], %[x], lsl #3\n\tand %[t], %[m3], %[x], lsr #2\n\torr %[c], %[c], %[t]\n\t"         \
    "mla %[l2], %[w], %[c], %[l2]\n\t"                                                                  \
    "stm %[l]!, {%[l0], %[l1], %[l2]}\n\t"

/* lanes, in ascending registers as LDM and STM take them */
#define TG_RGB565_LOOP(step)                                                                            \
    do {                                                                                                \
        register uint32_t l0 __asm__("r4"), l1 __asm__("r5"), l2 __asm__("r6");                         \
        __asm__ volatile("1:\n\t" step step "cmp %[l], %[end]\n\tbne 1b\n\t"                            \
                         : [p] "+r"(p), [l] "+r"(lanes), [x] "=&r"(x), [c] "=&r"(c), [t] "=&r"(t),     \
                           [l0] "=&r"(l0), [l1] "=&r"(l1), [l2] "=&r"(l2)                               \
                         : [end] "r"(end), [w] "r"(w), [m5] "r"(m5), [m3] "r"(m3), [m6] "r"(m6),        \
                           [m2] "r"(m2)                                                                 \
                         : "cc", "memory");                                                             \
    } while (0)

void tg_image_rgb565_accumulate(const uint8_t *p, int32_t npairs, int32_t big_endian, uint32_t w,
                                uint32_t *lanes)
{
    const uint32_t m5 = 0x00F800F8u, m3 = 0x00070007u, m6 = 0x00FC00FCu, m2 = 0x00030003u;
    uint32_t *end = lanes + 3 * (npairs & ~1);
    uint32_t x, c, t;
    if (lanes != end) {
        if (big_endian) {
            TG_RGB565_LOOP(TG_RGB565_STEP("rev16 %[x], %[x]\n\t"));
        } else {
            TG_RGB565_LOOP(TG_RGB565_STEP(""));
        }
    }
    if (npairs & 1) { /* the last pair of an odd count */
        __builtin_memcpy(&x, p, sizeof x);
        if (big_endian) {
            __asm__("rev16 %0, %0" : "+r"(x));
        }
        lanes[0] += w * ((x >> 8 & m5) | (x >> 13 & m3));
        lanes[1] += w * ((x >> 3 & m6) | (x >> 9 & m2));
        lanes[2] += w * ((x << 3 & m5) | (x >> 2 & m3));
    }
}
