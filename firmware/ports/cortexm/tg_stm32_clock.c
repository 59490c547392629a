/*
 * STM32F4 / STM32F7 clock tree and GPIO alternate functions (see tg_stm32.h).
 * Only the STM32 ports call these; the MPS2 stand-in never does.
 */
#include <stdint.h>

#include "tg_cortexm.h"
#include "tg_stm32.h"

/* PLL input 2 MHz: HSE 8 MHz / 4 or HSI 16 MHz / 8. P = 2 (field 00); R = 2, its
 * reset value (a reserved field on the F74x, where the reset value is the same). */
#define TG_PLL_M_HSE 4u
#define TG_PLL_M_HSI 8u
#define TG_PLL_R 2u
#define TG_PLLCFGR(m, cfg) ((m) | ((cfg)->pll_n << TG_RCC_PLLCFGR_PLLN_POS) | ((cfg)->pll_q << TG_RCC_PLLCFGR_PLLQ_POS) \
                          | (TG_PLL_R << TG_RCC_PLLCFGR_PLLR_POS))

/* Polls of a ready flag before giving up (HSE, PLL and over-drive settle in
 * well under a millisecond; a poll takes a few cycles). */
#define TG_READY_POLLS 1000000u

/* "HSE clock" in bypass mode, falling back to the HSI; programs the PLL for either. */
static void tg_pll_configure(const tg_stm32_clock_t *cfg)
{
    TG_RCC_CR |= TG_RCC_CR_HSEBYP;
    TG_RCC_CR |= TG_RCC_CR_HSEON;
    if (tg_wait_bits(&TG_RCC_CR, TG_RCC_CR_HSERDY, TG_READY_POLLS)) {
        TG_RCC_PLLCFGR = TG_PLLCFGR(TG_PLL_M_HSE, cfg) | TG_RCC_PLLCFGR_SRC_HSE;
        return;
    }
    TG_RCC_CR &= ~(TG_RCC_CR_HSEON | TG_RCC_CR_HSEBYP);
    TG_RCC_CR |= TG_RCC_CR_HSION;
    (void)tg_wait_bits(&TG_RCC_CR, TG_RCC_CR_HSIRDY, TG_READY_POLLS);
    TG_RCC_PLLCFGR = TG_PLLCFGR(TG_PLL_M_HSI, cfg);
}

/*
 * PWR, "Entering Over-drive mode": configure and start the PLL with the
 * system still on HSI, set ODEN and wait for ODRDY, set ODSWEN and wait for
 * ODSWRDY, then the flash wait states and bus prescalers, wait for the PLL
 * lock and switch the system clock to it. Voltage scale 1 is set first:
 * VOS may only change while the PLL is off.
 */
uint32_t tg_stm32_clock_init(const tg_stm32_clock_t *cfg)
{
    TG_RCC_APB1ENR |= TG_RCC_APB1ENR_PWR;
    (void)TG_RCC_APB1ENR; /* the enable takes effect after a read-back */
    TG_PWR_CR |= TG_PWR_CR_VOS_SCALE1;

    tg_pll_configure(cfg);
    TG_RCC_CR |= TG_RCC_CR_PLLON;

    TG_PWR_CR |= TG_PWR_CR_ODEN;
    int overdrive = tg_wait_bits(&TG_PWR_CSR, TG_PWR_CSR_ODRDY, TG_READY_POLLS);
    if (overdrive) {
        TG_PWR_CR |= TG_PWR_CR_ODSWEN;
        overdrive = tg_wait_bits(&TG_PWR_CSR, TG_PWR_CSR_ODSWRDY, TG_READY_POLLS);
    }

    TG_FLASH_ACR = cfg->flash_acr;
    int latency_set = (TG_FLASH_ACR & TG_FLASH_ACR_LATENCY_MASK) == (cfg->flash_acr & TG_FLASH_ACR_LATENCY_MASK);
    TG_RCC_CFGR = (TG_RCC_CFGR & ~TG_RCC_CFGR_PRESCALERS) | TG_RCC_CFGR_AHB1_APB4_APB2;

    /* The PLL clock needs the over-drive and the wait states; without them stay on HSI. */
    if (overdrive && latency_set && tg_wait_bits(&TG_RCC_CR, TG_RCC_CR_PLLRDY, TG_READY_POLLS)) {
        TG_RCC_CFGR = (TG_RCC_CFGR & ~TG_RCC_CFGR_SW_MASK) | TG_RCC_CFGR_SW_PLL;
        if (tg_wait_bits(&TG_RCC_CFGR, TG_RCC_CFGR_SWS_PLL, TG_READY_POLLS)) {
            return cfg->sysclk_hz;
        }
    }
    return TG_STM32_HSI_HZ;
}

void tg_stm32_gpio_af(uint32_t gpio_base, uint32_t pin, uint32_t af)
{
    const uint32_t two = 2u * pin;
    TG_REG32(gpio_base + TG_GPIO_MODER) = (TG_REG32(gpio_base + TG_GPIO_MODER) & ~(3u << two))
                                          | (TG_GPIO_MODE_AF << two);
    TG_REG32(gpio_base + TG_GPIO_OSPEEDR) = (TG_REG32(gpio_base + TG_GPIO_OSPEEDR) & ~(3u << two))
                                            | (TG_GPIO_SPEED_HIGH << two);
    TG_REG32(gpio_base + TG_GPIO_PUPDR) = (TG_REG32(gpio_base + TG_GPIO_PUPDR) & ~(3u << two))
                                          | (TG_GPIO_PULL_UP << two);
    /* AFRL holds pins 0-7, AFRH (the next word) pins 8-15, four bits each. */
    const uint32_t afr = gpio_base + TG_GPIO_AFRL + 4u * (pin / 8u);
    const uint32_t four = 4u * (pin % 8u);
    TG_REG32(afr) = (TG_REG32(afr) & ~(0xFu << four)) | (af << four);
}

static uint32_t tg_gpio_base(uint32_t port)
{
    return TG_GPIOA_BASE + port * TG_GPIO_PORT_STRIDE;
}

void tg_stm32_gpio_output(uint32_t port, uint32_t pin)
{
    TG_RCC_AHB1ENR |= 1u << port; /* "RCC AHB1 peripheral clock enable register": GPIOx EN at bit x */
    (void)TG_RCC_AHB1ENR;
    tg_stm32_gpio_write(port, pin, 1);
    const uint32_t base = tg_gpio_base(port);
    const uint32_t two = 2u * pin;
    TG_REG32(base + TG_GPIO_MODER) = (TG_REG32(base + TG_GPIO_MODER) & ~(3u << two)) | (TG_GPIO_MODE_OUTPUT << two);
    TG_REG32(base + TG_GPIO_OSPEEDR) = (TG_REG32(base + TG_GPIO_OSPEEDR) & ~(3u << two))
                                       | (TG_GPIO_SPEED_HIGH << two);
}

void tg_stm32_gpio_write(uint32_t port, uint32_t pin, int high)
{
    /* "GPIO port bit set/reset register": bit n sets pin n, bit n + 16 resets it, atomically */
    TG_REG32(tg_gpio_base(port) + TG_GPIO_BSRR) = high ? (1u << pin) : (1u << (pin + 16u));
}
