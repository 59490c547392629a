/*
 * STM32F446 registers of the Nucleo-64 F446RE port (tg_port_stm32f4.c) that the
 * F7 does not share with it: the flash accelerator's caches, the clock enables
 * of the serial port's GPIO and USART, and the F4's USART. RM0390 names them;
 * the comments give its sections. tests/firmware/test_port_registers.py checks
 * each value against ST's stm32f446xx.h.
 */
#ifndef TG_STM32F4_H
#define TG_STM32F4_H

#include "tg_cortexm.h"

/* FLASH_ACR: 5 wait states for 150-180 MHz at 2.7-3.6 V ("Relation between CPU
 * clock frequency and Flash memory read time"); ICEN and DCEN are the ART
 * accelerator's caches. */
#define TG_FLASH_ACR_ICEN (1u << 9)
#define TG_FLASH_ACR_DCEN (1u << 10)
#define TG_FLASH_LATENCY_180MHZ 5u

#define TG_RCC_AHB1ENR_GPIOA (1u << 0)
#define TG_RCC_APB1ENR_USART2 (1u << 17)

/* "USART registers": USART2 (base 0x40004400). SR and DR replace the F7's ISR, RDR and TDR. */
#define TG_USART2_BASE 0x40004400u
#define TG_USART_SR_OFFSET 0x00u
#define TG_USART_DR_OFFSET 0x04u
#define TG_USART_BRR_OFFSET 0x08u
#define TG_USART_CR1_OFFSET 0x0Cu
#define TG_USART_BRR TG_REG32(TG_USART2_BASE + TG_USART_BRR_OFFSET)
#define TG_USART_CR1 TG_REG32(TG_USART2_BASE + TG_USART_CR1_OFFSET)
#define TG_USART_CR1_RE (1u << 2)
#define TG_USART_CR1_TE (1u << 3)
#define TG_USART_CR1_UE (1u << 13)

#endif /* TG_STM32F4_H */
