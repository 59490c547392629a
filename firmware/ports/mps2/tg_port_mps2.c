/*
 * Board support for the QEMU stand-ins of the Cortex-M boards: the Arm MPS2
 * FPGA boards with the AN500 (Cortex-M7) or AN386 (Cortex-M4) images, as
 * QEMU 7.2 models them (qemu-system-arm -M mps2-an500 / mps2-an386).
 *
 * Run with: -semihosting-config enable=on,target=native -icount shift=0.
 *
 * - Serial: CMSDK APB UART0 (Arm CMSDK technical reference manual, ARM DDI
 *   0479, "APB UART"), the first -serial of QEMU. QEMU's model holds one
 *   received byte and its I/O thread hands over the next one only after the
 *   guest read DATA. A waiting read therefore sleeps in WFI until the UART's
 *   receive interrupt is pending instead of polling: a polling loop keeps
 *   QEMU's vCPU thread busy taking QEMU's global lock for every STATE read
 *   (measured: 40 us of host CPU per byte against 10 us, with
 *   tinygen.run.qemu's multiplexed serial chardev; benchmarks/serial_link.py).
 *   PRIMASK stays set, so no interrupt is ever taken: a pending one only ends
 *   WFI (ARMv7-M ARM B1.5.19, "Wait For Interrupt"), and the vector table
 *   needs no entries for them.
 * - Counter: CMSDK APB timer 0 (same manual, "APB timer"), a 32-bit down
 *   counter. Under -icount shift=0 one executed instruction advances virtual
 *   time by 1 ns and the timer runs at 25 MHz: one tick per 40 executed
 *   instructions, exactly (measured; tests/firmware/test_port_cortexm.py checks it).
 *   The port extends it to 64 bits and multiplies by 40: the counter reports
 *   executed instructions, to within one tick. QEMU models no cycles. While
 *   the core sleeps in WFI (only inside tg_port_getc) virtual time runs at
 *   the host's real time, so a count across a serial wait includes that
 *   wait; counts of computation (inference, front end) do not change.
 * - Timeouts: timer 1 counts a read's budget of virtual time and its
 *   interrupt ends WFI.
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
#define TG_UART_INTCLEAR TG_REG32(TG_UART0_BASE + 0x0Cu)   /* INTSTATUS on reads, write 1 to clear */
#define TG_UART_BAUDDIV TG_REG32(TG_UART0_BASE + 0x10u)
#define TG_UART_STATE_TX_FULL (1u << 0)
#define TG_UART_STATE_RX_FULL (1u << 1)
#define TG_UART_CTRL_TX_RX_ENABLE 0x3u
#define TG_UART_CTRL_RX_INT_ENABLE (1u << 3)
#define TG_UART_INT_RX (1u << 1)
#define TG_UART_BAUDDIV_MIN 16u /* the smallest divider the UART accepts */

#define TG_TIMER0_BASE 0x40000000u
#define TG_TIMER_CTRL TG_REG32(TG_TIMER0_BASE + 0x00u)
#define TG_TIMER_VALUE TG_REG32(TG_TIMER0_BASE + 0x04u)
#define TG_TIMER_RELOAD TG_REG32(TG_TIMER0_BASE + 0x08u)
#define TG_TIMER_CTRL_ENABLE (1u << 0)

/* Timer 1: the read timeout's alarm. */
#define TG_TIMER1_BASE 0x40001000u
#define TG_ALARM_CTRL TG_REG32(TG_TIMER1_BASE + 0x00u)
#define TG_ALARM_VALUE TG_REG32(TG_TIMER1_BASE + 0x04u)
#define TG_ALARM_RELOAD TG_REG32(TG_TIMER1_BASE + 0x08u)
#define TG_ALARM_INTCLEAR TG_REG32(TG_TIMER1_BASE + 0x0Cu)
#define TG_TIMER_CTRL_INT_ENABLE (1u << 3)
#define TG_TIMER_INT 1u
/* The longest alarm: a wait without timeout still wakes this often (86 s of virtual
   time), so that the counter is read before timer 0 wraps (after 171 s). */
#define TG_ALARM_MAX_TICKS 0x80000000u

/* NVIC (ARMv7-M ARM B3.4): interrupt set-enable and clear-pending, IRQs 0..31. */
#define TG_NVIC_ISER0 TG_REG32(0xE000E100u)
#define TG_NVIC_ICPR0 TG_REG32(0xE000E280u)
/* The MPS2 AN386 / AN500 interrupt map (QEMU hw/arm/mps2.c, the boards' application notes). */
#define TG_IRQ_UART0_RX 0u
#define TG_IRQ_TIMER1 9u
#define TG_WAKE_IRQS ((1u << TG_IRQ_UART0_RX) | (1u << TG_IRQ_TIMER1))

/* Executed instructions per timer tick under -icount shift=0 (1 ns each, 25 MHz timer). */
#define TG_MPS2_INSTRUCTIONS_PER_TICK 40u
/*
 * Serial timeouts are virtual time, which is what the counter measures (1 ns
 * per instruction, 1 ns per ns asleep): a read waits in WFI, where virtual
 * time follows the host's real time, so 500 ms are about 500 ms of it.
 */
#define TG_MPS2_VIRTUAL_NS_PER_MS 1000000u

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
    __asm volatile("cpsid i" ::: "memory");   /* PRIMASK: interrupts only wake WFI */
    TG_UART_BAUDDIV = TG_UART_BAUDDIV_MIN;
    TG_UART_CTRL = TG_UART_CTRL_TX_RX_ENABLE | TG_UART_CTRL_RX_INT_ENABLE;
    TG_ALARM_CTRL = 0u;
    TG_NVIC_ISER0 = TG_WAKE_IRQS;
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

/* Timer 1's interrupt pending `ticks` ticks from now, and every `ticks` after that. */
static void tg_alarm_start(uint64_t ticks)
{
    uint32_t t = ticks > TG_ALARM_MAX_TICKS ? TG_ALARM_MAX_TICKS : (uint32_t)ticks;
    TG_ALARM_RELOAD = t;
    TG_ALARM_VALUE = t;
    TG_ALARM_INTCLEAR = TG_TIMER_INT;           /* a ring of the last alarm, stopped since */
    TG_NVIC_ICPR0 = 1u << TG_IRQ_TIMER1;
    TG_ALARM_CTRL = TG_TIMER_CTRL_ENABLE | TG_TIMER_CTRL_INT_ENABLE;
}

int tg_port_getc(uint32_t timeout_ms)
{
    if ((TG_UART_STATE & TG_UART_STATE_RX_FULL) != 0u) {
        return (int)(TG_UART_DATA & 0xFFu);
    }
    uint64_t start = tg_port_counter();
    uint64_t budget = (uint64_t)timeout_ms * TG_MPS2_VIRTUAL_NS_PER_MS;
    tg_alarm_start(timeout_ms != 0u ? budget / TG_MPS2_INSTRUCTIONS_PER_TICK + 1u : TG_ALARM_MAX_TICKS);
    int c = -1;
    for (;;) {
        /* Clear the UART's wake-up, then look: a byte that arrives after the clear pends
           the interrupt again and WFI returns at once. (The alarm's is cleared only once
           seen, below: cleared here it could be lost, its level staying high.) */
        TG_UART_INTCLEAR = TG_UART_INT_RX;
        TG_NVIC_ICPR0 = 1u << TG_IRQ_UART0_RX;
        if ((TG_UART_STATE & TG_UART_STATE_RX_FULL) != 0u) {
            c = (int)(TG_UART_DATA & 0xFFu);
            break;
        }
        __asm volatile("wfi" ::: "memory");
        if ((TG_ALARM_INTCLEAR & TG_TIMER_INT) != 0u) {   /* the alarm rang */
            TG_ALARM_INTCLEAR = TG_TIMER_INT;
            TG_NVIC_ICPR0 = 1u << TG_IRQ_TIMER1;
            uint64_t used = tg_port_counter() - start;   /* also keeps timer 0's wraps counted */
            if (timeout_ms != 0u && used >= budget) {
                break;
            }
        }
    }
    TG_ALARM_CTRL = 0u;
    return c;
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
