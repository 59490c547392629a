/*
 * Cortex-M start-up: the vector table and Reset_Handler.
 *
 * The linker script (templates/linker/cortex-m.ld.j2) places .isr_vector
 * first in FLASH and defines the symbols used here: __stack_top__ (initial
 * stack pointer), __data_load__ (where .data's initial values sit in flash),
 * __data_start__/__data_end__ (.data in RAM) and __bss_start__/__bss_end__.
 *
 * Only the 16 ARMv7-M system exceptions have entries: the ports poll their
 * peripherals and enable no interrupt.
 */
#include <stdint.h>

#include "tg_cortexm.h"

extern uint32_t __stack_top__;
extern const uint32_t __data_load__;
extern uint32_t __data_start__;
extern uint32_t __data_end__;
extern uint32_t __bss_start__;
extern uint32_t __bss_end__;

int main(void);

void Reset_Handler(void) __attribute__((noreturn));
void Fault_Handler(void);
void Default_Handler(void);

typedef void (*tg_vector_t)(void);

/* ARMv7-M ARM B1.5.3, "The vector table": SP_main, then exceptions 1..15. */
__attribute__((section(".isr_vector"), used))
const tg_vector_t tg_vector_table[16] = {
    (tg_vector_t)(uintptr_t)&__stack_top__,
    Reset_Handler,
    Default_Handler, /* 2 NMI */
    Fault_Handler,   /* 3 HardFault */
    Fault_Handler,   /* 4 MemManage */
    Fault_Handler,   /* 5 BusFault */
    Fault_Handler,   /* 6 UsageFault */
    0, 0, 0, 0,      /* 7-10 reserved */
    Default_Handler, /* 11 SVCall */
    Default_Handler, /* 12 DebugMonitor */
    0,               /* 13 reserved */
    Default_Handler, /* 14 PendSV */
    Default_Handler, /* 15 SysTick */
};

/*
 * Word-by-word copy and clear through volatile pointers, so that the
 * compiler cannot turn them into memcpy/memset calls before the C run-time
 * state they may depend on exists.
 */
static void tg_copy_words(volatile uint32_t *dst, const volatile uint32_t *src, const uint32_t *end)
{
    while (dst < end) {
        *dst++ = *src++;
    }
}

static void tg_zero_words(volatile uint32_t *dst, const uint32_t *end)
{
    while (dst < end) {
        *dst++ = 0u;
    }
}

void Reset_Handler(void)
{
#if defined(__ARM_FP) || defined(__ARM_FEATURE_MVE)
    /* CP10 and CP11 full access before the first floating-point or Helium (MVE)
     * instruction: MVE shares the FPU's registers and faults without it. */
    TG_SCB_CPACR |= TG_CPACR_CP10_CP11_FULL;
    tg_dsb();
    tg_isb();
#endif
    /* The table may sit at an alias of its link address (an STM32F7 boots
     * through the ITCM flash alias 0x00200000): point VTOR at the link address. */
    TG_SCB_VTOR = (uint32_t)(uintptr_t)tg_vector_table;
    tg_copy_words(&__data_start__, &__data_load__, &__data_end__);
    tg_zero_words(&__bss_start__, &__bss_end__);
    tg_dsb();
    (void)main();
    /* main() does not return on a device; if it does, stop where a debugger sees it. */
    tg_fault_loop();
}

/* A fault stops in a loop with its own name, easy to spot in a debugger. */
void tg_fault_loop(void)
{
    for (;;) {
        __asm volatile("nop");
    }
}

/* Weak: a port may report the fault first (the MPS2 stand-in exits QEMU). */
__attribute__((weak)) void tg_port_fault(void)
{
    tg_fault_loop();
}

void Fault_Handler(void)
{
    tg_port_fault();
    tg_fault_loop();
}

/* Any other exception: nothing enables one, so reaching here is a bug. */
void Default_Handler(void)
{
    tg_port_fault();
    tg_fault_loop();
}
