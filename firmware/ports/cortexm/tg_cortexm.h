/*
 * Cortex-M support shared by the STM32 ports and the MPS2 (QEMU) stand-in:
 * start-up, the DWT cycle counter, semihosting exit, system reset and the
 * Cortex-M7 caches. No vendor HAL and no CMSIS headers: the few core
 * registers used are named here, with the section of the ARMv7-M
 * Architecture Reference Manual (ARM DDI 0403E, "ARMv7-M ARM") that defines
 * them.
 */
#ifndef TG_CORTEXM_H
#define TG_CORTEXM_H

#include <stdint.h>

#define TG_REG32(addr) (*(volatile uint32_t *)(uintptr_t)(addr))

/* System Control Block (ARMv7-M ARM B3.2.2, "System control and ID registers"). */
#define TG_SCB_CPUID TG_REG32(0xE000ED00u)  /* B3.2.3: PARTNO in bits 15:4 */
#define TG_SCB_VTOR TG_REG32(0xE000ED08u)   /* B3.2.5: vector table offset */
#define TG_SCB_AIRCR TG_REG32(0xE000ED0Cu)  /* B3.2.6 */
#define TG_SCB_CCR TG_REG32(0xE000ED14u)    /* B3.2.8: configuration and control */
#define TG_SCB_CPACR TG_REG32(0xE000ED88u)  /* B3.2.20: coprocessor access control */
/* Cache identification and maintenance (ARMv7-M ARM B2.2, "Caches"; Cortex-M7 TRM). */
#define TG_SCB_CCSIDR TG_REG32(0xE000ED80u) /* cache size ID of the cache CSSELR selects */
#define TG_SCB_CSSELR TG_REG32(0xE000ED84u) /* cache size selection: 0 = L1 data cache */
#define TG_SCB_ICIALLU TG_REG32(0xE000EF50u) /* invalidate the whole I-cache */
#define TG_SCB_DCISW TG_REG32(0xE000EF60u)  /* invalidate one D-cache line by set/way */

#define TG_AIRCR_VECTKEY (0x05FAu << 16)
#define TG_AIRCR_PRIGROUP_MASK (7u << 8)
#define TG_AIRCR_SYSRESETREQ (1u << 2)
#define TG_CCR_DC (1u << 16) /* data cache enable (Cortex-M7) */
#define TG_CCR_IC (1u << 17) /* instruction cache enable (Cortex-M7) */
#define TG_CCR_LOB (1u << 19) /* loop and branch info cache enable (Armv8.1-M: Cortex-M55) */
#define TG_CPACR_CP10_CP11_FULL (0xFu << 20)
/* CCSIDR fields: NumSets - 1, Associativity - 1, log2(words per line) - 2. */
#define TG_CCSIDR_NUMSETS_POS 13u
#define TG_CCSIDR_NUMSETS_MASK 0x7FFFu
#define TG_CCSIDR_ASSOCIATIVITY_POS 3u
#define TG_CCSIDR_ASSOCIATIVITY_MASK 0x3FFu
#define TG_CCSIDR_LINESIZE_MASK 0x7u

/* SysTick (B3.3.3) and the NVIC's clear-enable and clear-pending registers (B3.4.4, B3.4.6),
 * for tg_cortexm_quiesce(). The architecture has room for 496 interrupts, 16 words of each;
 * the words a core does not implement read as zero and ignore writes. */
#define TG_SYST_CSR TG_REG32(0xE000E010u)
#define TG_NVIC_ICER_WORD(n) TG_REG32(0xE000E180u + 4u * (n))
#define TG_NVIC_ICPR_WORD(n) TG_REG32(0xE000E280u + 4u * (n))
#define TG_NVIC_WORDS 16u

/* Debug and trace (ARMv7-M ARM C1.6, C1.8): the DWT cycle counter (tg_dwt.c). */
#define TG_DEMCR TG_REG32(0xE000EDFCu)     /* C1.6.5: debug exception and monitor control */
#define TG_DEMCR_TRCENA (1u << 24)         /* powers the DWT and ITM */
#define TG_DWT_CTRL TG_REG32(0xE0001000u)  /* C1.8.7 */
#define TG_DWT_CTRL_CYCCNTENA (1u << 0)
#define TG_DWT_CYCCNT TG_REG32(0xE0001004u) /* C1.8.8 */
/* CoreSight lock access register: the Cortex-M7 DWT ignores writes until it
 * is unlocked (Cortex-M7 TRM, "Data Watchpoint and Trace unit"). Cores
 * without the lock ignore the write. */
#define TG_DWT_LAR TG_REG32(0xE0001FB0u)
#define TG_CORESIGHT_UNLOCK 0xC5ACCE55u

/* CPUID.PARTNO values (Cortex-M4 / M7 / M33 / M55 Technical Reference Manuals, "CPUID"). */
#define TG_CPUID_PARTNO(cpuid) (((cpuid) >> 4) & 0xFFFu)
#define TG_PARTNO_CORTEX_M4 0xC24u
#define TG_PARTNO_CORTEX_M7 0xC27u
#define TG_PARTNO_CORTEX_M33 0xD21u
#define TG_PARTNO_CORTEX_M55 0xD22u

static inline void tg_dsb(void) { __asm volatile("dsb 0xF" ::: "memory"); }
static inline void tg_isb(void) { __asm volatile("isb 0xF" ::: "memory"); }

/* Exit status the fault handlers leave with on stand-ins (QEMU's exit status). */
#define TG_EXIT_FAULT 0x7F

/*
 * Called by the HardFault, MemManage, BusFault and UsageFault handlers, and
 * by that of any other exception (the ports enable none). The default (weak) definition stops in tg_fault_loop(), where a debugger finds
 * it; the MPS2 stand-in overrides it to report the fault and leave QEMU with
 * TG_EXIT_FAULT, so that a crashed firmware never hangs a test.
 */
void tg_port_fault(void);
void tg_fault_loop(void) __attribute__((noreturn));

/* DWT cycle counter (tg_dwt.c): enable, then read extended to 64 bits. */
void tg_dwt_init(void);
uint64_t tg_dwt_cycles64(void);

/*
 * A serial timeout measured with the DWT cycle counter: tg_deadline_passed()
 * says when timeout_ms (0: never) have gone by at clock_hz. It also counts
 * its calls, so that a stopped counter (no debug power, an emulator) ends
 * the wait too instead of hanging: each poll takes more than 2 cycles.
 */
typedef struct {
    uint64_t start;
    uint64_t budget;
    uint64_t polls_left;
    int forever;
} tg_deadline_t;

void tg_deadline_start(tg_deadline_t *d, uint32_t timeout_ms, uint32_t clock_hz);
int tg_deadline_passed(tg_deadline_t *d);

/*
 * Poll until every bit of `mask` is set in *reg: 1 when they are, 0 after
 * `polls` reads without (tg_poll.c).
 */
int tg_wait_bits(volatile uint32_t *reg, uint32_t mask, uint32_t polls);

/* Semihosting SYS_EXIT_EXTENDED (tg_semihost.c): QEMU exits with `code`. */
void tg_semihost_exit(int code) __attribute__((noreturn));

/*
 * After a bootloader (the Arduino boards'): stop SysTick, disable every NVIC interrupt and
 * clear its pending state (tg_scb.c), so that nothing the bootloader left running reaches
 * this image's vector table, whose handlers other than reset are fault handlers.
 */
void tg_cortexm_quiesce(void);

/* Request a system reset through AIRCR.SYSRESETREQ (tg_scb.c). */
void tg_system_reset(void) __attribute__((noreturn));

/*
 * Invalidate and enable the L1 instruction and data caches (tg_scb.c): the
 * Cortex-M7's, and the Cortex-M55's, which the same Armv7-M / Armv8-M cache
 * maintenance registers drive.
 */
void tg_cortexm7_enable_caches(void);

#endif /* TG_CORTEXM_H */
