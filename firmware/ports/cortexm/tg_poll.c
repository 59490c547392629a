/*
 * Bounded polling of a peripheral's ready flags, for the clock and power
 * sequences of the STM32 ports: a flag that never rises (a missing crystal,
 * an emulator without the peripheral) makes the caller fall back instead of
 * hanging before the serial port is up.
 */
#include <stdint.h>

#include "tg_cortexm.h"

int tg_wait_bits(volatile uint32_t *reg, uint32_t mask, uint32_t polls)
{
    for (uint32_t i = 0u; i < polls; i++) {
        if ((*reg & mask) == mask) {
            return 1;
        }
    }
    return 0;
}
