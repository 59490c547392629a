/*
 * Board support for the nRF52840 of the Arduino Nano 33 BLE and Nano 33 BLE Sense.
 *
 * Registers and sequences follow the nRF52840 Product Specification (the comments name its
 * chapters). Written against it; not yet run on a board: no board is attached where tinygen
 * is developed, and no Nordic device header (nrf52840.h / nrf52840_bitfields.h) is among the
 * third-party trees tinygen's tests use, so tests/firmware/test_port_registers.py checks only
 * the Cortex-M core registers this port shares with the others.
 *
 * - Start: the Arduino bootloader (first 64 KB of flash) starts the image at 0x10000;
 *   Reset_Handler points VTOR at this image's vector table and the port stops what the
 *   bootloader may have left running (SysTick, NVIC interrupts: its USB among them).
 * - Flash ("NVMC"): the instruction cache in front of the flash is turned on (ICACHECNF).
 * - Clock ("CLOCK"): the CPU runs at 64 MHz from HFCLK whatever its source; the port starts
 *   the 32 MHz crystal oscillator (TASKS_HFCLKSTART) so that the UART's rate is the
 *   crystal's. If it does not start HFCLK stays on the internal oscillator (HFINT) and the
 *   name says so.
 * - Serial ("UARTE - Universal asynchronous receiver/transmitter with EasyDMA"): UARTE0 on
 *   P1.03 (TX, D1) / P1.10 (RX, D0), the Arduino core's Serial1 pins, 8N1 at TG_BOARD_BAUD,
 *   no flow control: wire a 3.3 V USB-serial adapter. EasyDMA reads and writes RAM only, so
 *   each write is copied through a RAM buffer; reception stays armed for one byte, re-armed
 *   as each is taken (bytes that arrive meanwhile wait in the UARTE's RX FIFO). The board's
 *   USB (the Arduino core's Serial, USB CDC) is not driven.
 * - Counter: DWT CYCCNT, core cycles at 64 MHz.
 * - Timestamp pin: none chosen (no [energy] in the board file): a no-op.
 * - Exit: a system reset, back through the bootloader.
 */
#include <stddef.h>
#include <stdint.h>

#include "tg_board.h"
#include "tg_cortexm.h"
#include "tg_port.h"

/* "CLOCK" (base 0x40000000). */
#define TG_NRF_CLOCK_BASE 0x40000000u
#define TG_NRF_CLOCK_TASKS_HFCLKSTART TG_REG32(TG_NRF_CLOCK_BASE + 0x000u)
#define TG_NRF_CLOCK_EVENTS_HFCLKSTARTED TG_REG32(TG_NRF_CLOCK_BASE + 0x100u)
#define TG_NRF_CLOCK_HFCLKSTAT TG_REG32(TG_NRF_CLOCK_BASE + 0x40Cu)
#define TG_NRF_HFCLKSTAT_SRC_XTAL (1u << 0)

/* "NVMC" (base 0x4001E000): ICACHECNF.CACHEEN, the flash's instruction cache (off after reset). */
#define TG_NRF_NVMC_ICACHECNF TG_REG32(0x4001E000u + 0x540u)
#define TG_NRF_ICACHECNF_CACHEEN (1u << 0)

/* "UARTE" (UARTE0 at 0x40002000). */
#define TG_NRF_UARTE0_BASE 0x40002000u
#define TG_UARTE(offset) TG_REG32(TG_NRF_UARTE0_BASE + (offset))
#define TG_UARTE_TASKS_STARTRX TG_UARTE(0x000u)
#define TG_UARTE_TASKS_STARTTX TG_UARTE(0x008u)
#define TG_UARTE_EVENTS_ENDRX TG_UARTE(0x110u)
#define TG_UARTE_EVENTS_ENDTX TG_UARTE(0x120u)
#define TG_UARTE_ENABLE TG_UARTE(0x500u)
#define TG_UARTE_PSEL_RTS TG_UARTE(0x508u)
#define TG_UARTE_PSEL_TXD TG_UARTE(0x50Cu)
#define TG_UARTE_PSEL_CTS TG_UARTE(0x510u)
#define TG_UARTE_PSEL_RXD TG_UARTE(0x514u)
#define TG_UARTE_BAUDRATE TG_UARTE(0x524u)
#define TG_UARTE_RXD_PTR TG_UARTE(0x534u)
#define TG_UARTE_RXD_MAXCNT TG_UARTE(0x538u)
#define TG_UARTE_TXD_PTR TG_UARTE(0x544u)
#define TG_UARTE_TXD_MAXCNT TG_UARTE(0x548u)
#define TG_UARTE_CONFIG TG_UARTE(0x56Cu)
#define TG_UARTE_ENABLE_ON 8u
#define TG_UARTE_CONFIG_8N1 0u                 /* no parity, one stop bit, no flow control */
#define TG_PSEL_DISCONNECTED (1u << 31)
#define TG_PSEL(port, pin) (((port) << 5) | (pin))
/* BAUDRATE: baud * 2^32 / 16 MHz, rounded to the 4096 the register keeps (Nordic's table:
 * 115200 -> 0x01D7E000, 9600 -> 0x00275000). */
#define TG_UARTE_BAUDRATE_OF(baud) \
    ((uint32_t)((((uint64_t)(baud) << 32) / 16000000u + 0x800u) & 0xFFFFF000u))

/* "GPIO" (P1 at 0x50000300): the TX pin an output idling high, the RX pin an input with pull-up. */
#define TG_NRF_P1_BASE 0x50000300u
#define TG_NRF_GPIO_OUTSET TG_REG32(TG_NRF_P1_BASE + 0x508u)
#define TG_NRF_GPIO_DIRSET TG_REG32(TG_NRF_P1_BASE + 0x518u)
#define TG_NRF_GPIO_PIN_CNF(pin) TG_REG32(TG_NRF_P1_BASE + 0x700u + 4u * (pin))
#define TG_NRF_PIN_CNF_INPUT_PULLUP (3u << 2)  /* DIR input, input buffer connected, PULL up */
#define TG_TX_PORT 1u
#define TG_TX_PIN 3u  /* P1.03: D1/TX */
#define TG_RX_PORT 1u
#define TG_RX_PIN 10u /* P1.10: D0/RX */

#define TG_NRF_CPU_HZ 64000000u
#define TG_NRF_READY_POLLS 1000000u
#define TG_TX_CHUNK 32u
/* One byte at 9600 baud is about 67 k cycles at 64 MHz: a chunk of 32 well within these polls. */
#define TG_TX_POLLS 10000000u

static uint8_t s_tx[TG_TX_CHUNK];
static volatile uint8_t s_rx;
static const char *s_name = "nrf52840";

static int tg_nrf_hfxo_start(void)
{
    TG_NRF_CLOCK_EVENTS_HFCLKSTARTED = 0u;
    TG_NRF_CLOCK_TASKS_HFCLKSTART = 1u;
    return tg_wait_bits(&TG_NRF_CLOCK_EVENTS_HFCLKSTARTED, 1u, TG_NRF_READY_POLLS)
           && (TG_NRF_CLOCK_HFCLKSTAT & TG_NRF_HFCLKSTAT_SRC_XTAL) != 0u;
}

static void tg_rx_arm(void)
{
    TG_UARTE_RXD_PTR = (uint32_t)(uintptr_t)&s_rx;
    TG_UARTE_RXD_MAXCNT = 1u;
    TG_UARTE_TASKS_STARTRX = 1u;
}

static void tg_uarte_init(void)
{
    TG_NRF_GPIO_OUTSET = 1u << TG_TX_PIN;
    TG_NRF_GPIO_DIRSET = 1u << TG_TX_PIN;
    TG_NRF_GPIO_PIN_CNF(TG_RX_PIN) = TG_NRF_PIN_CNF_INPUT_PULLUP;
    TG_UARTE_ENABLE = 0u;
    TG_UARTE_PSEL_TXD = TG_PSEL(TG_TX_PORT, TG_TX_PIN);
    TG_UARTE_PSEL_RXD = TG_PSEL(TG_RX_PORT, TG_RX_PIN);
    TG_UARTE_PSEL_RTS = TG_PSEL_DISCONNECTED;
    TG_UARTE_PSEL_CTS = TG_PSEL_DISCONNECTED;
    TG_UARTE_BAUDRATE = TG_UARTE_BAUDRATE_OF(TG_BOARD_BAUD);
    TG_UARTE_CONFIG = TG_UARTE_CONFIG_8N1;
    TG_UARTE_ENABLE = TG_UARTE_ENABLE_ON;
    TG_UARTE_EVENTS_ENDRX = 0u;
    TG_UARTE_EVENTS_ENDTX = 0u;
    tg_rx_arm();
}

void tg_port_init(void)
{
    tg_cortexm_quiesce();
    TG_NRF_NVMC_ICACHECNF |= TG_NRF_ICACHECNF_CACHEEN;
    int xtal = tg_nrf_hfxo_start();
    tg_uarte_init();
    tg_dwt_init();
    s_name = xtal ? "nrf52840 64MHz HFXO" : "nrf52840 64MHz HFINT (HFXO did not start)";
}

int tg_port_getc(uint32_t timeout_ms)
{
    tg_deadline_t deadline;
    tg_deadline_start(&deadline, timeout_ms, TG_NRF_CPU_HZ);
    do {
        if (TG_UARTE_EVENTS_ENDRX != 0u) {
            TG_UARTE_EVENTS_ENDRX = 0u;
            int c = s_rx;
            tg_rx_arm();
            return c;
        }
    } while (!tg_deadline_passed(&deadline));
    return -1;
}

void tg_port_write(const char *data, size_t len)
{
    while (len > 0u) {
        size_t n = len < TG_TX_CHUNK ? len : TG_TX_CHUNK;
        for (size_t i = 0; i < n; i++) {
            s_tx[i] = (uint8_t)data[i];
        }
        TG_UARTE_TXD_PTR = (uint32_t)(uintptr_t)s_tx;
        TG_UARTE_TXD_MAXCNT = (uint32_t)n;
        TG_UARTE_TASKS_STARTTX = 1u;
        (void)tg_wait_bits(&TG_UARTE_EVENTS_ENDTX, 1u, TG_TX_POLLS);
        TG_UARTE_EVENTS_ENDTX = 0u;
        data += n;
        len -= n;
    }
}

uint64_t tg_port_counter(void)
{
    return tg_dwt_cycles64();
}

int tg_port_counter_kind(void)
{
    return TG_COUNTER_CYCLES;
}

uint32_t tg_port_clock_hz(void)
{
    return TG_NRF_CPU_HZ;
}

const char *tg_port_name(void)
{
    return s_name;
}

void tg_port_timestamp_pin(int high)
{
    (void)high;
}

void tg_port_exit(int code)
{
    (void)code; /* every write waited for its ENDTX: nothing is left to send; reset */
    tg_system_reset();
}
