/*
 * tinygen board support interface: the few things the runtime needs from a
 * board. One implementation per port in firmware/ports/<port>/ (real STM32
 * parts, the QEMU stand-ins, RISC-V virt, ESP-IDF, a stdio port for tests).
 *
 * No vendor HAL: ports poke registers directly (or call ESP-IDF on ESP32).
 */
#ifndef TG_PORT_H
#define TG_PORT_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Clocks, caches, serial port and the cost counter. Called once from main(). */
void tg_port_init(void);

/*
 * Next byte from the serial port (0..255), or -1 when none arrived within
 * `timeout_ms` milliseconds (0 waits forever). On stand-ins, where time is
 * virtual, the timeout is approximate but bounded.
 */
int tg_port_getc(uint32_t timeout_ms);

/* Write `len` bytes to the serial port (blocking until queued). */
void tg_port_write(const char *data, size_t len);

/*
 * Free-running cost counter, extended to 64 bits by the port: core clock
 * cycles on real boards (DWT CYCCNT on Cortex-M, CCOUNT / mcycle elsewhere),
 * executed instructions on emulated stand-ins, nanoseconds of wall-clock time
 * in the stdio port (a process on the host, which has neither).
 */
uint64_t tg_port_counter(void);

/* What tg_port_counter() counts (reported by `tg info` as `counter=`). */
#define TG_COUNTER_CYCLES 0       /* "cycles": core clock cycles, at tg_port_clock_hz() */
#define TG_COUNTER_INSTRUCTIONS 1 /* "instructions": executed instructions (QEMU stand-ins) */
#define TG_COUNTER_NANOSECONDS 2  /* "ns": wall-clock nanoseconds (the stdio port) */
int tg_port_counter_kind(void);

/*
 * Core clock in Hz, the rate of the cycle counter. Only meaningful with
 * TG_COUNTER_CYCLES (it turns cycles into microseconds); 0 otherwise.
 */
uint32_t tg_port_clock_hz(void);

/* Short board / port name reported by `tg info` (e.g. "stm32f746 216MHz"). */
const char *tg_port_name(void);

/*
 * Drive the energy-mode timestamp pin (tg_timestamp.h): 1 high (idle), 0 low.
 * Real boards: the GPIO their board file names ([energy] timestamp_pin, in
 * tg_board.h), set up high by tg_port_init(). Stand-ins and the host have
 * none: a no-op (the runtime counts the edges, `tg pin` reports them).
 */
void tg_port_timestamp_pin(int high);

/*
 * Leave the firmware with a status: on stand-ins QEMU exits with `code`
 * (semihosting or the virt test device); on real boards this resets the part.
 */
void tg_port_exit(int code) __attribute__((noreturn));

#ifdef __cplusplus
}
#endif

#endif /* TG_PORT_H */
