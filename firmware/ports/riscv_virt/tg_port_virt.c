/*
 * RISC-V virt port: the ESP32-C3 (RV32IMC) stand-in, qemu-system-riscv32 -M
 * virt -bios none, in machine mode without interrupts.
 *
 * - Serial: the ns16550 UART at 0x10000000, polled (RBR/THR +0, LSR +5:
 *   bit 0 data ready, bit 5 transmit holding register empty).
 * - Counter: executed instructions (instret / instreth), exact under QEMU.
 *   The stand-in has no notion of time: tg_port_clock_hz() is 0 and timeouts
 *   are counted in instructions (TG_VIRT_INSTR_PER_MS).
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
#define TG_LSR_DATA_READY 0x01u
#define TG_LSR_THR_EMPTY 0x20u
#define TG_LSR_TX_EMPTY 0x40u   /* TEMT: the last byte has left the transmitter */

#define TG_TEST_DEVICE 0x100000u
#define TG_TEST_PASS 0x5555u
#define TG_TEST_FAIL 0x3333u

/*
 * Instructions that stand for one millisecond in timeouts: the ESP32-C3 runs
 * at 160 MHz, so 100 k instructions (500 ms ~ 50 M) is the right order; the
 * polling loop makes QEMU execute them in roughly that much wall time.
 */
#define TG_VIRT_INSTR_PER_MS 100000u

static volatile uint8_t *tg_uart(uint32_t reg)
{
    return (volatile uint8_t *)(uintptr_t)(TG_UART_BASE + reg);
}

void tg_port_init(void)
{
    *tg_uart(TG_UART_IER) = 0x00u; /* no interrupts: everything is polled */
    *tg_uart(TG_UART_LCR) = 0x03u; /* 8 data bits, no parity, 1 stop bit */
    *tg_uart(TG_UART_FCR) = 0x07u; /* FIFOs on and cleared */
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
    uint64_t start = tg_port_counter();
    uint64_t budget = (uint64_t)timeout_ms * TG_VIRT_INSTR_PER_MS;
    for (;;) {
        if ((*tg_uart(TG_UART_LSR) & TG_LSR_DATA_READY) != 0u) {
            return *tg_uart(TG_UART_RBR);
        }
        if (timeout_ms != 0u && tg_port_counter() - start >= budget) {
            return -1;
        }
    }
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
