/*
 * Board support for the STM32N6570-DK Discovery kit (STM32N657X0, Cortex-M55
 * with Helium).
 *
 * The firmware is the execute-in-place application of ST's FSBL
 * (STM32CubeN6, Template_FSBL_XIP): the boot ROM loads the FSBL into
 * AXISRAM2, the FSBL maps the external NOR on XSPI2 at 0x70000000 and jumps
 * to this image's vector table at 0x70100400 in the Secure state. Registers
 * and sequences follow the reference manual RM0486 (the comments name its
 * sections) and ST's CMSIS device header stm32n657xx.h; the Secure register
 * aliases are used. Written against them; not yet run on a board: no board
 * is attached where tinygen is developed.
 *
 * - Clock: the CPU and the buses go to the HSI (64 MHz) while PLL1 is
 *   reprogrammed: HSI / 4 * 100 = 1600 MHz (post dividers 1), then
 *   IC1 = PLL1 / 2 = 800 MHz for the CPU and IC2 = IC6 = IC11 = PLL1 / 4 =
 *   400 MHz for the system buses, AHB = 200 MHz, APB1/2/4/5 = 200 MHz. 800 MHz
 *   needs voltage scaling high (PWR VOSCR.VOS, "overdrive"), which also asks the
 *   kit's VDDCORE regulator for its overdrive voltage: where VOS does not
 *   become ready, or PLL1 does not lock, the CPU stays on the HSI and
 *   tg_port_clock_hz() says so.
 * - Caches: the Cortex-M55 L1 instruction and data caches (enabled unless
 *   the FSBL left them on) and the loop and branch info cache (CCR.LOB).
 * - Serial: USART1 on PE5 (TX) / PE6 (RX), alternate function 7, wired to
 *   the STLINK-V3EC virtual COM port; clocked by PCLK2 (USART1SEL's reset
 *   value), 8N1 at TG_BOARD_BAUD, polled (tg_stm32_usart.c: the N6's USART
 *   has the F7's ISR / ICR / RDR / TDR at the same offsets).
 * - Counter: DWT CYCCNT, core cycles at tg_port_clock_hz().
 * - Timestamp pin: none chosen for this board (no [energy] in its board
 *   file): a no-op.
 * - Exit: a system reset (through the boot ROM and the FSBL again).
 */
#include <stddef.h>
#include <stdint.h>

#include "tg_board.h"
#include "tg_cortexm.h"
#include "tg_port.h"
#include "tg_stm32.h"

/* "RCC registers" (Secure base 0x56028000). */
#define TG_N6_RCC_BASE 0x56028000u
#define TG_N6_RCC(off) TG_REG32(TG_N6_RCC_BASE + (off))
#define TG_N6_RCC_CR TG_N6_RCC(0x000u)
#define TG_N6_RCC_SR TG_N6_RCC(0x004u)
#define TG_N6_RCC_CFGR1 TG_N6_RCC(0x020u)
#define TG_N6_RCC_CFGR2 TG_N6_RCC(0x024u)
#define TG_N6_RCC_PLL1CFGR1 TG_N6_RCC(0x080u)
#define TG_N6_RCC_PLL1CFGR3 TG_N6_RCC(0x088u)
#define TG_N6_RCC_IC1CFGR TG_N6_RCC(0x0C4u)
#define TG_N6_RCC_IC2CFGR TG_N6_RCC(0x0C8u)
#define TG_N6_RCC_IC6CFGR TG_N6_RCC(0x0D8u)
#define TG_N6_RCC_IC11CFGR TG_N6_RCC(0x0ECu)
#define TG_N6_RCC_AHB4ENR TG_N6_RCC(0x25Cu)
#define TG_N6_RCC_APB2ENR TG_N6_RCC(0x26Cu)
#define TG_N6_RCC_DIVENSR TG_N6_RCC(0xA40u)  /* set register of DIVENR */
#define TG_N6_RCC_AHB4ENSR TG_N6_RCC(0xA5Cu) /* set register of AHB4ENR */
#define TG_N6_RCC_APB2ENSR TG_N6_RCC(0xA6Cu) /* set register of APB2ENR */
#define TG_N6_RCC_DIVENCR TG_N6_RCC(0x1240u) /* clear register of DIVENR */

#define TG_N6_RCC_CR_PLL1ON (1u << 8)
#define TG_N6_RCC_SR_PLL1RDY (1u << 8)
#define TG_N6_CFGR1_CPUSW_SHIFT 16u
#define TG_N6_CFGR1_CPUSWS_SHIFT 20u
#define TG_N6_CFGR1_SYSSW_SHIFT 24u
#define TG_N6_CFGR1_SYSSWS_SHIFT 28u
#define TG_N6_CFGR1_SW_MASK ((3u << TG_N6_CFGR1_CPUSW_SHIFT) | (3u << TG_N6_CFGR1_SYSSW_SHIFT))
#define TG_N6_CFGR1_SW_HSI 0u
#define TG_N6_CFGR1_SW_IC 3u /* CPU: IC1; system buses: IC2 / IC6 / IC11 */
/* CFGR2: HPRE (bits 22:20) = 1, AHB = sys_bus / 2; PPRE1/2/4/5 = 0, APB = AHB. */
#define TG_N6_CFGR2_PRESCALERS (1u << 20)
#define TG_N6_CFGR2_PRESCALER_MASK ((7u << 0) | (7u << 4) | (7u << 12) | (7u << 16) | (7u << 20))
/* PLL1CFGR1: PLL1SEL = HSI (0) in bits 30:28, DIVM in 25:20, DIVN in 19:8, bypass off. */
#define TG_N6_PLL1CFGR1 ((0u << 28) | (4u << 20) | (100u << 8))
/* PLL1CFGR3: post dividers PDIV1 = PDIV2 = 1, their output on, spread spectrum off and held. */
#define TG_N6_PLL1CFGR3 ((1u << 27) | (1u << 24) | (1u << 30) | (1u << 2) | (1u << 0))
/* ICxCFGR: ICxSEL = PLL1 (0) in bits 29:28, ICxINT = divider - 1 in bits 23:16. */
#define TG_N6_IC(divider) (((divider) - 1u) << 16)
#define TG_N6_DIVEN_IC1_2_6_11 ((1u << 0) | (1u << 1) | (1u << 5) | (1u << 10))
#define TG_N6_AHB4ENR_GPIOE (1u << 4)
#define TG_N6_AHB4ENR_PWR (1u << 18)
#define TG_N6_APB2ENR_USART1 (1u << 4)

/* "PWR registers" (Secure base 0x56024800): VOSCR, VOS high and its ready flag. */
#define TG_N6_PWR_VOSCR TG_REG32(0x56024800u + 0x020u)
#define TG_N6_PWR_VOSCR_VOS (1u << 0)
#define TG_N6_PWR_VOSCR_VOSRDY (1u << 1)

#define TG_N6_CPU_HZ 800000000u
#define TG_N6_PCLK2_HZ 200000000u
#define TG_N6_HSI_HZ 64000000u

/* GPIO port E (Secure 0x56021000) and USART1 (Secure 0x52001000). */
#define TG_N6_GPIOE_BASE 0x56021000u
#define TG_N6_USART1_BASE 0x52001000u
#define TG_N6_USART_CR1 TG_REG32(TG_N6_USART1_BASE + 0x00u)
#define TG_N6_USART_BRR TG_REG32(TG_N6_USART1_BASE + 0x0Cu)
#define TG_USART_CR1_UE (1u << 0)
#define TG_USART_CR1_RE (1u << 2)
#define TG_USART_CR1_TE (1u << 3)
#define TG_USART1_TX_PIN 5u /* PE5 */
#define TG_USART1_RX_PIN 6u /* PE6 */

#define TG_READY_POLLS 1000000u

static const tg_stm32_usart_t k_usart1 = {
    .status = TG_N6_USART1_BASE + 0x1Cu,    /* ISR */
    .rx = TG_N6_USART1_BASE + 0x24u,        /* RDR */
    .tx = TG_N6_USART1_BASE + 0x28u,        /* TDR */
    .ore_clear = TG_N6_USART1_BASE + 0x20u, /* ICR */
};

static uint32_t s_clock_hz = TG_N6_HSI_HZ;
static uint32_t s_pclk2_hz = TG_N6_HSI_HZ;
static const char *s_name = "stm32n657";

static int tg_n6_switch(uint32_t source)
{
    TG_N6_RCC_CFGR1 = (TG_N6_RCC_CFGR1 & ~TG_N6_CFGR1_SW_MASK)
                      | (source << TG_N6_CFGR1_CPUSW_SHIFT) | (source << TG_N6_CFGR1_SYSSW_SHIFT);
    uint32_t status = (source << TG_N6_CFGR1_CPUSWS_SHIFT) | (source << TG_N6_CFGR1_SYSSWS_SHIFT);
    for (uint32_t i = 0u; i < TG_READY_POLLS; i++) {
        uint32_t now = TG_N6_RCC_CFGR1 & ((3u << TG_N6_CFGR1_CPUSWS_SHIFT) | (3u << TG_N6_CFGR1_SYSSWS_SHIFT));
        if (now == status) {
            return 1;
        }
    }
    return 0;
}

/* "Clock configuration", "Voltage scaling": returns the CPU clock reached. */
static uint32_t tg_n6_clock_init(void)
{
    TG_N6_RCC_AHB4ENSR = TG_N6_AHB4ENR_PWR;
    (void)TG_N6_RCC_AHB4ENR;
    if (!tg_n6_switch(TG_N6_CFGR1_SW_HSI)) {     /* off PLL1 while it changes (the FSBL may run from it) */
        return 0u;
    }
    s_pclk2_hz = TG_N6_HSI_HZ;
    TG_N6_PWR_VOSCR |= TG_N6_PWR_VOSCR_VOS;
    if (!tg_wait_bits(&TG_N6_PWR_VOSCR, TG_N6_PWR_VOSCR_VOSRDY, TG_READY_POLLS)) {
        return TG_N6_HSI_HZ;
    }
    TG_N6_RCC_CR &= ~TG_N6_RCC_CR_PLL1ON;
    for (uint32_t i = 0u; i < TG_READY_POLLS && (TG_N6_RCC_SR & TG_N6_RCC_SR_PLL1RDY) != 0u; i++) {
    }
    TG_N6_RCC_PLL1CFGR1 = TG_N6_PLL1CFGR1;
    TG_N6_RCC_PLL1CFGR3 = TG_N6_PLL1CFGR3;
    TG_N6_RCC_CR |= TG_N6_RCC_CR_PLL1ON;
    if (!tg_wait_bits(&TG_N6_RCC_SR, TG_N6_RCC_SR_PLL1RDY, TG_READY_POLLS)) {
        return TG_N6_HSI_HZ;
    }
    /* The dividers change while stopped ("IC dividers"). */
    TG_N6_RCC_DIVENCR = TG_N6_DIVEN_IC1_2_6_11;
    TG_N6_RCC_IC1CFGR = TG_N6_IC(2u);
    TG_N6_RCC_IC2CFGR = TG_N6_IC(4u);
    TG_N6_RCC_IC6CFGR = TG_N6_IC(4u);
    TG_N6_RCC_IC11CFGR = TG_N6_IC(4u);
    TG_N6_RCC_DIVENSR = TG_N6_DIVEN_IC1_2_6_11;
    TG_N6_RCC_CFGR2 = (TG_N6_RCC_CFGR2 & ~TG_N6_CFGR2_PRESCALER_MASK) | TG_N6_CFGR2_PRESCALERS;
    if (!tg_n6_switch(TG_N6_CFGR1_SW_IC)) {
        (void)tg_n6_switch(TG_N6_CFGR1_SW_HSI);
        TG_N6_RCC_CFGR2 &= ~TG_N6_CFGR2_PRESCALER_MASK;
        return TG_N6_HSI_HZ;
    }
    s_pclk2_hz = TG_N6_PCLK2_HZ;
    return TG_N6_CPU_HZ;
}

/* USART1 on PE5/PE6, 8N1 at TG_BOARD_BAUD: BRR = PCLK2 / baud, rounded (OVER8 = 0, PRESC = 1). */
static void tg_usart_init(void)
{
    TG_N6_RCC_AHB4ENSR = TG_N6_AHB4ENR_GPIOE;
    TG_N6_RCC_APB2ENSR = TG_N6_APB2ENR_USART1;
    (void)TG_N6_RCC_APB2ENR; /* the enable takes effect after a read-back */
    tg_stm32_gpio_af(TG_N6_GPIOE_BASE, TG_USART1_TX_PIN, TG_GPIO_AF7_USART);
    tg_stm32_gpio_af(TG_N6_GPIOE_BASE, TG_USART1_RX_PIN, TG_GPIO_AF7_USART);
    TG_N6_USART_CR1 = 0u;
    TG_N6_USART_BRR = (s_pclk2_hz + TG_BOARD_BAUD / 2u) / TG_BOARD_BAUD;
    TG_N6_USART_CR1 = TG_USART_CR1_UE | TG_USART_CR1_TE | TG_USART_CR1_RE;
}

void tg_port_init(void)
{
    uint32_t hz = tg_n6_clock_init();
    s_clock_hz = hz != 0u ? hz : TG_N6_HSI_HZ;
    if ((TG_SCB_CCR & (TG_CCR_IC | TG_CCR_DC)) == 0u) {   /* invalidating a live data cache would lose writes */
        tg_cortexm7_enable_caches();
    }
    TG_SCB_CCR |= TG_CCR_LOB;
    tg_dsb();
    tg_isb();
    tg_usart_init();
    tg_dwt_init();
    s_name = hz == TG_N6_CPU_HZ ? "stm32n657 800MHz"
             : hz == 0u ? "stm32n657 (clock switch to HSI failed)" : "stm32n657 64MHz (overdrive or PLL1 did not start)";
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
