/*
 * Board support for the Nucleo-64 STM32F446RE board.
 *
 * Registers and sequences follow the STM32F446 reference manual RM0390; the
 * comments name its sections.
 *
 * - Clock (tg_stm32_clock.c): HSE in bypass mode from the ST-LINK's 8 MHz
 *   MCO (the Nucleo-64 default), PLL to 180 MHz (VCO 2 MHz * 180 = 360 MHz,
 *   / 2), power over-drive on, 5 flash wait states, ART accelerator
 *   (instruction and data caches) and prefetch on, APB1 45 MHz, APB2
 *   90 MHz. Without HSE the PLL runs from the 16 MHz HSI; if the PLL does
 *   not lock the part stays on HSI and tg_port_clock_hz() says so.
 * - Serial: USART2 on PA2 (TX) / PA3 (RX), alternate function 7, wired to
 *   the ST-LINK virtual COM port; 8N1 at TG_BOARD_BAUD (115200, the board file's [serial] baud), polled.
 * - Counter: DWT CYCCNT, core cycles at tg_port_clock_hz().
 * - Timestamp pin (energy mode): the board file's [energy] timestamp_pin, a
 *   push-pull output idling high (tg_timestamp.h).
 * - Exit: a system reset.
 */
#include <stddef.h>
#include <stdint.h>

#include "tg_board.h"
#include "tg_cortexm.h"
#include "tg_port.h"
#include "tg_stm32.h"
#include "tg_stm32f4.h"

static const tg_stm32_clock_t k_clock = {
    .sysclk_hz = 180000000u,
    .pll_n = 180u, /* VCO 360 MHz */
    .pll_q = 8u,   /* 45 MHz (USB takes its 48 MHz from PLLSAI on this part) */
    .flash_acr = TG_FLASH_LATENCY_180MHZ | TG_FLASH_ACR_PRFTEN | TG_FLASH_ACR_ICEN | TG_FLASH_ACR_DCEN,
};

#define TG_USART2_TX_PIN 2u /* PA2 */
#define TG_USART2_RX_PIN 3u /* PA3 */

static const tg_stm32_usart_t k_usart2 = {
    .status = TG_USART2_BASE + TG_USART_SR_OFFSET,
    .rx = TG_USART2_BASE + TG_USART_DR_OFFSET,
    .tx = TG_USART2_BASE + TG_USART_DR_OFFSET,
    .ore_clear = 0u, /* reading SR then DR clears an overrun */
};

static uint32_t s_clock_hz = TG_STM32_HSI_HZ;
static const char *s_name = "stm32f446";

/* USART2 on PA2/PA3, 8N1 at TG_BOARD_BAUD. With OVER8 = 0 BRR (mantissa << 4 | fraction)
 * is PCLK1 / baud, rounded ("Fractional baud rate generation"). */
static void tg_usart_init(void)
{
    TG_RCC_AHB1ENR |= TG_RCC_AHB1ENR_GPIOA;
    TG_RCC_APB1ENR |= TG_RCC_APB1ENR_USART2;
    (void)TG_RCC_APB1ENR; /* the enable takes effect after a read-back */
    tg_stm32_gpio_af(TG_GPIOA_BASE, TG_USART2_TX_PIN, TG_GPIO_AF7_USART);
    tg_stm32_gpio_af(TG_GPIOA_BASE, TG_USART2_RX_PIN, TG_GPIO_AF7_USART);
    uint32_t pclk1 = s_clock_hz / TG_STM32_APB1_DIVIDER;
    TG_USART_CR1 = 0u;
    TG_USART_BRR = (pclk1 + TG_BOARD_BAUD / 2u) / TG_BOARD_BAUD;
    TG_USART_CR1 = TG_USART_CR1_UE | TG_USART_CR1_TE | TG_USART_CR1_RE;
}

void tg_port_init(void)
{
    s_clock_hz = tg_stm32_clock_init(&k_clock);
    tg_usart_init();
    tg_stm32_gpio_output(TG_BOARD_TIMESTAMP_PORT, TG_BOARD_TIMESTAMP_BIT);
    tg_dwt_init();
    s_name = s_clock_hz == k_clock.sysclk_hz ? "stm32f446 180MHz" : "stm32f446 16MHz (PLL did not start)";
}

int tg_port_getc(uint32_t timeout_ms)
{
    return tg_stm32_usart_getc(&k_usart2, timeout_ms, s_clock_hz);
}

void tg_port_write(const char *data, size_t len)
{
    tg_stm32_usart_write(&k_usart2, data, len);
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

/* Energy-mode timestamp pin: the board file's [energy] timestamp_pin (tg_board.h). */
void tg_port_timestamp_pin(int high)
{
    tg_stm32_gpio_write(TG_BOARD_TIMESTAMP_PORT, TG_BOARD_TIMESTAMP_BIT, high);
}

void tg_port_exit(int code)
{
    (void)code; /* a board has no one to report to: let the last byte leave, reset */
    tg_stm32_usart_flush(&k_usart2);
    tg_system_reset();
}
