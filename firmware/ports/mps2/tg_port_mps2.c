/*
 * Board support for the QEMU stand-ins of the Cortex-M boards: the Arm MPS2
 * and MPS3 FPGA boards with the AN386 (Cortex-M4), AN500 (Cortex-M7), AN505
 * (Cortex-M33) and AN547 (Cortex-M55) images, as QEMU 7.2 models them
 * (qemu-system-arm -M mps2-an386 / mps2-an500 / mps2-an505 / mps3-an547).
 * Which image runs is read from the core's CPUID (tg_mps2.h lists what
 * differs: the UART's address and interrupt, the counter and its rate).
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
 * - Counter (tg_mps2_timer.c): under -icount shift=0 one executed
 *   instruction advances virtual time by 1 ns, and the image's timer ticks
 *   at its fixed rate: one tick per 40 executed instructions on the AN386
 *   and AN500 (25 MHz), 50 on the AN505 (20 MHz), 31.25 on the AN547
 *   (32 MHz), exactly (measured; tests/firmware/test_port_cortexm.py checks
 *   it). A reading finds the instruction at which the tick changed (a
 *   vernier, tg_mps2_timer.c; on the AN547 at every fourth tick, whose edges
 *   are a whole 125 instructions apart): executed instructions, exactly, the
 *   same from run to run whatever the phase of the timer. QEMU counts each instruction once, a Helium (MVE)
 *   instruction too, however many beats the core would take over it. QEMU
 *   models no cycles. While the core sleeps in WFI (only inside tg_port_getc)
 *   virtual time runs at the host's real time, so a count across a serial
 *   wait includes that wait; counts of computation (inference, front end) do
 *   not change.
 * - Timeouts: timer 1 counts a read's budget of virtual time and its
 *   interrupt ends WFI.
 * - Exit: semihosting SYS_EXIT_EXTENDED, QEMU's exit status is the code.
 */
#include <stddef.h>
#include <stdint.h>

#include "tg_cortexm.h"
#include "tg_mps2.h"
#include "tg_port.h"

#define TG_UART_DATA(m) TG_REG32((m)->uart_base + 0x00u)
#define TG_UART_STATE(m) TG_REG32((m)->uart_base + 0x04u)
#define TG_UART_CTRL(m) TG_REG32((m)->uart_base + 0x08u)
#define TG_UART_INTCLEAR(m) TG_REG32((m)->uart_base + 0x0Cu)   /* INTSTATUS on reads, write 1 to clear */
#define TG_UART_BAUDDIV(m) TG_REG32((m)->uart_base + 0x10u)
#define TG_UART_STATE_TX_FULL (1u << 0)
#define TG_UART_STATE_RX_FULL (1u << 1)
#define TG_UART_CTRL_TX_RX_ENABLE 0x3u
#define TG_UART_CTRL_RX_INT_ENABLE (1u << 3)
#define TG_UART_INT_RX (1u << 1)
#define TG_UART_BAUDDIV_MIN 16u /* the smallest divider the UART accepts */

/* NVIC (ARMv7-M ARM B3.4): interrupt set-enable and clear-pending, 32 IRQs per register. */
#define TG_NVIC_ISER(irq) TG_REG32(0xE000E100u + 4u * ((irq) / 32u))
#define TG_NVIC_ICPR(irq) TG_REG32(0xE000E280u + 4u * ((irq) / 32u))
#define TG_NVIC_BIT(irq) (1u << ((irq) % 32u))

/* The longest alarm: a wait without timeout still wakes this often (43 s of virtual
   time at 50 MHz or less), so that the counter is read before timer 0 wraps (after 86 s). */
#define TG_ALARM_MAX_TICKS 0x80000000u

/*
 * Serial timeouts are virtual time, which is what the counter measures (1 ns
 * per instruction, 1 ns per ns asleep): a read waits in WFI, where virtual
 * time follows the host's real time, so 500 ms are about 500 ms of it.
 */
#define TG_MPS_VIRTUAL_NS_PER_MS 1000000u

/* The images, by their cores' CPUID part numbers (tg_mps2.h). */
static const tg_mps_machine_t k_an386 = {"mps2-an386 cortex-m4 (QEMU stand-in)", 0x40004000u, 0u,
                                         TG_MPS_TIMER_CMSDK, 0x40000000u, 0x40001000u, 9u, 40u, 0u};
static const tg_mps_machine_t k_an500 = {"mps2-an500 cortex-m7 (QEMU stand-in)", 0x40004000u, 0u,
                                         TG_MPS_TIMER_CMSDK, 0x40000000u, 0x40001000u, 9u, 40u, 0u};
static const tg_mps_machine_t k_an505 = {"mps2-an505 cortex-m33 (QEMU stand-in)", 0x40200000u, 32u,
                                         TG_MPS_TIMER_CMSDK, 0x40000000u, 0x40001000u, 4u, 50u, 0u};
static const tg_mps_machine_t k_an547 = {"mps3-an547 cortex-m55 (QEMU stand-in)", 0x49303000u, 33u,
                                         TG_MPS_TIMER_SSE300, 0x48000000u, 0x48001000u, 4u, 125u, 2u};

static const tg_mps_machine_t *s_machine = &k_an500;

static const tg_mps_machine_t *tg_mps_machine(void)
{
    switch (TG_CPUID_PARTNO(TG_SCB_CPUID)) {
    case TG_PARTNO_CORTEX_M4:
        return &k_an386;
    case TG_PARTNO_CORTEX_M33:
        return &k_an505;
    case TG_PARTNO_CORTEX_M55:
        return &k_an547;
    default:
        return &k_an500;
    }
}

void tg_port_init(void)
{
    __asm volatile("cpsid i" ::: "memory");   /* PRIMASK: interrupts only wake WFI */
    const tg_mps_machine_t *m = tg_mps_machine();
    s_machine = m;
    TG_UART_BAUDDIV(m) = TG_UART_BAUDDIV_MIN;
    TG_UART_CTRL(m) = TG_UART_CTRL_TX_RX_ENABLE | TG_UART_CTRL_RX_INT_ENABLE;
    tg_mps_timer_start(m);
    tg_mps_counter_calibrate(tg_port_counter);
    TG_NVIC_ISER(m->uart_rx_irq) = TG_NVIC_BIT(m->uart_rx_irq);
    TG_NVIC_ISER(m->alarm_irq) = TG_NVIC_BIT(m->alarm_irq);
}

uint64_t tg_port_counter(void)
{
    return tg_mps_instructions(s_machine);      /* exact on every image (tg_mps2_timer.c) */
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
    return s_machine->name;
}

int tg_port_getc(uint32_t timeout_ms)
{
    const tg_mps_machine_t *m = s_machine;
    if ((TG_UART_STATE(m) & TG_UART_STATE_RX_FULL) != 0u) {
        return (int)(TG_UART_DATA(m) & 0xFFu);
    }
    uint64_t start = tg_port_counter();
    uint64_t budget = (uint64_t)timeout_ms * TG_MPS_VIRTUAL_NS_PER_MS;
    uint64_t ticks = (budget << m->per_tick_shift) / m->per_tick_num + 1u;
    tg_mps_alarm_start(m, timeout_ms != 0u && ticks < TG_ALARM_MAX_TICKS ? (uint32_t)ticks : TG_ALARM_MAX_TICKS);
    TG_NVIC_ICPR(m->alarm_irq) = TG_NVIC_BIT(m->alarm_irq);
    int c = -1;
    for (;;) {
        /* Clear the UART's wake-up, then look: a byte that arrives after the clear pends
           the interrupt again and WFI returns at once. (The alarm's is cleared only once
           seen, below: cleared here it could be lost, its level staying high.) */
        TG_UART_INTCLEAR(m) = TG_UART_INT_RX;
        TG_NVIC_ICPR(m->uart_rx_irq) = TG_NVIC_BIT(m->uart_rx_irq);
        if ((TG_UART_STATE(m) & TG_UART_STATE_RX_FULL) != 0u) {
            c = (int)(TG_UART_DATA(m) & 0xFFu);
            break;
        }
        __asm volatile("wfi" ::: "memory");
        if (tg_mps_alarm_rang(m)) {
            TG_NVIC_ICPR(m->alarm_irq) = TG_NVIC_BIT(m->alarm_irq);
            uint64_t used = tg_port_counter() - start;   /* also keeps timer 0's wraps counted */
            if (timeout_ms != 0u && used >= budget) {
                break;
            }
        }
    }
    tg_mps_alarm_stop(m);
    return c;
}

void tg_port_write(const char *data, size_t len)
{
    const tg_mps_machine_t *m = s_machine;
    for (size_t i = 0; i < len; i++) {
        while ((TG_UART_STATE(m) & TG_UART_STATE_TX_FULL) != 0u) {
        }
        TG_UART_DATA(m) = (uint8_t)data[i];
    }
}

/* QEMU keeps TX_FULL set until its serial backend took the byte (a busy socket
   delays it): leaving before that loses the reply's last bytes. */
static void tg_uart_flush(void)
{
    while ((TG_UART_STATE(s_machine) & TG_UART_STATE_TX_FULL) != 0u) {
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
