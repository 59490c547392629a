/*
 * Semihosting exit, for the QEMU stand-ins only (run with
 * -semihosting-config enable=on,target=native). On a real board without a
 * debugger, BKPT escalates to HardFault: the STM32 ports never call this.
 *
 * SYS_EXIT_EXTENDED (operation 0x20) takes a pointer to the pair
 * {ADP_Stopped_ApplicationExit, code}; QEMU then exits with status `code`
 * (Arm "Semihosting for AArch32 and AArch64", SYS_EXIT_EXTENDED).
 */
#include <stdint.h>

#include "tg_cortexm.h"

#define TG_SEMIHOST_SYS_EXIT_EXTENDED 0x20u
#define TG_ADP_STOPPED_APPLICATION_EXIT 0x20026u

void tg_semihost_exit(int code)
{
    uint32_t block[2] = {TG_ADP_STOPPED_APPLICATION_EXIT, (uint32_t)code};
    register uint32_t r0 __asm("r0") = TG_SEMIHOST_SYS_EXIT_EXTENDED;
    register uint32_t *r1 __asm("r1") = block;
    __asm volatile("bkpt 0xAB" : "+r"(r0) : "r"(r1) : "memory");
    tg_fault_loop();
}
