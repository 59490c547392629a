/*
 * System control block operations shared by the Cortex-M ports: system
 * reset, quiescing what a bootloader left running, and the Cortex-M7 L1 caches.
 */
#include <stdint.h>

#include "tg_cortexm.h"

/* ARMv7-M ARM B3.2.6: AIRCR.SYSRESETREQ, keeping the priority grouping. */
void tg_system_reset(void)
{
    tg_dsb();
    TG_SCB_AIRCR = TG_AIRCR_VECTKEY | (TG_SCB_AIRCR & TG_AIRCR_PRIGROUP_MASK) | TG_AIRCR_SYSRESETREQ;
    tg_dsb();
    tg_fault_loop(); /* the reset takes a few cycles to land */
}

void tg_cortexm_quiesce(void)
{
    TG_SYST_CSR = 0u;
    for (uint32_t i = 0u; i < TG_NVIC_WORDS; i++) {
        TG_NVIC_ICER_WORD(i) = 0xFFFFFFFFu;
        TG_NVIC_ICPR_WORD(i) = 0xFFFFFFFFu;
    }
    tg_dsb();
    tg_isb();
}

/*
 * Cortex-M7 caches, in the order the Cortex-M7 TRM ("Initializing and
 * enabling the L1 cache") asks: invalidate, then enable, with barriers.
 * The data cache is invalidated set by set and way by way; the geometry
 * comes from CCSIDR (line length, associativity, number of sets).
 */
void tg_cortexm7_enable_caches(void)
{
    tg_dsb();
    tg_isb();
    TG_SCB_ICIALLU = 0u;
    tg_dsb();
    tg_isb();
    TG_SCB_CCR |= TG_CCR_IC;
    tg_dsb();
    tg_isb();

    TG_SCB_CSSELR = 0u; /* level 1 data cache */
    tg_dsb();
    uint32_t ccsidr = TG_SCB_CCSIDR;
    uint32_t sets = ((ccsidr >> TG_CCSIDR_NUMSETS_POS) & TG_CCSIDR_NUMSETS_MASK) + 1u;
    uint32_t ways = ((ccsidr >> TG_CCSIDR_ASSOCIATIVITY_POS) & TG_CCSIDR_ASSOCIATIVITY_MASK) + 1u;
    uint32_t set_shift = (ccsidr & TG_CCSIDR_LINESIZE_MASK) + 4u; /* log2(line bytes) */
    uint32_t way_shift = ways > 1u ? (uint32_t)__builtin_clz(ways - 1u) : 0u;
    for (uint32_t set = 0u; set < sets; set++) {
        for (uint32_t way = 0u; way < ways; way++) {
            TG_SCB_DCISW = (way << way_shift) | (set << set_shift);
        }
    }
    tg_dsb();
    TG_SCB_CCR |= TG_CCR_DC;
    tg_dsb();
    tg_isb();
}
