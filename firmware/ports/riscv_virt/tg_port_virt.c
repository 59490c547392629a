/*
 * RISC-V virt port: the ESP32-C3 (RV32IMC) stand-in, qemu-system-riscv32 -M
 * virt -bios none, in machine mode; no interrupt is ever taken (mstatus.MIE
 * stays 0), two only end WFI (RISC-V privileged spec, "Wait for Interrupt":
 * it resumes when an interrupt enabled in mie is pending, whatever MIE says).
 *
 * - Serial: the ns16550 UART at 0x10000000 (RBR/THR +0, IER +1, LSR +5:
 *   bit 0 data ready, bit 5 transmit holding register empty). A read waiting
 *   for a byte sleeps in WFI until the UART's receive interrupt (source 10
 *   of the PLIC at 0x0C000000, machine external interrupt) is pending,
 *   instead of polling LSR: a polling loop keeps QEMU's vCPU thread busy
 *   taking QEMU's global lock that its I/O thread needs to hand over the next
 *   byte (benchmarks/serial_link.py).
 * - Counter: executed instructions (instret / instreth), exact under QEMU;
 *   instret stands still in WFI.
 * - Timeouts: the stand-in has no clock to report (tg_port_clock_hz() is 0);
 *   a read's timeout is virtual time (under -icount shift=0, 1 ns per
 *   executed instruction; in WFI it follows the host's real time), measured
 *   by the CLINT's mtime (10 MHz) and signalled by its timer interrupt
 *   (mtimecmp), which also ends WFI.
 * - Exit: the SiFive test device at 0x100000 (0x5555 passes, (code << 16) |
 *   0x3333 fails with `code`); QEMU exits with that status.
 */
#include "tg_port.h"

#define TG_UART_BASE 0x10000000u
#define TG_UART_RBR 0u /* receive buffer (read) */
#define TG_UART_THR 0u /* transmit holding (write) */
#define TG_UART_IER 1u
#define TG_UART_FCR 2u
#define TG_UART_LCR 3u
#define TG_UART_LSR 5u
#define TG_IER_RX_DATA 0x01u    /* interrupt while received data is available */
#define TG_LSR_DATA_READY 0x01u
#define TG_LSR_THR_EMPTY 0x20u
#define TG_LSR_TX_EMPTY 0x40u   /* TEMT: the last byte has left the transmitter */

/* The PLIC of QEMU's virt board (SiFive PLIC layout), context 0: hart 0 in machine mode. */
#define TG_PLIC_BASE 0x0C000000u
#define TG_PLIC_UART_SOURCE 10u
#define TG_PLIC_PRIORITY(src) (TG_PLIC_BASE + 4u * (src))
#define TG_PLIC_ENABLE0 (TG_PLIC_BASE + 0x2000u)
#define TG_PLIC_THRESHOLD0 (TG_PLIC_BASE + 0x200000u)
#define TG_PLIC_CLAIM0 (TG_PLIC_BASE + 0x200004u)

/* The CLINT: hart 0's mtimecmp and the mtime counter, 10 MHz of virtual time. */
#define TG_CLINT_MTIMECMP 0x02004000u
#define TG_CLINT_MTIME 0x0200BFF8u
#define TG_MTIME_NS 100u                 /* ns of virtual time per mtime tick */
#define TG_MIE_MTIE (1u << 7)            /* mie: machine timer interrupt enable */
#define TG_MIE_MEIE (1u << 11)           /* mie: machine external interrupt enable */
#define TG_MIP_MTIP (1u << 7)

#define TG_TEST_DEVICE 0x100000u
#define TG_TEST_PASS 0x5555u
#define TG_TEST_FAIL 0x3333u

#define TG_VIRT_MTIME_PER_MS (1000000u / TG_MTIME_NS)   /* mtime ticks per ms of virtual time */

static volatile uint8_t *tg_uart(uint32_t reg)
{
    return (volatile uint8_t *)(uintptr_t)(TG_UART_BASE + reg);
}

static volatile uint32_t *tg_reg32(uint32_t addr)
{
    return (volatile uint32_t *)(uintptr_t)addr;
}

void tg_port_init(void)
{
    *tg_uart(TG_UART_LCR) = 0x03u; /* 8 data bits, no parity, 1 stop bit */
    *tg_uart(TG_UART_FCR) = 0x07u; /* FIFOs on and cleared */
    *tg_uart(TG_UART_IER) = TG_IER_RX_DATA;
    *tg_reg32(TG_PLIC_PRIORITY(TG_PLIC_UART_SOURCE)) = 1u;
    *tg_reg32(TG_PLIC_THRESHOLD0) = 0u;
    *tg_reg32(TG_PLIC_ENABLE0) = 1u << TG_PLIC_UART_SOURCE;
    __asm__ volatile("csrs mie, %0" : : "r"(TG_MIE_MEIE));
}

static uint64_t tg_mtime(void)
{
    uint32_t hi, lo, again;
    do {
        hi = tg_reg32(TG_CLINT_MTIME)[1];
        lo = tg_reg32(TG_CLINT_MTIME)[0];
        again = tg_reg32(TG_CLINT_MTIME)[1];
    } while (hi != again);
    return (uint64_t)hi << 32 | lo;
}

/* mtimecmp = t, written so that no intermediate value lies before t (the spec's sequence). */
static void tg_mtimecmp_set(uint64_t t)
{
    volatile uint32_t *cmp = tg_reg32(TG_CLINT_MTIMECMP);
    cmp[0] = 0xFFFFFFFFu;
    cmp[1] = (uint32_t)(t >> 32);
    cmp[0] = (uint32_t)t;
}

uint64_t tg_port_counter(void)
{
    uint32_t hi, lo, again;
    do { /* instreth may tick between the two reads: retry until it did not */
        __asm__ volatile("csrr %0, instreth" : "=r"(hi));
        __asm__ volatile("csrr %0, instret" : "=r"(lo));
        __asm__ volatile("csrr %0, instreth" : "=r"(again));
    } while (hi != again);
    return (uint64_t)hi << 32 | lo;
}

int tg_port_getc(uint32_t timeout_ms)
{
    if ((*tg_uart(TG_UART_LSR) & TG_LSR_DATA_READY) != 0u) {
        return *tg_uart(TG_UART_RBR);
    }
    if (timeout_ms != 0u) {
        tg_mtimecmp_set(tg_mtime() + (uint64_t)timeout_ms * TG_VIRT_MTIME_PER_MS);
        __asm__ volatile("csrs mie, %0" : : "r"(TG_MIE_MTIE));
    }
    int c = -1;
    for (;;) {
        /* Claim and complete the UART's interrupt, then look: a byte that arrives after
           this pends it again and WFI returns at once. */
        uint32_t source = *tg_reg32(TG_PLIC_CLAIM0);
        if (source != 0u) {
            *tg_reg32(TG_PLIC_CLAIM0) = source;
        }
        if ((*tg_uart(TG_UART_LSR) & TG_LSR_DATA_READY) != 0u) {
            c = *tg_uart(TG_UART_RBR);
            break;
        }
        uint32_t mip;
        __asm__ volatile("csrr %0, mip" : "=r"(mip));
        if (timeout_ms != 0u && (mip & TG_MIP_MTIP) != 0u) {
            break;
        }
        __asm__ volatile("wfi" ::: "memory");
    }
    __asm__ volatile("csrc mie, %0" : : "r"(TG_MIE_MTIE));
    return c;
}

void tg_port_write(const char *data, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        while ((*tg_uart(TG_UART_LSR) & TG_LSR_THR_EMPTY) == 0u) {
        }
        *tg_uart(TG_UART_THR) = (uint8_t)data[i];
    }
}

int tg_port_counter_kind(void)
{
    return TG_COUNTER_INSTRUCTIONS;
}

uint32_t tg_port_clock_hz(void)
{
    return 0;
}

const char *tg_port_name(void)
{
    return "riscv32 virt (ESP32-C3 stand-in)";
}

/* No timestamp pin on the stand-in: the runtime counts the edges (`tg pin`). */
void tg_port_timestamp_pin(int high)
{
    (void)high;
}

void tg_port_exit(int code)
{
    volatile uint32_t *test = (volatile uint32_t *)(uintptr_t)TG_TEST_DEVICE;
    /* THRE comes back as soon as a byte moves to the shift register; QEMU sets TEMT
       only once the serial backend took it (a busy socket keeps it), so wait for TEMT:
       exiting earlier loses the reply's last bytes */
    while ((*tg_uart(TG_UART_LSR) & TG_LSR_TX_EMPTY) == 0u) {
    }
    *test = code == 0 ? TG_TEST_PASS : ((uint32_t)code << 16) | TG_TEST_FAIL;
    for (;;) { /* QEMU has left; a real part never gets here */
    }
}
