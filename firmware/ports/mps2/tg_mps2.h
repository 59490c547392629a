/*
 * The Arm MPS2 / MPS3 FPGA images QEMU 7.2 models, as the stand-ins of the
 * Cortex-M boards: what differs between them, picked at start-up from the
 * core's CPUID part number (each image has its own core).
 *
 *   image        core        UART0 (CMSDK)  RX IRQ  counter                      instructions per tick
 *   mps2-an386   Cortex-M4   0x40004000     0       CMSDK timer 0, 25 MHz        40
 *   mps2-an500   Cortex-M7   0x40004000     0       CMSDK timer 0, 25 MHz        40
 *   mps2-an505   Cortex-M33  0x40200000     32      CMSDK timer 0, 20 MHz        50
 *   mps3-an547   Cortex-M55  0x49303000     33      SSE-300 system timer, 32 MHz 31.25
 *
 * Addresses, interrupt numbers and clocks as QEMU 7.2 maps them (hw/arm/mps2.c,
 * hw/arm/mps2-tz.c, hw/arm/armsse.c; `info mtree` in its monitor); the
 * interrupt numbers and rates were read back on the stand-ins
 * (tests/firmware/test_port_cortexm.py checks the counter). The AN505 and
 * AN547 cores start in the Secure state with the SAU off, so every access is
 * Secure: their memories behind a TrustZone MPC are used through their
 * Secure aliases (boards/README.md, "Memory and the stand-ins").
 */
#ifndef TG_MPS2_H
#define TG_MPS2_H

#include <stdint.h>

typedef enum {
    TG_MPS_TIMER_CMSDK,  /* CMSDK APB timers: timer 0 counts, timer 1 is the alarm */
    TG_MPS_TIMER_SSE300, /* SSE-300 system timers over the system counter: timer 0 counts, timer 1 alarms */
} tg_mps_timer_kind_t;

typedef struct {
    const char *name;            /* tg_port_name() */
    uint32_t uart_base;          /* CMSDK APB UART 0 */
    uint32_t uart_rx_irq;        /* its receive interrupt */
    tg_mps_timer_kind_t timer;
    uint32_t counter_base;       /* the counting timer's registers */
    uint32_t alarm_base;         /* the alarm timer's registers */
    uint32_t alarm_irq;          /* the alarm timer's interrupt */
    /* Executed instructions per counter tick (virtual ns per tick under
     * -icount shift=0) as the fraction per_tick_num / 2^per_tick_shift: a
     * shift, no division, inside the measured intervals. */
    uint32_t per_tick_num;
    uint32_t per_tick_shift;
} tg_mps_machine_t;

/* Start counting (and, on the SSE-300, the system counter feeding the timers). */
void tg_mps_timer_start(const tg_mps_machine_t *m);

/* Counter ticks since tg_mps_timer_start(), 64 bits. Call it at least every
 * 86 s of virtual time on the CMSDK timer (2^32 ticks at 50 MHz or less). */
uint64_t tg_mps_ticks(const tg_mps_machine_t *m);

/* The executed instructions since the start, exactly, leaving out those spent
 * inside the readings themselves (tg_mps2_timer.c). Call it at least every 86 s
 * of virtual time, as tg_mps_ticks(). */
uint64_t tg_mps_instructions(const tg_mps_machine_t *m);

/* Measure what a reading through `read` (the port's tg_port_counter, called as
 * every caller calls it) costs outside its vernier, so that readings leave it
 * out too. Once, after tg_mps_timer_start(). */
void tg_mps_counter_calibrate(uint64_t (*read)(void));

/* The alarm's interrupt pending `ticks` ticks from now, and every `ticks` after that. */
void tg_mps_alarm_start(const tg_mps_machine_t *m, uint32_t ticks);

/* 1 when the alarm rang since the last call (then acknowledged, its next ring
 * armed), else 0. */
int tg_mps_alarm_rang(const tg_mps_machine_t *m);

void tg_mps_alarm_stop(const tg_mps_machine_t *m);

#endif /* TG_MPS2_H */
