/*
 * Polled STM32 USART receive and transmit, shared by the STM32F4 and F7
 * ports (see tg_stm32.h). Each port sets its USART up (clocks, pins, baud
 * rate) and passes the addresses of its registers.
 */
#include <stddef.h>
#include <stdint.h>

#include "tg_cortexm.h"
#include "tg_stm32.h"

/* One byte at 9600 baud (the EEMBC EnergyRunner's rate, the slowest used) is under 230 k cycles at 216 MHz. */
#define TG_USART_TC_POLLS 1000000u

int tg_stm32_usart_getc(const tg_stm32_usart_t *u, uint32_t timeout_ms, uint32_t clock_hz)
{
    tg_deadline_t deadline;
    tg_deadline_start(&deadline, timeout_ms, clock_hz);
    do {
        uint32_t status = TG_REG32(u->status);
        if ((status & TG_USART_STATUS_RXNE) != 0u) {
            return (int)(TG_REG32(u->rx) & 0xFFu);
        }
        if ((status & TG_USART_STATUS_ORE) != 0u && u->ore_clear != 0u) {
            TG_REG32(u->ore_clear) = TG_USART_STATUS_ORE; /* a byte was lost; go on receiving */
        }
    } while (!tg_deadline_passed(&deadline));
    return -1;
}

void tg_stm32_usart_write(const tg_stm32_usart_t *u, const char *data, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        while ((TG_REG32(u->status) & TG_USART_STATUS_TXE) == 0u) {
        }
        TG_REG32(u->tx) = (uint8_t)data[i];
    }
}

void tg_stm32_usart_flush(const tg_stm32_usart_t *u)
{
    (void)tg_wait_bits(&TG_REG32(u->status), TG_USART_STATUS_TC, TG_USART_TC_POLLS);
}
