/*
 * STM32F7 registers of the Nucleo-144 F746ZG / F767ZI port (tg_port_stm32f7.c)
 * that the F4 does not share with it: the flash accelerator, the clock enables
 * of the serial port's GPIO and USART, the F7's USART and the device ID.
 * RM0385 (F74x/F75x) and RM0410 (F76x/F77x) place them alike; the comments
 * name the sections. tests/firmware/test_port_registers.py checks each value
 * against ST's stm32f746xx.h and stm32f767xx.h.
 */
#ifndef TG_STM32F7_H
#define TG_STM32F7_H

#include "tg_cortexm.h"

/* FLASH_ACR: 7 wait states for 210-216 MHz at 2.7-3.6 V ("Read access latency"),
 * ART accelerator (ARTEN) and prefetch on. */
#define TG_FLASH_ACR_ARTEN (1u << 9)
#define TG_FLASH_LATENCY_216MHZ 7u

#define TG_RCC_AHB1ENR_GPIOD (1u << 3)
#define TG_RCC_APB1ENR_USART3 (1u << 18)

/* "USART registers": USART3 (base 0x40004800). ICR's ORECF is ISR's ORE bit. */
#define TG_USART3_BASE 0x40004800u
#define TG_USART_CR1_OFFSET 0x00u
#define TG_USART_BRR_OFFSET 0x0Cu
#define TG_USART_ISR_OFFSET 0x1Cu
#define TG_USART_ICR_OFFSET 0x20u
#define TG_USART_RDR_OFFSET 0x24u
#define TG_USART_TDR_OFFSET 0x28u
#define TG_USART_CR1 TG_REG32(TG_USART3_BASE + TG_USART_CR1_OFFSET)
#define TG_USART_BRR TG_REG32(TG_USART3_BASE + TG_USART_BRR_OFFSET)
#define TG_USART_CR1_UE (1u << 0)
#define TG_USART_CR1_RE (1u << 2)
#define TG_USART_CR1_TE (1u << 3)

/* DBGMCU_IDCODE ("Debug support", "MCU device ID code"): DEV_ID 0x451 = F76x/F77x. */
#define TG_DBGMCU_IDCODE TG_REG32(0xE0042000u)
#define TG_DBGMCU_IDCODE_DEV_ID_MASK 0xFFFu
#define TG_DEV_ID_F76X 0x451u

#endif /* TG_STM32F7_H */
