/*
 * STM32H747 registers of the Portenta H7 / Nicla Vision port (tg_port_stm32h7.c), from the
 * reference manual RM0399 (STM32H745/755 and STM32H747/757); the comments name its sections.
 * No ST device header for the H7 is among the third-party trees tinygen's tests use, so
 * tests/firmware/test_port_registers.py cannot check these values against stm32h747xx.h as it
 * does the F4 / F7 ports': they are written from the manual and not yet run on a board.
 */
#ifndef TG_STM32H7_H
#define TG_STM32H7_H

#include "tg_cortexm.h"

/* "RCC registers" (base 0x58024400). The ENR registers at 0x0D4..0x0F4 act on the core that
 * accesses them (here the Cortex-M7). */
#define TG_H7_RCC_BASE 0x58024400u
#define TG_H7_RCC_CR TG_REG32(TG_H7_RCC_BASE + 0x000u)
#define TG_H7_RCC_CFGR TG_REG32(TG_H7_RCC_BASE + 0x010u)
#define TG_H7_RCC_D1CFGR TG_REG32(TG_H7_RCC_BASE + 0x018u)
#define TG_H7_RCC_D2CFGR TG_REG32(TG_H7_RCC_BASE + 0x01Cu)
#define TG_H7_RCC_D3CFGR TG_REG32(TG_H7_RCC_BASE + 0x020u)
#define TG_H7_RCC_PLLCKSELR TG_REG32(TG_H7_RCC_BASE + 0x028u)
#define TG_H7_RCC_PLLCFGR TG_REG32(TG_H7_RCC_BASE + 0x02Cu)
#define TG_H7_RCC_PLL1DIVR TG_REG32(TG_H7_RCC_BASE + 0x030u)
#define TG_H7_RCC_AHB4ENR TG_REG32(TG_H7_RCC_BASE + 0x0E0u)
#define TG_H7_RCC_APB2ENR TG_REG32(TG_H7_RCC_BASE + 0x0F0u)
#define TG_H7_RCC_APB4ENR TG_REG32(TG_H7_RCC_BASE + 0x0F4u)
#define TG_H7_RCC_CR_HSION (1u << 0)
#define TG_H7_RCC_CR_HSIRDY (1u << 2)
#define TG_H7_RCC_CR_HSIDIV_MASK (3u << 3)   /* 0: HSI at 64 MHz */
#define TG_H7_RCC_CR_PLL1ON (1u << 24)
#define TG_H7_RCC_CR_PLL1RDY (1u << 25)
#define TG_H7_RCC_CFGR_SW_MASK 0x7u
#define TG_H7_RCC_CFGR_SW_PLL1 0x3u
#define TG_H7_RCC_CFGR_SWS_PLL1 (0x3u << 3)
#define TG_H7_RCC_CFGR_SWS_MASK (0x7u << 3)
/* D1CFGR: D1CPRE /1 (CPU 480 MHz), HPRE /2 (AXI and AHB 240 MHz), D1PPRE /2 (APB3 120 MHz). */
#define TG_H7_RCC_D1CFGR_480MHZ ((0x0u << 8) | (0x4u << 4) | 0x8u)
/* D2CFGR: D2PPRE1 /2, D2PPRE2 /2 (APB1, APB2 120 MHz); D3CFGR: D3PPRE /2 (APB4 120 MHz). */
#define TG_H7_RCC_D2CFGR_480MHZ ((0x4u << 8) | (0x4u << 4))
#define TG_H7_RCC_D3CFGR_480MHZ (0x4u << 4)
#define TG_H7_APB2_DIVIDER 4u                  /* CPU clock / (HPRE 2 * D2PPRE2 2) */
/* PLLCKSELR: source HSI (0), DIVM1 in bits 9:4. PLLCFGR: PLL1 input range 8-16 MHz (PLL1RGE 3),
 * wide VCO (PLL1VCOSEL 0), integer mode, DIVP1 output on. PLL1DIVR: N - 1 in bits 8:0, P - 1 in
 * bits 15:9, Q - 1 in bits 22:16, R - 1 in bits 30:24. */
#define TG_H7_PLLSRC_HSI 0x0u
#define TG_H7_PLL_DIVM1_POS 4u
#define TG_H7_PLL_DIVM1_MASK (0x3Fu << 4)
#define TG_H7_PLLCFGR_PLL1_MASK 0x0007000Fu    /* PLL1FRACEN, PLL1VCOSEL, PLL1RGE, DIVP1EN..DIVR1EN */
#define TG_H7_PLLCFGR_PLL1RGE_8_16MHZ (0x3u << 2)
#define TG_H7_PLLCFGR_DIVP1EN (1u << 16)
#define TG_H7_PLL1DIVR(n, p, q, r) (((n) - 1u) | (((p) - 1u) << 9) | (((q) - 1u) << 16) | (((r) - 1u) << 24))
#define TG_H7_RCC_AHB4ENR_GPIOA (1u << 0)
#define TG_H7_RCC_APB2ENR_USART1 (1u << 4)
#define TG_H7_RCC_APB4ENR_SYSCFG (1u << 1)

/* "PWR registers" (base 0x58024800): the supply configuration and the core voltage scale. */
#define TG_H7_PWR_BASE 0x58024800u
#define TG_H7_PWR_CSR1 TG_REG32(TG_H7_PWR_BASE + 0x04u)
#define TG_H7_PWR_CR3 TG_REG32(TG_H7_PWR_BASE + 0x0Cu)
#define TG_H7_PWR_D3CR TG_REG32(TG_H7_PWR_BASE + 0x18u)
#define TG_H7_PWR_CSR1_ACTVOSRDY (1u << 13)
#define TG_H7_PWR_CR3_LDOEN (1u << 1)
#define TG_H7_PWR_D3CR_VOS_MASK (0x3u << 14)
#define TG_H7_PWR_D3CR_VOS1 (0x3u << 14)
#define TG_H7_PWR_D3CR_VOSRDY (1u << 13)
/* "SYSCFG registers" (base 0x58000400): SYSCFG_PWRCR.ODEN takes VOS1 to VOS0 ("Voltage scaling"). */
#define TG_H7_SYSCFG_PWRCR TG_REG32(0x58000400u + 0x2Cu)
#define TG_H7_SYSCFG_PWRCR_ODEN (1u << 0)

/* "FLASH registers" (base 0x52002000): FLASH_ACR LATENCY 4 and WRHIGHFREQ 2 for a 240 MHz AXI
 * clock at VOS0 ("FLASH recommended number of wait states and programming delay"). */
#define TG_H7_FLASH_ACR TG_REG32(0x52002000u)
#define TG_H7_FLASH_ACR_MASK 0x3Fu
#define TG_H7_FLASH_ACR_480MHZ ((0x2u << 4) | 0x4u)

/* "GPIO registers": port A at 0x58020000 (the F4 / F7 layout, tg_stm32_gpio_af). */
#define TG_H7_GPIOA_BASE 0x58020000u
#define TG_H7_GPIO_AF7_USART1 7u

/* "USART registers": USART1 (base 0x40011000), the F7's register layout; its kernel clock is
 * rcc_pclk2 after reset (RCC_D2CCIP2R.USART16SEL = 0). */
#define TG_H7_USART1_BASE 0x40011000u
#define TG_H7_USART_CR1 TG_REG32(TG_H7_USART1_BASE + 0x00u)
#define TG_H7_USART_BRR TG_REG32(TG_H7_USART1_BASE + 0x0Cu)
#define TG_H7_USART_ISR_OFFSET 0x1Cu
#define TG_H7_USART_ICR_OFFSET 0x20u
#define TG_H7_USART_RDR_OFFSET 0x24u
#define TG_H7_USART_TDR_OFFSET 0x28u
#define TG_H7_USART_CR1_UE (1u << 0)
#define TG_H7_USART_CR1_RE (1u << 2)
#define TG_H7_USART_CR1_TE (1u << 3)

#define TG_H7_HSI_HZ 64000000u

#endif /* TG_STM32H7_H */
