/*
 * Board support for the QEMU stand-ins of the Cortex-M boards: the Arm MPS2
 * FPGA boards with the AN500 (Cortex-M7) or AN386 (Cortex-M4) images, as
 * QEMU 7.2 models them (qemu-system-arm -M mps2-an500 / mps2-an386).
 *
 * Run with: -semihosting-config enable=on,target=native -icount shift=0.
 *
 * - Serial: CMSDK APB UART0 (Arm CMSDK technical reference manual, ARM DDI
 *   0479, "APB UART"), the first -serial of QEMU.
 * - Counter: CMSDK APB timer 0 (same manual, "APB timer"), a 32-bit down
 *   counter. Under -icount shift=0 one executed instruction advances virtual
 *   time by 1 ns and the timer runs at 25 MHz: one tick per 40 executed
 *   instructions, exactly (measured; tests/test_port_cortexm.py checks it).
 *   The port extends it to 64 bits and multiplies by 40: the counter reports
 *   executed instructions, to within one tick. QEMU models no cycles.
 * - Exit: semihosting SYS_EXIT_EXTENDED, QEMU's exit status is the code.
 */
#include <stddef.h>
#include <stdint.h>

#include "tg_cortexm.h"
#include "tg_port.h"

#define TG_UART0_BASE 0x40004000u
#define TG_UART_DATA TG_REG32(TG_UART0_BASE + 0x00u)
#define TG_UART_STATE TG_REG32(TG_UART0_BASE + 0x04u)
#define TG_UART_CTRL TG_REG32(TG_UART0_BASE + 0x08u)
#define TG_UART_BAUDDIV TG_REG32(TG_UART0_BASE + 0x10u)
#define TG_UART_STATE_TX_FULL (1u << 0)
#define TG_UART_STATE_RX_FULL (1u << 1)
#define TG_UART_CTRL_TX_RX_ENABLE 0x3u
#define TG_UART_BAUDDIV_MIN 16u /* the smallest divider the UART accepts */

#define TG_TIMER0_BASE 0x40000000u
#define TG_TIMER_CTRL TG_REG32(TG_TIMER0_BASE + 0x00u)
#define TG_TIMER_VALUE TG_REG32(TG_TIMER0_BASE + 0x04u)
#define TG_TIMER_RELOAD TG_REG32(TG_TIMER0_BASE + 0x08u)
#define TG_TIMER_CTRL_ENABLE (1u << 0)

/* Executed instructions per timer tick under -icount shift=0 (1 ns each, 25 MHz timer). */
#define TG_MPS2_INSTRUCTIONS_PER_TICK 40u
/*
 * Serial timeouts are counted in executed instructions, there being no time
 * to measure: a nominal 100 instructions per microsecond of a real board
 * (500 ms ≈ 50 M instructions, about 55 ms of host time under QEMU).
 */
#define TG_MPS2_INSTRUCTIONS_PER_MS 100000u

static uint32_t s_last_value;
static uint64_t s_ticks;
static const char *s_name = "mps2 (QEMU stand-in)";

static void tg_timer_start(void)
{
    TG_TIMER_CTRL = 0u;
    TG_TIMER_RELOAD = 0xFFFFFFFFu;
    TG_TIMER_VALUE = 0xFFFFFFFFu;
    TG_TIMER_CTRL = TG_TIMER_CTRL_ENABLE;
    s_last_value = TG_TIMER_VALUE;
    s_ticks = 0u;
}

void tg_port_init(void)
{
    TG_UART_BAUDDIV = TG_UART_BAUDDIV_MIN;
    TG_UART_CTRL = TG_UART_CTRL_TX_RX_ENABLE;
    tg_timer_start();
    uint32_t partno = TG_CPUID_PARTNO(TG_SCB_CPUID);
    if (partno == TG_PARTNO_CORTEX_M7) {
        s_name = "mps2-an500 cortex-m7 (QEMU stand-in)";
    } else if (partno == TG_PARTNO_CORTEX_M4) {
        s_name = "mps2-an386 cortex-m4 (QEMU stand-in)";
    }
}

uint64_t tg_port_counter(void)
{
    /* A down counter: ticks elapsed since the last reading, modulo 2^32. */
    uint32_t now = TG_TIMER_VALUE;
    s_ticks += (uint32_t)(s_last_value - now);
    s_last_value = now;
    return s_ticks * TG_MPS2_INSTRUCTIONS_PER_TICK;
}

int tg_port_counter_kind(void)
{
    return TG_COUNTER_INSTRUCTIONS;
}

uint32_t tg_port_clock_hz(void)
{
    return 0u;
}

const char *tg_port_name(void)
{
    return s_name;
}

int tg_port_getc(uint32_t timeout_ms)
{
    uint64_t start = tg_port_counter();
    uint64_t budget = (uint64_t)timeout_ms * TG_MPS2_INSTRUCTIONS_PER_MS;
    while ((TG_UART_STATE & TG_UART_STATE_RX_FULL) == 0u) {
        if (timeout_ms != 0u && tg_port_counter() - start >= budget) {
            return -1;
        }
    }
    return (int)(TG_UART_DATA & 0xFFu);
}

void tg_port_write(const char *data, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        while ((TG_UART_STATE & TG_UART_STATE_TX_FULL) != 0u) {
        }
        TG_UART_DATA = (uint8_t)data[i];
    }
}

/* QEMU keeps TX_FULL set until its serial backend took the byte (a busy socket
   delays it): leaving before that loses the reply's last bytes. */
static void tg_uart_flush(void)
{
    while ((TG_UART_STATE & TG_UART_STATE_TX_FULL) != 0u) {
    }
}

/* No timestamp pin on the stand-in: the runtime counts the edges (`tg pin`). */
void tg_port_timestamp_pin(int high)
{
    (void)high;
}

void tg_port_exit(int code)
{
    tg_uart_flush();
    tg_semihost_exit(code);
}

/* A crashed firmware reports itself and leaves QEMU instead of hanging a test. */
void tg_port_fault(void)
{
    static const char msg[] = "\r\ne-[fault: the firmware took a CPU fault]\r\n";
    tg_port_write(msg, sizeof msg - 1u);
    tg_uart_flush();
    tg_semihost_exit(TG_EXIT_FAULT);
}
