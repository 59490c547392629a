/*
 * Board support for the STM32H747's Cortex-M7 on the Arduino Portenta H7 and Nicla Vision.
 * Both boards bring out USART1 on PA9 (TX) / PA10 (RX), the Arduino core's Serial1: one port
 * serves both.
 *
 * Registers and sequences follow the reference manual RM0399 (tg_stm32h7.h names the
 * sections). Written against it; not yet run on a board: no board is attached where tinygen
 * is developed, and no ST H7 header is at hand to check the register values against.
 *
 * - Start: the Arduino bootloader (first 256 KB of flash) starts the image at 0x08040000
 *   with its own clock set up; Reset_Handler points VTOR at this image's vector table and
 *   the port stops what the bootloader may have left running (SysTick, NVIC interrupts).
 *   The caches are turned on here only if the bootloader left the D-cache off.
 * - Power: PWR_CR3 (the supply configuration) can be written once after power-on and the
 *   bootloader has written it (LDO on the Portenta, per its SystemClock_Config): this port
 *   leaves it as it is. VOS0 needs the LDO: with it, VOS1 then over-drive (SYSCFG_PWRCR.ODEN)
 *   gives VOS0; without it, the part stays on HSI.
 * - Clock: HSI 64 MHz -> PLL1 (DIVM1 4: 16 MHz in, DIVN1 60: VCO 960 MHz, DIVP1 2) = 480 MHz
 *   for the CPU; AXI / AHB 240 MHz, APB1..4 120 MHz; FLASH_ACR 4 wait states, WRHIGHFREQ 2;
 *   then the Cortex-M7 I- and D-caches on. If the voltage, the flash latency or the PLL does
 *   not come up the CPU stays on HSI 64 MHz and tg_port_clock_hz() says so.
 * - Serial: USART1 on PA9 (TX) / PA10 (RX), alternate function 7, 8N1 at TG_BOARD_BAUD
 *   from rcc_pclk2 (120 MHz), polled (tg_stm32_usart.c): wire a 3.3 V USB-serial adapter.
 *   The board's USB (the Arduino core's Serial, USB CDC) is not driven.
 * - Counter: DWT CYCCNT, core cycles at tg_port_clock_hz().
 * - Timestamp pin: none chosen (no [energy] in the board files): a no-op.
 * - Exit: a system reset, back through the bootloader.
 */
#include <stddef.h>
#include <stdint.h>

#include "tg_board.h"
#include "tg_cortexm.h"
#include "tg_port.h"
#include "tg_stm32.h"
#include "tg_stm32h7.h"

#define TG_H7_SYSCLK_HZ 480000000u
#define TG_H7_PLL_DIVM 4u  /* 64 MHz / 4 = 16 MHz PLL input */
#define TG_H7_PLL_DIVN 60u /* VCO 960 MHz */
#define TG_H7_PLL_DIVP 2u  /* 480 MHz */
#define TG_H7_PLL_DIVQ 4u  /* 240 MHz, output off */
#define TG_H7_PLL_DIVR 4u  /* 240 MHz, output off */
#define TG_H7_READY_POLLS 1000000u
#define TG_USART1_TX_PIN 9u  /* PA9 */
#define TG_USART1_RX_PIN 10u /* PA10 */

static const tg_stm32_usart_t k_usart1 = {
    .status = TG_H7_USART1_BASE + TG_H7_USART_ISR_OFFSET,
    .rx = TG_H7_USART1_BASE + TG_H7_USART_RDR_OFFSET,
    .tx = TG_H7_USART1_BASE + TG_H7_USART_TDR_OFFSET,
    .ore_clear = TG_H7_USART1_BASE + TG_H7_USART_ICR_OFFSET, /* ICR's ORECF is ISR's ORE bit */
};

static uint32_t s_clock_hz = TG_H7_HSI_HZ;
static const char *s_name = "stm32h747";

/* VOS1, then the over-drive to VOS0 ("Voltage scaling"): 1 when VOS0 is reached. */
static int tg_h7_vos0(void)
{
    if ((TG_H7_PWR_CR3 & TG_H7_PWR_CR3_LDOEN) == 0u) {
        return 0; /* VOS0 needs the LDO; the supply configuration is the bootloader's to choose */
    }
    if (!tg_wait_bits(&TG_H7_PWR_CSR1, TG_H7_PWR_CSR1_ACTVOSRDY, TG_H7_READY_POLLS)) {
        return 0;
    }
    TG_H7_PWR_D3CR = (TG_H7_PWR_D3CR & ~TG_H7_PWR_D3CR_VOS_MASK) | TG_H7_PWR_D3CR_VOS1;
    if (!tg_wait_bits(&TG_H7_PWR_D3CR, TG_H7_PWR_D3CR_VOSRDY, TG_H7_READY_POLLS)) {
        return 0;
    }
    TG_H7_RCC_APB4ENR |= TG_H7_RCC_APB4ENR_SYSCFG;
    (void)TG_H7_RCC_APB4ENR; /* the enable takes effect after a read-back */
    TG_H7_SYSCFG_PWRCR |= TG_H7_SYSCFG_PWRCR_ODEN;
    return tg_wait_bits(&TG_H7_PWR_D3CR, TG_H7_PWR_D3CR_VOSRDY, TG_H7_READY_POLLS);
}

/* The CPU on HSI 64 MHz, PLL1 off: where the clock change starts (the bootloader may have left PLL1 on). */
static int tg_h7_to_hsi(void)
{
    TG_H7_RCC_CR = (TG_H7_RCC_CR & ~TG_H7_RCC_CR_HSIDIV_MASK) | TG_H7_RCC_CR_HSION;
    if (!tg_wait_bits(&TG_H7_RCC_CR, TG_H7_RCC_CR_HSIRDY, TG_H7_READY_POLLS)) {
        return 0;
    }
    TG_H7_RCC_CFGR &= ~TG_H7_RCC_CFGR_SW_MASK;
    for (uint32_t i = 0u; (TG_H7_RCC_CFGR & TG_H7_RCC_CFGR_SWS_MASK) != 0u; i++) {
        if (i == TG_H7_READY_POLLS) {
            return 0;
        }
    }
    TG_H7_RCC_CR &= ~TG_H7_RCC_CR_PLL1ON;
    for (uint32_t i = 0u; (TG_H7_RCC_CR & TG_H7_RCC_CR_PLL1RDY) != 0u; i++) {
        if (i == TG_H7_READY_POLLS) {
            return 0;
        }
    }
    return 1;
}

/* HSI -> PLL1 -> 480 MHz (see the file's comment): the clock reached. */
static uint32_t tg_h7_clock_init(void)
{
    if (!tg_h7_to_hsi()) {
        return TG_H7_HSI_HZ;
    }
    /* the bus prescalers first: on HSI as on PLL1 the USART's clock is the CPU's / 4 */
    TG_H7_RCC_D1CFGR = TG_H7_RCC_D1CFGR_480MHZ;
    TG_H7_RCC_D2CFGR = TG_H7_RCC_D2CFGR_480MHZ;
    TG_H7_RCC_D3CFGR = TG_H7_RCC_D3CFGR_480MHZ;
    if (!tg_h7_vos0()) {
        return TG_H7_HSI_HZ;
    }
    /* raise the flash latency before the clock ("FLASH read latency"), and check it took */
    TG_H7_FLASH_ACR = (TG_H7_FLASH_ACR & ~TG_H7_FLASH_ACR_MASK) | TG_H7_FLASH_ACR_480MHZ;
    if ((TG_H7_FLASH_ACR & TG_H7_FLASH_ACR_MASK) != TG_H7_FLASH_ACR_480MHZ) {
        return TG_H7_HSI_HZ;
    }
    TG_H7_RCC_PLLCKSELR = (TG_H7_RCC_PLLCKSELR & ~(TG_H7_PLL_DIVM1_MASK | 0x3u))
                          | (TG_H7_PLL_DIVM << TG_H7_PLL_DIVM1_POS) | TG_H7_PLLSRC_HSI;
    TG_H7_RCC_PLLCFGR = (TG_H7_RCC_PLLCFGR & ~TG_H7_PLLCFGR_PLL1_MASK)
                        | TG_H7_PLLCFGR_PLL1RGE_8_16MHZ | TG_H7_PLLCFGR_DIVP1EN;
    TG_H7_RCC_PLL1DIVR = TG_H7_PLL1DIVR(TG_H7_PLL_DIVN, TG_H7_PLL_DIVP, TG_H7_PLL_DIVQ, TG_H7_PLL_DIVR);
    TG_H7_RCC_CR |= TG_H7_RCC_CR_PLL1ON;
    if (!tg_wait_bits(&TG_H7_RCC_CR, TG_H7_RCC_CR_PLL1RDY, TG_H7_READY_POLLS)) {
        return TG_H7_HSI_HZ;
    }
    TG_H7_RCC_CFGR = (TG_H7_RCC_CFGR & ~TG_H7_RCC_CFGR_SW_MASK) | TG_H7_RCC_CFGR_SW_PLL1;
    if (!tg_wait_bits(&TG_H7_RCC_CFGR, TG_H7_RCC_CFGR_SWS_PLL1, TG_H7_READY_POLLS)) {
        return TG_H7_HSI_HZ;
    }
    return TG_H7_SYSCLK_HZ;
}

/* USART1 on PA9/PA10, 8N1 at TG_BOARD_BAUD, oversampling by 16: BRR = kernel clock / baud. */
static void tg_usart_init(void)
{
    TG_H7_RCC_AHB4ENR |= TG_H7_RCC_AHB4ENR_GPIOA;
    TG_H7_RCC_APB2ENR |= TG_H7_RCC_APB2ENR_USART1;
    (void)TG_H7_RCC_APB2ENR;
    tg_stm32_gpio_af(TG_H7_GPIOA_BASE, TG_USART1_TX_PIN, TG_H7_GPIO_AF7_USART1);
    tg_stm32_gpio_af(TG_H7_GPIOA_BASE, TG_USART1_RX_PIN, TG_H7_GPIO_AF7_USART1);
    uint32_t pclk2 = s_clock_hz / TG_H7_APB2_DIVIDER;
    TG_H7_USART_CR1 = 0u;
    TG_H7_USART_BRR = (pclk2 + TG_BOARD_BAUD / 2u) / TG_BOARD_BAUD;
    TG_H7_USART_CR1 = TG_H7_USART_CR1_UE | TG_H7_USART_CR1_TE | TG_H7_USART_CR1_RE;
}

void tg_port_init(void)
{
    tg_cortexm_quiesce();
    s_clock_hz = tg_h7_clock_init();
    tg_usart_init();
    /* a bootloader may hand over with the caches on: invalidating the D-cache then would drop
     * what Reset_Handler wrote (.data, .bss) before it reached the SRAM */
    if ((TG_SCB_CCR & TG_CCR_DC) == 0u) {
        tg_cortexm7_enable_caches();
    }
    tg_dwt_init();
    s_name = s_clock_hz == TG_H7_SYSCLK_HZ ? "stm32h747 480MHz" : "stm32h747 64MHz (VOS0 or PLL1 did not start)";
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
