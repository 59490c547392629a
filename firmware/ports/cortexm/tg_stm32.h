/*
 * The part of the STM32F4 and STM32F7 board support they have in common:
 * the clock tree (RCC), the power over-drive (PWR), the flash wait states
 * (FLASH_ACR) and the GPIO alternate functions. These registers sit at the
 * same addresses with the same fields on both families (RM0390 for the
 * STM32F446, RM0385 / RM0410 for the STM32F74x / F76x); the comments name
 * the reference manual sections. The USARTs differ and stay in each port.
 */
#ifndef TG_STM32_H
#define TG_STM32_H

#include <stddef.h>
#include <stdint.h>

#include "tg_cortexm.h"

/* RCC, "RCC registers" (base 0x40023800). */
#define TG_RCC_BASE 0x40023800u
#define TG_RCC_CR TG_REG32(TG_RCC_BASE + 0x00u)
#define TG_RCC_PLLCFGR TG_REG32(TG_RCC_BASE + 0x04u)
#define TG_RCC_CFGR TG_REG32(TG_RCC_BASE + 0x08u)
#define TG_RCC_AHB1ENR TG_REG32(TG_RCC_BASE + 0x30u)
#define TG_RCC_APB1ENR TG_REG32(TG_RCC_BASE + 0x40u)
#define TG_RCC_APB1ENR_PWR (1u << 28)
#define TG_RCC_CR_HSION (1u << 0)
#define TG_RCC_CR_HSIRDY (1u << 1)
#define TG_RCC_CR_HSEON (1u << 16)
#define TG_RCC_CR_HSERDY (1u << 17)
#define TG_RCC_CR_HSEBYP (1u << 18)
#define TG_RCC_CR_PLLON (1u << 24)
#define TG_RCC_CR_PLLRDY (1u << 25)
#define TG_RCC_PLLCFGR_SRC_HSE (1u << 22)
#define TG_RCC_PLLCFGR_PLLN_POS 6u
#define TG_RCC_PLLCFGR_PLLQ_POS 24u
#define TG_RCC_PLLCFGR_PLLR_POS 28u /* a reserved field on the F74x */
#define TG_RCC_CFGR_SW_MASK 0x3u
#define TG_RCC_CFGR_SW_PLL 0x2u
#define TG_RCC_CFGR_SWS_PLL (0x2u << 2)
#define TG_RCC_CFGR_PRESCALERS ((0xFu << 4) | (0x7u << 10) | (0x7u << 13))
/* CFGR bus prescalers: AHB = SYSCLK, APB1 = SYSCLK / 4, APB2 = SYSCLK / 2. */
#define TG_RCC_CFGR_AHB1_APB4_APB2 ((0x0u << 4) | (0x5u << 10) | (0x4u << 13))
#define TG_STM32_APB1_DIVIDER 4u

/* PWR, "PWR registers" (base 0x40007000): PWR_CR(1) and PWR_CSR(1). */
#define TG_PWR_CR TG_REG32(0x40007000u)
#define TG_PWR_CSR TG_REG32(0x40007004u)
#define TG_PWR_CR_VOS_SCALE1 (0x3u << 14)
#define TG_PWR_CR_ODEN (1u << 16)
#define TG_PWR_CR_ODSWEN (1u << 17)
#define TG_PWR_CSR_ODRDY (1u << 16)
#define TG_PWR_CSR_ODSWRDY (1u << 17)

/* FLASH_ACR ("Flash interface registers" / "FLASH registers", base 0x40023C00). */
#define TG_FLASH_ACR TG_REG32(0x40023C00u)
#define TG_FLASH_ACR_LATENCY_MASK 0xFu
#define TG_FLASH_ACR_PRFTEN (1u << 8)

/* "GPIO registers" (port A at 0x40020000, one port every 0x400 bytes). */
#define TG_GPIOA_BASE 0x40020000u
#define TG_GPIOD_BASE 0x40020C00u
#define TG_GPIO_AF7_USART 7u
/* GPIO register offsets and fields. */
#define TG_GPIO_MODER 0x00u
#define TG_GPIO_OSPEEDR 0x08u
#define TG_GPIO_PUPDR 0x0Cu
#define TG_GPIO_AFRL 0x20u
#define TG_GPIO_BSRR 0x18u
#define TG_GPIO_MODE_OUTPUT 0x1u
#define TG_GPIO_PORT_STRIDE 0x400u
#define TG_GPIO_MODE_AF 0x2u
#define TG_GPIO_SPEED_HIGH 0x2u
#define TG_GPIO_PULL_UP 0x1u

#define TG_STM32_HSI_HZ 16000000u

typedef struct {
    uint32_t sysclk_hz; /* what the PLL makes: VCO (2 MHz * pll_n) / 2 */
    uint32_t pll_n;     /* VCO multiplier, from a 2 MHz PLL input */
    uint32_t pll_q;     /* 48 MHz-domain divider (USB/SDMMC/RNG), <= 48 MHz */
    uint32_t flash_acr; /* FLASH_ACR: the wait states for sysclk_hz and the accelerator enables */
} tg_stm32_clock_t;

/*
 * Bring the system clock to cfg->sysclk_hz from the 8 MHz HSE bypass
 * clock that the Nucleo's ST-LINK feeds (or the 16 MHz HSI when HSE does
 * not start), with power over-drive, the flash wait states and the bus
 * prescalers above. Returns the clock reached: cfg->sysclk_hz, or
 * TG_STM32_HSI_HZ when the PLL, the over-drive or the wait states fail.
 */
uint32_t tg_stm32_clock_init(const tg_stm32_clock_t *cfg);

/* Put `pin` of the GPIO port at `gpio_base` in alternate function `af`, high speed, pull-up. */
void tg_stm32_gpio_af(uint32_t gpio_base, uint32_t pin, uint32_t af);

/* GPIO port `port` (0 = A, 1 = B, ...) pin `pin` as a push-pull output, high speed, driven high first. */
void tg_stm32_gpio_output(uint32_t port, uint32_t pin);

/* Drive an output pin high (high != 0) or low. */
void tg_stm32_gpio_write(uint32_t port, uint32_t pin, int high);

/*
 * A polled STM32 USART, by the addresses of its registers: the F7's
 * (ISR, RDR, TDR, ICR) and the F4's (SR, DR) keep the RXNE, TC and TXE
 * flags at the same bits. The F7 needs its overrun flag cleared through
 * ICR to go on receiving; the F4 clears it by reading SR then DR.
 */
typedef struct {
    uint32_t status;    /* ISR (F7) / SR (F4) */
    uint32_t rx;        /* RDR (F7) / DR (F4) */
    uint32_t tx;        /* TDR (F7) / DR (F4) */
    uint32_t ore_clear; /* ICR (F7), 0 when reading the data clears an overrun (F4) */
} tg_stm32_usart_t;

#define TG_USART_STATUS_ORE (1u << 3)
#define TG_USART_STATUS_RXNE (1u << 5)
#define TG_USART_STATUS_TC (1u << 6)
#define TG_USART_STATUS_TXE (1u << 7)

/* Next received byte, or -1 after timeout_ms (0: wait forever) at clock_hz. */
int tg_stm32_usart_getc(const tg_stm32_usart_t *u, uint32_t timeout_ms, uint32_t clock_hz);
void tg_stm32_usart_write(const tg_stm32_usart_t *u, const char *data, size_t len);
/* Wait (boundedly) until the last byte has left the shift register. */
void tg_stm32_usart_flush(const tg_stm32_usart_t *u);

#endif /* TG_STM32_H */
