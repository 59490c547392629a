/*
 * Board support for the Nucleo-144 STM32F746ZG and STM32F767ZI boards.
 *
 * Registers and sequences follow the STM32F7 reference manuals (RM0385 for
 * the F74x/F75x, RM0410 for the F76x/F77x: the registers used here are the
 * same, at the same addresses); the comments name the sections.
 *
 * - Clock (tg_stm32_clock.c): HSE in bypass mode from the ST-LINK's 8 MHz
 *   MCO (the Nucleo-144 default), PLL to 216 MHz (VCO 2 MHz * 216 = 432 MHz,
 *   / 2), power over-drive on, 7 flash wait states, ART accelerator and
 *   prefetch on, APB1 54 MHz, APB2 108 MHz; then the Cortex-M7 I- and
 *   D-caches on. Without HSE the PLL runs from the 16 MHz HSI; if the PLL
 *   does not lock the part stays on HSI and tg_port_clock_hz() says so.
 * - Serial: USART3 on PD8 (TX) / PD9 (RX), alternate function 7, wired to
 *   the ST-LINK virtual COM port; 8N1 at TG_BOARD_BAUD (115200, the board file's [serial] baud), polled.
 * - Counter: DWT CYCCNT, core cycles at tg_port_clock_hz().
 * - Timestamp pin (energy mode): the board file's [energy] timestamp_pin, a
 *   push-pull output idling high (tg_timestamp.h).
 * - Exit: a system reset (there is nothing to return to).
 */
#include <stddef.h>
#include <stdint.h>

#include "tg_board.h"
#include "tg_cortexm.h"
#include "tg_port.h"
#include "tg_stm32.h"
#include "tg_stm32f7.h"

static const tg_stm32_clock_t k_clock = {
    .sysclk_hz = 216000000u,
    .pll_n = 216u, /* VCO 432 MHz */
    .pll_q = 9u,   /* 48 MHz */
    .flash_acr = TG_FLASH_LATENCY_216MHZ | TG_FLASH_ACR_PRFTEN | TG_FLASH_ACR_ARTEN,
};

#define TG_USART3_TX_PIN 8u /* PD8 */
#define TG_USART3_RX_PIN 9u /* PD9 */

static const tg_stm32_usart_t k_usart3 = {
    .status = TG_USART3_BASE + TG_USART_ISR_OFFSET,
    .rx = TG_USART3_BASE + TG_USART_RDR_OFFSET,
    .tx = TG_USART3_BASE + TG_USART_TDR_OFFSET,
    .ore_clear = TG_USART3_BASE + TG_USART_ICR_OFFSET, /* ICR's ORECF is ISR's ORE bit */
};

static uint32_t s_clock_hz = TG_STM32_HSI_HZ;
static const char *s_name = "stm32f7";

/* USART3 on PD8/PD9, 8N1 at TG_BOARD_BAUD, oversampling by 16: BRR = PCLK1 / baud ("Baud rate generation"). */
static void tg_usart_init(void)
{
    TG_RCC_AHB1ENR |= TG_RCC_AHB1ENR_GPIOD;
    TG_RCC_APB1ENR |= TG_RCC_APB1ENR_USART3;
    (void)TG_RCC_APB1ENR; /* the enable takes effect after a read-back */
    tg_stm32_gpio_af(TG_GPIOD_BASE, TG_USART3_TX_PIN, TG_GPIO_AF7_USART);
    tg_stm32_gpio_af(TG_GPIOD_BASE, TG_USART3_RX_PIN, TG_GPIO_AF7_USART);
    uint32_t pclk1 = s_clock_hz / TG_STM32_APB1_DIVIDER;
    TG_USART_CR1 = 0u;
    TG_USART_BRR = (pclk1 + TG_BOARD_BAUD / 2u) / TG_BOARD_BAUD;
    TG_USART_CR1 = TG_USART_CR1_TE | TG_USART_CR1_RE | TG_USART_CR1_UE;
}

void tg_port_init(void)
{
    s_clock_hz = tg_stm32_clock_init(&k_clock);
    tg_cortexm7_enable_caches();
    tg_usart_init();
    tg_stm32_gpio_output(TG_BOARD_TIMESTAMP_PORT, TG_BOARD_TIMESTAMP_BIT);
    tg_dwt_init();
    int f76x = (TG_DBGMCU_IDCODE & TG_DBGMCU_IDCODE_DEV_ID_MASK) == TG_DEV_ID_F76X;
    if (s_clock_hz == k_clock.sysclk_hz) {
        s_name = f76x ? "stm32f767 216MHz" : "stm32f746 216MHz";
    } else {
        s_name = f76x ? "stm32f767 16MHz (PLL did not start)" : "stm32f746 16MHz (PLL did not start)";
    }
}

int tg_port_getc(uint32_t timeout_ms)
{
    return tg_stm32_usart_getc(&k_usart3, timeout_ms, s_clock_hz);
}

void tg_port_write(const char *data, size_t len)
{
    tg_stm32_usart_write(&k_usart3, data, len);
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
    tg_stm32_usart_flush(&k_usart3);
    tg_system_reset();
}
