/*
 * Board support for the Raspberry Pi Pico 2 (RP2350A, Cortex-M33 core 0).
 *
 * Registers and sequences follow the RP2350 datasheet (the comments name its
 * chapters) and the register headers of the Pico SDK
 * (src/rp2350/hardware_regs). Written against them; not yet run on a board:
 * no board is attached where tinygen is developed.
 *
 * - Boot: the boot ROM starts a flash image that carries an IMAGE_DEF block
 *   in its first 4 KB ("Bootrom", "Image definitions"): k_image_def below,
 *   placed right after the vector table (.tg_boot_block, linker template),
 *   declares an Arm Secure executable for the RP2350, whose entry is the
 *   vector table at the start of flash. Core 1 stays in the boot ROM.
 * - Clock ("Clocks"): the 12 MHz crystal oscillator (XOSC) becomes clk_ref;
 *   PLL_SYS (REFDIV 1, FBDIV 125: VCO 1500 MHz, post dividers 5 and 2) gives
 *   clk_sys = 150 MHz, and clk_peri (the UART's) follows clk_sys. If the
 *   crystal or the PLL does not start the core stays on the ring oscillator
 *   the boot ROM left, and tg_port_clock_hz() says 0 (unknown).
 * - Serial: UART0 (an Arm PL011) on GP0 (TX) / GP1 (RX), 8N1 at
 *   TG_BOARD_BAUD with its FIFOs, polled: wire GP0/GP1 to a USB-serial
 *   bridge (the Raspberry Pi Debug Probe's UART). The board's own USB is not
 *   used (no USB device stack).
 * - Counter: DWT CYCCNT, core cycles at tg_port_clock_hz().
 * - Timestamp pin: none chosen (no [energy] in the board file): a no-op.
 * - Exit: a system reset (AIRCR.SYSRESETREQ), back through the boot ROM.
 */
#include <stddef.h>
#include <stdint.h>

#include "tg_board.h"
#include "tg_cortexm.h"
#include "tg_port.h"

/* Atomic register aliases ("Atomic register access"): write-1-to-set and -clear. */
#define TG_RP_SET(addr) TG_REG32((addr) + 0x2000u)
#define TG_RP_CLR(addr) TG_REG32((addr) + 0x3000u)

/* "Subsystem resets": RESETS (0x40020000), RESET and RESET_DONE. */
#define TG_RESETS_BASE 0x40020000u
#define TG_RESETS_RESET (TG_RESETS_BASE + 0x0u)
#define TG_RESETS_DONE TG_REG32(TG_RESETS_BASE + 0x8u)
#define TG_RESET_IO_BANK0 (1u << 6)
#define TG_RESET_PADS_BANK0 (1u << 9)
#define TG_RESET_PLL_SYS (1u << 14)
#define TG_RESET_UART0 (1u << 26)

/* "Crystal oscillator (XOSC)" (0x40048000). */
#define TG_XOSC_BASE 0x40048000u
#define TG_XOSC_CTRL TG_REG32(TG_XOSC_BASE + 0x00u)
#define TG_XOSC_STATUS TG_REG32(TG_XOSC_BASE + 0x04u)
#define TG_XOSC_STARTUP TG_REG32(TG_XOSC_BASE + 0x0Cu)
#define TG_XOSC_CTRL_1_15MHZ_ENABLE ((0xFABu << 12) | 0xAA0u)
#define TG_XOSC_STATUS_STABLE (1u << 31)
#define TG_XOSC_STARTUP_DELAY 47u /* about 1 ms at 12 MHz, in units of 256 cycles (the SDK's default) */

/* "PLL" (PLL_SYS at 0x40050000). */
#define TG_PLL_SYS_BASE 0x40050000u
#define TG_PLL_CS TG_REG32(TG_PLL_SYS_BASE + 0x00u)
#define TG_PLL_PWR (TG_PLL_SYS_BASE + 0x04u)
#define TG_PLL_FBDIV_INT TG_REG32(TG_PLL_SYS_BASE + 0x08u)
#define TG_PLL_PRIM TG_REG32(TG_PLL_SYS_BASE + 0x0Cu)
#define TG_PLL_CS_LOCK (1u << 31)
#define TG_PLL_PWR_PD (1u << 0)
#define TG_PLL_PWR_POSTDIVPD (1u << 3)
#define TG_PLL_PWR_VCOPD (1u << 5)
#define TG_PLL_REFDIV 1u
#define TG_PLL_FBDIV 125u  /* 12 MHz * 125 = 1500 MHz */
#define TG_PLL_POSTDIV1 5u
#define TG_PLL_POSTDIV2 2u /* 1500 / 5 / 2 = 150 MHz */

/* "Clocks" (CLOCKS at 0x40010000): clk_ref, clk_sys, clk_peri. */
#define TG_CLOCKS_BASE 0x40010000u
#define TG_CLK_REF_CTRL TG_REG32(TG_CLOCKS_BASE + 0x30u)
#define TG_CLK_REF_SELECTED TG_REG32(TG_CLOCKS_BASE + 0x38u)
#define TG_CLK_SYS_CTRL TG_REG32(TG_CLOCKS_BASE + 0x3Cu)
#define TG_CLK_SYS_SELECTED TG_REG32(TG_CLOCKS_BASE + 0x44u)
#define TG_CLK_PERI_CTRL TG_REG32(TG_CLOCKS_BASE + 0x48u)
#define TG_CLK_REF_SRC_XOSC 0x2u
#define TG_CLK_SYS_SRC_AUX 0x1u           /* SRC = clksrc_clk_sys_aux, AUXSRC = PLL_SYS (0) */
#define TG_CLK_PERI_ENABLE (1u << 11)     /* AUXSRC = clk_sys (0) */

/* GPIO function select ("IO_BANK0", 0x40028000) and pads ("PADS_BANK0", 0x40038000). */
#define TG_IO_BANK0_GPIO_CTRL(pin) TG_REG32(0x40028000u + 8u * (pin) + 4u)
#define TG_PADS_BANK0_GPIO(pin) (0x40038000u + 4u * ((pin) + 1u))
#define TG_FUNCSEL_UART 2u
#define TG_PAD_ISO (1u << 8)  /* isolation latch, set at reset: cleared to use the pad */
#define TG_PAD_IE (1u << 6)
#define TG_PAD_OD (1u << 7)
#define TG_UART0_TX_PIN 0u
#define TG_UART0_RX_PIN 1u

/* "UART" (UART0 at 0x40070000), an Arm PL011. */
#define TG_UART0_BASE 0x40070000u
#define TG_UART_DR TG_REG32(TG_UART0_BASE + 0x00u)
#define TG_UART_FR TG_REG32(TG_UART0_BASE + 0x18u)
#define TG_UART_IBRD TG_REG32(TG_UART0_BASE + 0x24u)
#define TG_UART_FBRD TG_REG32(TG_UART0_BASE + 0x28u)
#define TG_UART_LCR_H TG_REG32(TG_UART0_BASE + 0x2Cu)
#define TG_UART_CR TG_REG32(TG_UART0_BASE + 0x30u)
#define TG_UART_FR_BUSY (1u << 3)
#define TG_UART_FR_RXFE (1u << 4)
#define TG_UART_FR_TXFF (1u << 5)
#define TG_UART_LCR_H_8N1_FIFO ((3u << 5) | (1u << 4))
#define TG_UART_CR_ENABLE ((1u << 0) | (1u << 8) | (1u << 9))

#define TG_RP_SYS_HZ 150000000u
#define TG_READY_POLLS 1000000u
#define TG_UART_FLUSH_POLLS 1000000u

/* The IMAGE_DEF block ("Image definitions", the SDK's boot/picobin.h): START marker;
 * IMAGE_TYPE item (1 word): executable, Secure, Arm, RP2350; LAST item (1 word of items);
 * offset to the next block (0: this one, a loop of one); END marker. */
__attribute__((section(".tg_boot_block"), used, aligned(4)))
static const uint32_t k_image_def[5] = {0xFFFFDED3u, 0x10210142u, 0x000001FFu, 0x00000000u, 0xAB123579u};

static uint32_t s_clock_hz;
static const char *s_name = "rp2350";

static void tg_unreset(uint32_t bits)
{
    TG_RP_CLR(TG_RESETS_RESET) = bits;
    (void)tg_wait_bits(&TG_RESETS_DONE, bits, TG_READY_POLLS);
}

/* XOSC -> clk_ref, PLL_SYS -> clk_sys -> clk_peri: returns clk_sys, 0 if left on the ring oscillator. */
static uint32_t tg_rp_clock_init(void)
{
    TG_XOSC_STARTUP = TG_XOSC_STARTUP_DELAY;
    TG_XOSC_CTRL = TG_XOSC_CTRL_1_15MHZ_ENABLE;
    if (!tg_wait_bits(&TG_XOSC_STATUS, TG_XOSC_STATUS_STABLE, TG_READY_POLLS)) {
        return 0u;
    }
    TG_CLK_REF_CTRL = TG_CLK_REF_SRC_XOSC;
    if (!tg_wait_bits(&TG_CLK_REF_SELECTED, 1u << TG_CLK_REF_SRC_XOSC, TG_READY_POLLS)) {
        return 0u;
    }
    TG_CLK_SYS_CTRL = 0u;       /* clk_sys on clk_ref while the PLL changes */
    (void)tg_wait_bits(&TG_CLK_SYS_SELECTED, 1u, TG_READY_POLLS);
    TG_RP_SET(TG_RESETS_RESET) = TG_RESET_PLL_SYS;
    tg_unreset(TG_RESET_PLL_SYS);
    TG_PLL_CS = TG_PLL_REFDIV;
    TG_PLL_FBDIV_INT = TG_PLL_FBDIV;
    TG_RP_CLR(TG_PLL_PWR) = TG_PLL_PWR_PD | TG_PLL_PWR_VCOPD;
    if (!tg_wait_bits(&TG_PLL_CS, TG_PLL_CS_LOCK, TG_READY_POLLS)) {
        return 0u;
    }
    TG_PLL_PRIM = (TG_PLL_POSTDIV1 << 16) | (TG_PLL_POSTDIV2 << 12);
    TG_RP_CLR(TG_PLL_PWR) = TG_PLL_PWR_POSTDIVPD;
    TG_CLK_SYS_CTRL = TG_CLK_SYS_SRC_AUX;
    if (!tg_wait_bits(&TG_CLK_SYS_SELECTED, 1u << TG_CLK_SYS_SRC_AUX, TG_READY_POLLS)) {
        return 0u;
    }
    TG_CLK_PERI_CTRL = TG_CLK_PERI_ENABLE;
    return TG_RP_SYS_HZ;
}

static void tg_uart_pin(uint32_t pin)
{
    const uint32_t pad = TG_PADS_BANK0_GPIO(pin);
    TG_REG32(pad) = (TG_REG32(pad) & ~(TG_PAD_OD | TG_PAD_ISO)) | TG_PAD_IE;
    TG_IO_BANK0_GPIO_CTRL(pin) = TG_FUNCSEL_UART;
}

/* UART0 on GP0/GP1, 8N1 at TG_BOARD_BAUD: the PL011's divider clk_peri / (16 * baud) in 16.6
 * fixed point, rounded ("Baud rate calculation"). */
static void tg_uart_init(uint32_t clk_peri)
{
    tg_unreset(TG_RESET_IO_BANK0 | TG_RESET_PADS_BANK0 | TG_RESET_UART0);
    tg_uart_pin(TG_UART0_TX_PIN);
    tg_uart_pin(TG_UART0_RX_PIN);
    uint32_t div = 8u * clk_peri / TG_BOARD_BAUD + 1u;   /* 128 * clk / (16 * baud), plus a half for rounding */
    TG_UART_IBRD = div >> 7;
    TG_UART_FBRD = (div & 0x7Fu) >> 1;
    TG_UART_LCR_H = TG_UART_LCR_H_8N1_FIFO;             /* also latches IBRD / FBRD */
    TG_UART_CR = TG_UART_CR_ENABLE;
}

void tg_port_init(void)
{
    s_clock_hz = tg_rp_clock_init();
    /* on the ring oscillator the UART's clock is unknown: assume the boot ROM's nominal 11 MHz */
    tg_uart_init(s_clock_hz != 0u ? s_clock_hz : 11000000u);
    tg_dwt_init();
    s_name = s_clock_hz != 0u ? "rp2350 150MHz" : "rp2350 ring oscillator (XOSC or PLL_SYS did not start)";
}

int tg_port_getc(uint32_t timeout_ms)
{
    tg_deadline_t deadline;
    tg_deadline_start(&deadline, timeout_ms, s_clock_hz != 0u ? s_clock_hz : 11000000u);
    do {
        if ((TG_UART_FR & TG_UART_FR_RXFE) == 0u) {
            return (int)(TG_UART_DR & 0xFFu);
        }
    } while (!tg_deadline_passed(&deadline));
    return -1;
}

void tg_port_write(const char *data, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        while ((TG_UART_FR & TG_UART_FR_TXFF) != 0u) {
        }
        TG_UART_DR = (uint8_t)data[i];
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
    return s_clock_hz;
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
    (void)code;
    for (uint32_t i = 0u; i < TG_UART_FLUSH_POLLS && (TG_UART_FR & TG_UART_FR_BUSY) != 0u; i++) {
    }
    tg_system_reset();
}
