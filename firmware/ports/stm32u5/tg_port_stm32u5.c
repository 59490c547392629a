/*
 * Board support for the B-U585I-IOT02A Discovery kit (STM32U585AI, Cortex-M33).
 *
 * Registers and sequences follow the STM32U5 reference manual RM0456; the
 * comments name its sections. TrustZone is off (TZEN = 0, as shipped), so
 * the non-secure register addresses are used. Written against the reference
 * manual and ST's CMSIS device header (stm32u585xx.h); not yet run on a
 * board: no board is attached where tinygen is developed.
 *
 * - Clock: MSIS at its reset 4 MHz feeds PLL1 (M = 1, N = 80: VCO 320 MHz,
 *   R = 2) for a 160 MHz SYSCLK; first voltage range 1 with the EPOD boost
 *   ("SYSCLK above 55 MHz"), 4 flash wait states ("Read access latency")
 *   and prefetch, then the instruction cache (ICACHE). AHB and APB stay
 *   undivided. If the regulator, the boost or the PLL does not come up the
 *   part stays on MSIS 4 MHz and tg_port_clock_hz() says so.
 * - Serial: USART1 on PA9 (TX) / PA10 (RX), alternate function 7, wired to
 *   the STLINK-V3E virtual COM port; clocked by PCLK2 (USART1SEL's reset
 *   value); 8N1 at TG_BOARD_BAUD, polled (tg_stm32_usart.c: the U5's USART
 *   has the F7's ISR / ICR / RDR / TDR at the same offsets).
 * - Counter: DWT CYCCNT, core cycles at tg_port_clock_hz().
 * - Timestamp pin: none chosen for this board (no [energy] in its board
 *   file): a no-op.
 * - Exit: a system reset.
 */
#include <stddef.h>
#include <stdint.h>

#include "tg_board.h"
#include "tg_cortexm.h"
#include "tg_port.h"
#include "tg_stm32.h"

/* "RCC registers" (non-secure base 0x46020C00). */
#define TG_U5_RCC_BASE 0x46020C00u
#define TG_U5_RCC_CR TG_REG32(TG_U5_RCC_BASE + 0x00u)
#define TG_U5_RCC_CFGR1 TG_REG32(TG_U5_RCC_BASE + 0x1Cu)
#define TG_U5_RCC_PLL1CFGR TG_REG32(TG_U5_RCC_BASE + 0x28u)
#define TG_U5_RCC_PLL1DIVR TG_REG32(TG_U5_RCC_BASE + 0x34u)
#define TG_U5_RCC_AHB2ENR1 TG_REG32(TG_U5_RCC_BASE + 0x8Cu)
#define TG_U5_RCC_AHB3ENR TG_REG32(TG_U5_RCC_BASE + 0x94u)
#define TG_U5_RCC_APB2ENR TG_REG32(TG_U5_RCC_BASE + 0xA4u)
#define TG_U5_RCC_CR_PLL1ON (1u << 24)
#define TG_U5_RCC_CR_PLL1RDY (1u << 25)
#define TG_U5_RCC_CFGR1_SW_MASK 0x3u
#define TG_U5_RCC_CFGR1_SW_PLL1 0x3u
#define TG_U5_RCC_CFGR1_SWS_PLL1 (0x3u << 2)
#define TG_U5_RCC_AHB2ENR1_GPIOA (1u << 0)
#define TG_U5_RCC_AHB3ENR_PWR (1u << 2)
#define TG_U5_RCC_APB2ENR_USART1 (1u << 14)

/* PLL1 from MSIS 4 MHz: PLL1SRC = MSIS (01), PLL1RGE = 4..8 MHz (00), M = 1 (field 0),
 * MBOOST = 1 (field 0: the EPOD boost clock is MSIS / 1, within 4..16 MHz), R enabled;
 * N = 80, P = Q = R = 2 (fields N - 1 and the dividers - 1). */
#define TG_U5_PLL1CFGR ((0x1u << 0) | (0x0u << 2) | (0x0u << 8) | (0x0u << 12) | (1u << 18))
#define TG_U5_PLL1DIVR ((80u - 1u) | ((2u - 1u) << 9) | ((2u - 1u) << 16) | ((2u - 1u) << 24))
#define TG_U5_SYSCLK_HZ 160000000u
#define TG_U5_MSIS_HZ 4000000u

/* "PWR registers" (non-secure base 0x46020800): VOSR, voltage range 1 and the EPOD boost. */
#define TG_U5_PWR_VOSR TG_REG32(0x46020800u + 0x0Cu)
#define TG_U5_PWR_VOSR_RANGE1 (0x3u << 16)
#define TG_U5_PWR_VOSR_BOOSTEN (1u << 18)
#define TG_U5_PWR_VOSR_VOSRDY (1u << 15)
#define TG_U5_PWR_VOSR_BOOSTRDY (1u << 14)

/* "FLASH registers" (non-secure base 0x40022000): ACR, 4 wait states at 160 MHz in range 1. */
#define TG_U5_FLASH_ACR TG_REG32(0x40022000u)
#define TG_U5_FLASH_LATENCY_MASK 0xFu
#define TG_U5_FLASH_LATENCY_160MHZ 4u
#define TG_U5_FLASH_ACR_PRFTEN (1u << 8)

/* "ICACHE registers" (non-secure base 0x40030400): CR.EN. */
#define TG_U5_ICACHE_CR TG_REG32(0x40030400u)
#define TG_U5_ICACHE_CR_EN (1u << 0)

/* GPIO port A (non-secure 0x42020000) and USART1 (non-secure 0x40013800). */
#define TG_U5_GPIOA_BASE 0x42020000u
#define TG_U5_USART1_BASE 0x40013800u
#define TG_U5_USART_CR1 TG_REG32(TG_U5_USART1_BASE + 0x00u)
#define TG_U5_USART_BRR TG_REG32(TG_U5_USART1_BASE + 0x0Cu)
#define TG_USART_CR1_UE (1u << 0)
#define TG_USART_CR1_RE (1u << 2)
#define TG_USART_CR1_TE (1u << 3)
#define TG_USART1_TX_PIN 9u  /* PA9 */
#define TG_USART1_RX_PIN 10u /* PA10 */

#define TG_READY_POLLS 1000000u

static const tg_stm32_usart_t k_usart1 = {
    .status = TG_U5_USART1_BASE + 0x1Cu,    /* ISR */
    .rx = TG_U5_USART1_BASE + 0x24u,        /* RDR */
    .tx = TG_U5_USART1_BASE + 0x28u,        /* TDR */
    .ore_clear = TG_U5_USART1_BASE + 0x20u, /* ICR */
};

static uint32_t s_clock_hz = TG_U5_MSIS_HZ;
static const char *s_name = "stm32u585";

/* "Dynamic voltage scaling management", "Flash read access latency", "PLL": returns the clock reached. */
static uint32_t tg_u5_clock_init(void)
{
    TG_U5_RCC_AHB3ENR |= TG_U5_RCC_AHB3ENR_PWR;
    (void)TG_U5_RCC_AHB3ENR;
    /* PLL1's source and boost divider first: the EPOD boost runs from them. */
    TG_U5_RCC_PLL1CFGR = TG_U5_PLL1CFGR;
    TG_U5_RCC_PLL1DIVR = TG_U5_PLL1DIVR;
    TG_U5_PWR_VOSR |= TG_U5_PWR_VOSR_RANGE1 | TG_U5_PWR_VOSR_BOOSTEN;
    if (!tg_wait_bits(&TG_U5_PWR_VOSR, TG_U5_PWR_VOSR_VOSRDY | TG_U5_PWR_VOSR_BOOSTRDY, TG_READY_POLLS)) {
        return TG_U5_MSIS_HZ;
    }
    /* More wait states before a faster clock, read back before it is used. */
    TG_U5_FLASH_ACR = (TG_U5_FLASH_ACR & ~TG_U5_FLASH_LATENCY_MASK) | TG_U5_FLASH_LATENCY_160MHZ
                      | TG_U5_FLASH_ACR_PRFTEN;
    if ((TG_U5_FLASH_ACR & TG_U5_FLASH_LATENCY_MASK) != TG_U5_FLASH_LATENCY_160MHZ) {
        return TG_U5_MSIS_HZ;
    }
    TG_U5_RCC_CR |= TG_U5_RCC_CR_PLL1ON;
    if (!tg_wait_bits(&TG_U5_RCC_CR, TG_U5_RCC_CR_PLL1RDY, TG_READY_POLLS)) {
        return TG_U5_MSIS_HZ;
    }
    TG_U5_RCC_CFGR1 = (TG_U5_RCC_CFGR1 & ~TG_U5_RCC_CFGR1_SW_MASK) | TG_U5_RCC_CFGR1_SW_PLL1;
    if (!tg_wait_bits(&TG_U5_RCC_CFGR1, TG_U5_RCC_CFGR1_SWS_PLL1, TG_READY_POLLS)) {
        return TG_U5_MSIS_HZ;
    }
    return TG_U5_SYSCLK_HZ;
}

/* USART1 on PA9/PA10, 8N1 at TG_BOARD_BAUD: BRR = PCLK2 / baud, rounded (OVER8 = 0, PRESC = 1). */
static void tg_usart_init(void)
{
    TG_U5_RCC_AHB2ENR1 |= TG_U5_RCC_AHB2ENR1_GPIOA;
    TG_U5_RCC_APB2ENR |= TG_U5_RCC_APB2ENR_USART1;
    (void)TG_U5_RCC_APB2ENR; /* the enable takes effect after a read-back */
    tg_stm32_gpio_af(TG_U5_GPIOA_BASE, TG_USART1_TX_PIN, TG_GPIO_AF7_USART);
    tg_stm32_gpio_af(TG_U5_GPIOA_BASE, TG_USART1_RX_PIN, TG_GPIO_AF7_USART);
    TG_U5_USART_CR1 = 0u;
    TG_U5_USART_BRR = (s_clock_hz + TG_BOARD_BAUD / 2u) / TG_BOARD_BAUD;
    TG_U5_USART_CR1 = TG_USART_CR1_UE | TG_USART_CR1_TE | TG_USART_CR1_RE;
}

void tg_port_init(void)
{
    s_clock_hz = tg_u5_clock_init();
    TG_U5_ICACHE_CR |= TG_U5_ICACHE_CR_EN;
    tg_usart_init();
    tg_dwt_init();
    s_name = s_clock_hz == TG_U5_SYSCLK_HZ ? "stm32u585 160MHz" : "stm32u585 4MHz (PLL1 did not start)";
}

int tg_port_getc(uint32_t timeout_ms)
{
    return tg_stm32_usart_getc(&k_usart1, timeout_ms, s_clock_hz);
}

void tg_port_write(const char *data, size_t len)
{
    tg_stm32_usart_write(&k_usart1, data, len);
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
    (void)code; /* a board has no one to report to: let the last byte leave, reset */
    tg_stm32_usart_flush(&k_usart1);
    tg_system_reset();
}
