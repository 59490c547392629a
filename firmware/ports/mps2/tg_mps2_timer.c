/*
 * The counters and alarms of the MPS2 / MPS3 stand-ins (tg_mps2.h).
 *
 * - CMSDK APB timer (Arm CMSDK technical reference manual, ARM DDI 0479,
 *   "APB timer"): a 32-bit down counter; timer 0 runs free and its
 *   readings are extended to 64 bits here, timer 1 reloads and raises its
 *   interrupt at each wrap.
 * - SSE-300 system timer (Arm Corstone SSE-300 technical reference manual,
 *   "System timer"): CNTPCT, the 64-bit count of the system counter, which
 *   stays stopped until its control frame's CNTCR.EN is set; timer 1's
 *   compare value CNTP_CVAL raises its interrupt while CNTPCT >= CVAL
 *   (CNTP_CTL.ISTATUS), and moving CVAL on acknowledges it.
 */
#include <stdint.h>

#include "tg_cortexm.h"
#include "tg_mps2.h"

/* CMSDK APB timer registers. */
#define TG_CMSDK_CTRL 0x00u
#define TG_CMSDK_VALUE 0x04u
#define TG_CMSDK_RELOAD 0x08u
#define TG_CMSDK_INTCLEAR 0x0Cu /* INTSTATUS on reads, write 1 to clear */
#define TG_CMSDK_CTRL_ENABLE (1u << 0)
#define TG_CMSDK_CTRL_INT_ENABLE (1u << 3)
#define TG_CMSDK_INT 1u

/* SSE-300 system timer frame and the system counter's control frame. */
#define TG_SSE_CNTPCT_LO 0x000u
#define TG_SSE_CNTPCT_HI 0x004u
#define TG_SSE_CNTP_CVAL_LO 0x020u
#define TG_SSE_CNTP_CVAL_HI 0x024u
#define TG_SSE_CNTP_CTL 0x02Cu
#define TG_SSE_CTL_ENABLE (1u << 0)
#define TG_SSE_CTL_ISTATUS (1u << 2)
#define TG_SSE_CNTCR TG_REG32(0x58100000u) /* system counter control (Secure), EN in bit 0 */
#define TG_SSE_CNTCR_EN (1u << 0)

#define TG_REG(base, off) TG_REG32((base) + (off))

static uint32_t s_last_value;  /* CMSDK: timer 0's last reading */
static uint64_t s_ticks;       /* CMSDK: ticks up to it */
static uint64_t s_origin;      /* SSE-300: CNTPCT at the start */
static uint64_t s_alarm_at;    /* SSE-300: the alarm's next compare value */
static uint64_t s_inside; /* instructions spent inside earlier readings */
static uint64_t s_rest;   /* a reading's instructions outside A .. the last probe */
static uint32_t s_alarm_ticks; /* SSE-300: its period */

static uint64_t tg_sse_count(uint32_t base)
{
    uint32_t hi, lo;
    do {    /* the high word read twice around the low one: no carry between the reads */
        hi = TG_REG(base, TG_SSE_CNTPCT_HI);
        lo = TG_REG(base, TG_SSE_CNTPCT_LO);
    } while (TG_REG(base, TG_SSE_CNTPCT_HI) != hi);
    return ((uint64_t)hi << 32) | lo;
}

void tg_mps_timer_start(const tg_mps_machine_t *m)
{
    if (m->timer == TG_MPS_TIMER_SSE300) {
        TG_SSE_CNTCR |= TG_SSE_CNTCR_EN;
        TG_REG(m->alarm_base, TG_SSE_CNTP_CTL) = 0u;
        s_origin = tg_sse_count(m->counter_base);
        return;
    }
    TG_REG(m->counter_base, TG_CMSDK_CTRL) = 0u;
    TG_REG(m->counter_base, TG_CMSDK_RELOAD) = 0xFFFFFFFFu;
    TG_REG(m->counter_base, TG_CMSDK_VALUE) = 0xFFFFFFFFu;
    TG_REG(m->counter_base, TG_CMSDK_CTRL) = TG_CMSDK_CTRL_ENABLE;
    TG_REG(m->alarm_base, TG_CMSDK_CTRL) = 0u;
    s_last_value = TG_REG(m->counter_base, TG_CMSDK_VALUE);
    s_ticks = 0u;
}

/* CMSDK: timer 0's reading `now` extended to 64 bits (ticks since the start). */
static uint64_t tg_cmsdk_extend(uint32_t now)
{
    /* A down counter: ticks elapsed since the last reading, modulo 2^32. */
    s_ticks += (uint32_t)(s_last_value - now);
    s_last_value = now;
    return s_ticks;
}

uint64_t tg_mps_ticks(const tg_mps_machine_t *m)
{
    if (m->timer == TG_MPS_TIMER_SSE300) {
        return tg_sse_count(m->counter_base) - s_origin;
    }
    return tg_cmsdk_extend(TG_REG(m->counter_base, TG_CMSDK_VALUE));
}

/*
 * Exact instruction counts from a timer that ticks once per P instructions
 * (P = 40 or 50, whole), read with a vernier:
 *
 *   A    ldr first, [VALUE]
 *        movs n, #0
 *   L_i  ldr seen, [VALUE]      <- spin until the value changes; iteration i's load
 *        adds n, n, #1             is at A + 4i - 2, and the tick edge E (the first
 *        cmp seen, first           instruction that reads the new value) lies in
 *        beq L                     L_n - 3 .. L_n: d = L_n - E is 0..3
 *        movs k, #K; subs/bne   <- 1 + 2K = P - 7 instructions
 *        ldr p0..p3, [VALUE]    <- at L_n + P - 3 .. L_n + P, around the next edge E + P:
 *                                  d + 1 of them read the value after it
 *
 * so L_n = E + d exactly, and E is the tick `seen` starts, at tick * P (plus a
 * constant while the core does not sleep: after WFI, virtual time no longer
 * sits on whole instructions, but the constant does not change until the next
 * sleep). A's index is tick * P + d - (4n - 2). The reading leaves out every
 * instruction executed inside earlier readings: from A to the last probe
 * (4n - 2 + P, the varying wait for an edge among them) and the fixed rest of
 * a reading, measured once at the start (tg_mps_counter_calibrate: two
 * readings back to back differ by 0). A count is the instructions executed
 * between two readings, exactly.
 */

/*
 * The SSE-300's system counter (the AN547) ticks 4 times per 125 instructions (32 MHz), so its
 * tick edges fall between instructions at 4 phases: an instruction's exact index follows only
 * from the edges of every fourth tick, which are 125 instructions apart. A reading waits for
 * the count T, the multiple of 4 at least 2 ticks on from the first read (the loop's first
 * load cannot see it yet), then probes T + 4's edge, 125 instructions after T's:
 *
 *   A    ldr first; adds/orr/adds T = ((first + 1) | 3) + 1; movs n, #0
 *   L_i  ldr seen; adds n; cmp seen, T; bne L      <- iteration i's load at A + 4i + 1
 *        movs k, #58; subs/bne; nop                <- 118 instructions
 *        ldr p0..p3                                <- at L_n + 122 .. L_n + 125
 *
 * T's edge E is 125 T / 4 plus a constant, d = L_n - E is 0..3 and d + 1 probes read T + 4;
 * A's index is 125 T / 4 + d - (4n + 1). Up to about 5 ticks of waiting, left out as on the
 * CMSDK images.
 */
static uint64_t tg_sse_instructions(const tg_mps_machine_t *m)
{
    uint32_t first, seen, target, n, p0, p1, p2, p3;
    __asm volatile(
        "ldr   %[first], [%[value]]\n"
        "adds  %[target], %[first], #1\n"
        "orr   %[target], %[target], #3\n"
        "adds  %[target], %[target], #1\n"
        "movs  %[n], #0\n"
        "1:\n"
        "ldr   %[seen], [%[value]]\n"
        "adds  %[n], %[n], #1\n"
        "cmp   %[seen], %[target]\n"
        "bne   1b\n"
        "movs  %[p0], #58\n"
        "2:\n"
        "subs  %[p0], %[p0], #1\n"
        "bne   2b\n"
        "nop\n"
        "ldr   %[p0], [%[value]]\n"
        "ldr   %[p1], [%[value]]\n"
        "ldr   %[p2], [%[value]]\n"
        "ldr   %[p3], [%[value]]\n"
        : [first] "=&r"(first), [seen] "=&r"(seen), [target] "=&r"(target), [n] "=&r"(n), [p0] "=&r"(p0),
          [p1] "=&r"(p1), [p2] "=&r"(p2), [p3] "=&r"(p3)
        : [value] "r"(m->counter_base + TG_SSE_CNTPCT_LO)
        : "cc", "memory");
    const uint32_t after = (uint32_t)(p0 != target + 3u) + (uint32_t)(p1 != target + 3u) +
                           (uint32_t)(p2 != target + 3u) + (uint32_t)(p3 != target + 3u);
    const uint32_t d = after != 0u ? after - 1u : 0u;    /* 0 never happens on a linear counter */
    const uint64_t now = tg_sse_count(m->counter_base);
    const uint64_t t = now - (uint32_t)((uint32_t)now - target);     /* T in 64 bits (a multiple of 4) */
    /* two periods ahead: the first reading's wait never makes it negative */
    const uint64_t at = ((t >> 2) + 2u) * 125u + d - (4u * n + 1u) - s_inside;
    s_inside += 4u * n + 1u + 125u + s_rest;
    return at;
}

uint64_t tg_mps_instructions(const tg_mps_machine_t *m)
{
    if (m->timer == TG_MPS_TIMER_SSE300) {
        return tg_sse_instructions(m);
    }
    const uint32_t per_tick = m->per_tick_num;      /* whole on the CMSDK images: shift 0 */
    uint32_t first, seen, n, p0, p1, p2, p3;
    __asm volatile(
        "ldr   %[first], [%[value]]\n"
        "movs  %[n], #0\n"
        "1:\n"
        "ldr   %[seen], [%[value]]\n"
        "adds  %[n], %[n], #1\n"
        "cmp   %[seen], %[first]\n"
        "beq   1b\n"
        "mov   %[p0], %[half]\n"
        "2:\n"
        "subs  %[p0], %[p0], #1\n"
        "bne   2b\n"
        "ldr   %[p0], [%[value]]\n"
        "ldr   %[p1], [%[value]]\n"
        "ldr   %[p2], [%[value]]\n"
        "ldr   %[p3], [%[value]]\n"
        : [first] "=&r"(first), [seen] "=&r"(seen), [n] "=&r"(n), [p0] "=&r"(p0), [p1] "=&r"(p1),
          [p2] "=&r"(p2), [p3] "=&r"(p3)
        : [value] "r"(m->counter_base + TG_CMSDK_VALUE), [half] "r"((per_tick - 8u) / 2u)
        : "cc", "memory");
    uint32_t after = (uint32_t)(p0 != seen) + (uint32_t)(p1 != seen) + (uint32_t)(p2 != seen) +
                     (uint32_t)(p3 != seen);
    uint32_t d = after != 0u ? after - 1u : 0u;     /* 0 never happens on a linear timer */
    uint64_t tick = tg_cmsdk_extend(seen);
    /* two ticks ahead: the first reading's wait (up to 4n - 2 < 2P) never makes it negative */
    uint64_t at = (tick + 2u) * per_tick + d - (4u * n - 2u) - s_inside;
    s_inside += 4u * n - 2u + per_tick + s_rest;
    return at;
}

void tg_mps_counter_calibrate(uint64_t (*read)(void))
{
    s_rest = 0u;
    uint64_t first = read();
    s_rest = read() - first;
}

static void tg_sse_arm(uint32_t base, uint64_t at)
{
    TG_REG(base, TG_SSE_CNTP_CVAL_LO) = (uint32_t)at;
    TG_REG(base, TG_SSE_CNTP_CVAL_HI) = (uint32_t)(at >> 32);
}

void tg_mps_alarm_start(const tg_mps_machine_t *m, uint32_t ticks)
{
    if (m->timer == TG_MPS_TIMER_SSE300) {
        s_alarm_ticks = ticks;
        s_alarm_at = tg_sse_count(m->counter_base) + ticks;
        tg_sse_arm(m->alarm_base, s_alarm_at);
        TG_REG(m->alarm_base, TG_SSE_CNTP_CTL) = TG_SSE_CTL_ENABLE;   /* IMASK clear: the interrupt is raised */
        return;
    }
    TG_REG(m->alarm_base, TG_CMSDK_RELOAD) = ticks;
    TG_REG(m->alarm_base, TG_CMSDK_VALUE) = ticks;
    TG_REG(m->alarm_base, TG_CMSDK_INTCLEAR) = TG_CMSDK_INT;   /* a ring of the last alarm, stopped since */
    TG_REG(m->alarm_base, TG_CMSDK_CTRL) = TG_CMSDK_CTRL_ENABLE | TG_CMSDK_CTRL_INT_ENABLE;
}

int tg_mps_alarm_rang(const tg_mps_machine_t *m)
{
    if (m->timer == TG_MPS_TIMER_SSE300) {
        if ((TG_REG(m->alarm_base, TG_SSE_CNTP_CTL) & TG_SSE_CTL_ISTATUS) == 0u) {
            return 0;
        }
        uint64_t now = tg_sse_count(m->counter_base);
        do {    /* the next ring after now, keeping the period's phase */
            s_alarm_at += s_alarm_ticks;
        } while (s_alarm_at <= now);
        tg_sse_arm(m->alarm_base, s_alarm_at);
        return 1;
    }
    if ((TG_REG(m->alarm_base, TG_CMSDK_INTCLEAR) & TG_CMSDK_INT) == 0u) {
        return 0;
    }
    TG_REG(m->alarm_base, TG_CMSDK_INTCLEAR) = TG_CMSDK_INT;
    return 1;
}

void tg_mps_alarm_stop(const tg_mps_machine_t *m)
{
    TG_REG(m->alarm_base, m->timer == TG_MPS_TIMER_SSE300 ? TG_SSE_CNTP_CTL : TG_CMSDK_CTRL) = 0u;
}
