/*
 * DWT cycle counter (ARMv7-M ARM C1.8, "The Data Watchpoint and Trace unit"),
 * extended from 32 to 64 bits in software.
 *
 * The extension counts one wrap per call that finds CYCCNT below the previous
 * reading, so it is exact as long as tg_dwt_cycles64() is called at least
 * once per 2^32 cycles (19.8 s at 216 MHz). Intervals the runtime measures
 * (one inference, one layer, one serial timeout) are read at both ends.
 */
#include <stdint.h>

#include "tg_cortexm.h"

static uint32_t s_last;
static uint32_t s_high;

void tg_dwt_init(void)
{
    TG_DEMCR |= TG_DEMCR_TRCENA;
    TG_DWT_LAR = TG_CORESIGHT_UNLOCK;
    TG_DWT_CYCCNT = 0u;
    TG_DWT_CTRL |= TG_DWT_CTRL_CYCCNTENA;
    s_last = 0u;
    s_high = 0u;
}

uint64_t tg_dwt_cycles64(void)
{
    uint32_t now = TG_DWT_CYCCNT;
    if (now < s_last) {
        s_high++;
    }
    s_last = now;
    return ((uint64_t)s_high << 32) | now;
}

void tg_deadline_start(tg_deadline_t *d, uint32_t timeout_ms, uint32_t clock_hz)
{
    d->forever = timeout_ms == 0u;
    d->start = tg_dwt_cycles64();
    d->budget = (uint64_t)timeout_ms * (clock_hz / 1000u);
    d->polls_left = d->budget / 2u + 1u;
}

int tg_deadline_passed(tg_deadline_t *d)
{
    if (d->forever) {
        return 0;
    }
    return tg_dwt_cycles64() - d->start >= d->budget || --d->polls_left == 0u;
}
