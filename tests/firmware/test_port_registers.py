"""The board ports' hand-written register addresses and bit positions (firmware/ports/cortexm's
tg_cortexm.h and tg_stm32.h, stm32f7's tg_stm32f7.h, stm32f4's tg_stm32f4.h) against Arm's CMSIS
core headers and ST's device headers, at compile time: a C file includes both and
_Static_asserts each pair equal, compiled by arm-none-eabi-gcc for every STM32 part of a board
file whose device header is in the trees (tests/st_trees.py: STM32F746, STM32F767, STM32F446).

The STM32U585 (b-u585i-iot02a), STM32N657 (stm32n6570-dk), STM32H747 (portenta-h7, nicla-vision), STM32H743 (nucleo-h743zi)
and Nordic nRF52840 (nano33ble) have no device header in the trees: their ports' peripheral
registers are not checked; the Cortex-M33, M55, M7 and M4 core registers that tg_cortexm.h names
are, against core_cm33.h, core_cm55.h, core_cm7.h and core_cm4.h alone.

Every macro of those headers is checked or named in NOT_IN_HEADERS with the reason, so that a
register added to a port without its check fails here; a pair made wrong fails the compile.
"""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest

from st_trees import Part, device_tree, stm32_parts, tree
from tinygen.board import all_boards, get_board
from tinygen.resources import data_dir

CC = "arm-none-eabi-gcc"
PORTS = data_dir("firmware") / "ports"
HEADERS = {"cortexm": ["tg_cortexm.h", "tg_stm32.h"], "stm32f7": ["tg_stm32f7.h"], "stm32f4": ["tg_stm32f4.h"]}

pytestmark = pytest.mark.skipif(shutil.which(CC) is None, reason=f"{CC} is not installed (make toolchain installs it)")


def _at(base: str, struct: str, *fields: str) -> list[tuple[str, str]]:
    """(TG_<name>, its address in Arm's / ST's terms) for registers TG_<prefix><field>."""
    return [(tg, f"{base} + offsetof({struct}, {field})") for tg, field in fields]


# -- Arm's core headers: every Cortex-M core (CMSIS_6/CMSIS/Core/Include/core_cmX.h) ----------
CORE = [
    *_at("SCB_BASE", "SCB_Type", ("TG_SCB_CPUID", "CPUID"), ("TG_SCB_VTOR", "VTOR"), ("TG_SCB_AIRCR", "AIRCR"),
         ("TG_SCB_CCR", "CCR"), ("TG_SCB_CPACR", "CPACR")),
    ("TG_AIRCR_VECTKEY", "0x5FAUL << SCB_AIRCR_VECTKEY_Pos"),
    ("TG_AIRCR_PRIGROUP_MASK", "SCB_AIRCR_PRIGROUP_Msk"),
    ("TG_AIRCR_SYSRESETREQ", "SCB_AIRCR_SYSRESETREQ_Msk"),
    ("TG_CPUID_PARTNO(SCB_CPUID_PARTNO_Msk)", "SCB_CPUID_PARTNO_Msk >> SCB_CPUID_PARTNO_Pos"),
    *_at("DCB_BASE", "DCB_Type", ("TG_DEMCR", "DEMCR")),
    ("TG_DEMCR_TRCENA", "DCB_DEMCR_TRCENA_Msk"),
    *_at("DWT_BASE", "DWT_Type", ("TG_DWT_CTRL", "CTRL"), ("TG_DWT_CYCCNT", "CYCCNT")),
    ("TG_DWT_CTRL_CYCCNTENA", "DWT_CTRL_CYCCNTENA_Msk"),
    ("TG_SYST_CSR", "SysTick_BASE + offsetof(SysTick_Type, CTRL)"),
    ("TG_NVIC_ICER_WORD(0)", "NVIC_BASE + offsetof(NVIC_Type, ICER)"),
    ("TG_NVIC_ICPR_WORD(0)", "NVIC_BASE + offsetof(NVIC_Type, ICPR)"),
]
# cores whose header has the L1 cache maintenance registers (tg_cortexm7_enable_caches)
CACHE = [
    *_at("SCB_BASE", "SCB_Type", ("TG_SCB_CCSIDR", "CCSIDR"), ("TG_SCB_CSSELR", "CSSELR"),
         ("TG_SCB_ICIALLU", "ICIALLU"), ("TG_SCB_DCISW", "DCISW")),
    ("TG_CCR_DC", "SCB_CCR_DC_Msk"),
    ("TG_CCR_IC", "SCB_CCR_IC_Msk"),
    ("TG_CCSIDR_NUMSETS_POS", "SCB_CCSIDR_NUMSETS_Pos"),
    ("TG_CCSIDR_NUMSETS_MASK << TG_CCSIDR_NUMSETS_POS", "SCB_CCSIDR_NUMSETS_Msk"),
    ("TG_CCSIDR_ASSOCIATIVITY_POS", "SCB_CCSIDR_ASSOCIATIVITY_Pos"),
    ("TG_CCSIDR_ASSOCIATIVITY_MASK << TG_CCSIDR_ASSOCIATIVITY_POS", "SCB_CCSIDR_ASSOCIATIVITY_Msk"),
    ("TG_CCSIDR_LINESIZE_MASK", "SCB_CCSIDR_LINESIZE_Msk"),
]
CORE_CHECKS = {
    "cortex-m4": CORE,
    "cortex-m7": CORE + CACHE + _at("DWT_BASE", "DWT_Type", ("TG_DWT_LAR", "LAR")),
    "cortex-m33": CORE + CACHE,
    "cortex-m55": CORE + CACHE + [("TG_CCR_LOB", "SCB_CCR_LOB_Msk")],
}
# What a device header defines before it includes core_cmX.h; for the cores of parts whose
# device header is not in the trees (STM32U585: Cortex-M33, STM32N657: Cortex-M55, STM32H747:
# Cortex-M7, nRF52840: Cortex-M4).
CORE_ALONE = """typedef enum {{ Reset_IRQn = -15, NonMaskableInt_IRQn = -14, HardFault_IRQn = -13,
  SVCall_IRQn = -5, PendSV_IRQn = -2, SysTick_IRQn = -1 }} IRQn_Type;
#define {rev} 0x0001U
#define __MPU_PRESENT 1U
#define __FPU_PRESENT 1U
#define __DSP_PRESENT 1U
#define __SAUREGION_PRESENT 1U
#define __ICACHE_PRESENT 1U
#define __DCACHE_PRESENT 1U
#define __PMU_PRESENT 0U
#define __MVE_PRESENT 1U
#define __MVE_FP 1U
#define __NVIC_PRIO_BITS 4U
#define __Vendor_SysTickConfig 0U
#define __VTOR_PRESENT 1U
#include "core_{core}.h"
"""


# -- ST's device headers: the STM32F4 and STM32F7 registers tg_stm32.h names -----------------
def _stm32(pwr_cr: str, pwr_csr: str, status: str) -> list[tuple[str, str]]:
    """The checks of tg_stm32.h; the F7 names PWR_CR1 / PWR_CSR1 / USART_ISR what the F4 names
    PWR_CR / PWR_CSR / USART_SR."""
    gpio_ports = [(n, "ABCDEFGH"[n]) for n in range(8)]   # every part here has ports A..H
    return [
        ("TG_RCC_BASE", "RCC_BASE"),
        *_at("RCC_BASE", "RCC_TypeDef", ("TG_RCC_CR", "CR"), ("TG_RCC_PLLCFGR", "PLLCFGR"), ("TG_RCC_CFGR", "CFGR"),
             ("TG_RCC_AHB1ENR", "AHB1ENR"), ("TG_RCC_APB1ENR", "APB1ENR")),
        ("TG_RCC_APB1ENR_PWR", "RCC_APB1ENR_PWREN"),
        *[(f"TG_RCC_CR_{bit}", f"RCC_CR_{bit}") for bit in ("HSION", "HSIRDY", "HSEON", "HSERDY", "HSEBYP",
                                                         "PLLON", "PLLRDY")],
        ("TG_RCC_PLLCFGR_SRC_HSE", "RCC_PLLCFGR_PLLSRC_HSE"),
        *[(f"TG_RCC_PLLCFGR_{f}_POS", f"RCC_PLLCFGR_{f}_Pos") for f in ("PLLN", "PLLQ", "PLLR")],
        ("TG_RCC_CFGR_SW_MASK", "RCC_CFGR_SW"),
        ("TG_RCC_CFGR_SW_PLL", "RCC_CFGR_SW_PLL"),
        ("TG_RCC_CFGR_SWS_PLL", "RCC_CFGR_SWS_PLL"),
        ("TG_RCC_CFGR_PRESCALERS", "RCC_CFGR_HPRE | RCC_CFGR_PPRE1 | RCC_CFGR_PPRE2"),
        ("TG_RCC_CFGR_AHB1_APB4_APB2", "RCC_CFGR_HPRE_DIV1 | RCC_CFGR_PPRE1_DIV4 | RCC_CFGR_PPRE2_DIV2"),
        *_at("PWR_BASE", "PWR_TypeDef", ("TG_PWR_CR", pwr_cr), ("TG_PWR_CSR", pwr_csr)),
        ("TG_PWR_CR_VOS_SCALE1", f"PWR_{pwr_cr}_VOS"),     # both bits set: scale 1
        ("TG_PWR_CR_ODEN", f"PWR_{pwr_cr}_ODEN"),
        ("TG_PWR_CR_ODSWEN", f"PWR_{pwr_cr}_ODSWEN"),
        ("TG_PWR_CSR_ODRDY", f"PWR_{pwr_csr}_ODRDY"),
        ("TG_PWR_CSR_ODSWRDY", f"PWR_{pwr_csr}_ODSWRDY"),
        *_at("FLASH_R_BASE", "FLASH_TypeDef", ("TG_FLASH_ACR", "ACR")),
        ("TG_FLASH_ACR_LATENCY_MASK", "FLASH_ACR_LATENCY"),
        ("TG_FLASH_ACR_PRFTEN", "FLASH_ACR_PRFTEN"),
        ("TG_GPIOA_BASE", "GPIOA_BASE"),
        ("TG_GPIOD_BASE", "GPIOD_BASE"),
        *[(f"TG_GPIOA_BASE + {n}u * TG_GPIO_PORT_STRIDE", f"GPIO{x}_BASE") for n, x in gpio_ports],
        *[(f"1u << {n}", f"RCC_AHB1ENR_GPIO{x}EN") for n, x in gpio_ports],   # tg_stm32_gpio_output
        *[(f"TG_GPIO_{r}", f"offsetof(GPIO_TypeDef, {r})") for r in ("MODER", "OSPEEDR", "PUPDR", "BSRR")],
        ("TG_GPIO_AFRL", "offsetof(GPIO_TypeDef, AFR[0])"),
        ("TG_GPIO_MODE_OUTPUT", "GPIO_MODER_MODER0_0"),
        ("TG_GPIO_MODE_AF", "GPIO_MODER_MODER0_1"),
        ("TG_GPIO_SPEED_HIGH", "GPIO_OSPEEDER_OSPEEDR0_1"),
        ("TG_GPIO_PULL_UP", "GPIO_PUPDR_PUPDR0_0"),
        *[(f"TG_USART_STATUS_{bit}", f"USART_{status}_{bit}") for bit in ("ORE", "RXNE", "TC", "TXE")],
    ]


def _usart(base: str, *offsets: str) -> list[tuple[str, str]]:
    return ([(f"TG_{base}", base)] + [(f"TG_USART_{r}_OFFSET", f"offsetof(USART_TypeDef, {r})") for r in offsets]
            + _at(base, "USART_TypeDef", ("TG_USART_CR1", "CR1"), ("TG_USART_BRR", "BRR"))
            + [(f"TG_USART_CR1_{bit}", f"USART_CR1_{bit}") for bit in ("UE", "RE", "TE")])


FAMILY_CHECKS = {
    "stm32f7": _stm32("CR1", "CSR1", "ISR") + _usart("USART3_BASE", "CR1", "BRR", "ISR", "ICR", "RDR", "TDR") + [
        ("TG_USART_STATUS_ORE", "USART_ICR_ORECF"),     # the port clears ISR.ORE by writing the same bit to ICR
        ("TG_FLASH_ACR_ARTEN", "FLASH_ACR_ARTEN"),
        ("TG_FLASH_LATENCY_216MHZ", "FLASH_ACR_LATENCY_7WS"),
        ("TG_RCC_AHB1ENR_GPIOD", "RCC_AHB1ENR_GPIODEN"),
        ("TG_RCC_APB1ENR_USART3", "RCC_APB1ENR_USART3EN"),
        *_at("DBGMCU_BASE", "DBGMCU_TypeDef", ("TG_DBGMCU_IDCODE", "IDCODE")),
        ("TG_DBGMCU_IDCODE_DEV_ID_MASK", "DBGMCU_IDCODE_DEV_ID"),
    ],
    "stm32f4": _stm32("CR", "CSR", "SR") + _usart("USART2_BASE", "SR", "DR", "BRR", "CR1") + [
        ("TG_FLASH_ACR_ICEN", "FLASH_ACR_ICEN"),
        ("TG_FLASH_ACR_DCEN", "FLASH_ACR_DCEN"),
        ("TG_FLASH_LATENCY_180MHZ", "FLASH_ACR_LATENCY_5WS"),
        ("TG_RCC_AHB1ENR_GPIOA", "RCC_AHB1ENR_GPIOAEN"),
        ("TG_RCC_APB1ENR_USART2", "RCC_APB1ENR_USART2EN"),
    ],
}

# Macros of the checked headers with nothing to check them against, and why.
NOT_IN_HEADERS = {
    "TG_REG32": "the access macro",
    "TG_EXIT_FAULT": "the stand-ins' exit status, not a register",
    "TG_NVIC_WORDS": "the architecture's 16 words of ICER / ICPR (ARMv7-M ARM B3.4); CMSIS sizes NVIC_Type's arrays per core (8 words on the M4 and M7, 16 on the M33 and M55)",
    "TG_CPACR_CP10_CP11_FULL": "CMSIS names no CPACR field (ST's SystemInit writes the same bits as (3UL << 10*2)|(3UL << 11*2))",
    "TG_CORESIGHT_UNLOCK": "CoreSight's lock key, named by no CMSIS header",
    "TG_PARTNO_CORTEX_M4": "the Cortex-M4 TRM's CPUID.PARTNO, named by no CMSIS header",
    "TG_PARTNO_CORTEX_M7": "the Cortex-M7 TRM's CPUID.PARTNO, named by no CMSIS header",
    "TG_PARTNO_CORTEX_M33": "the Cortex-M33 TRM's CPUID.PARTNO, named by no CMSIS header",
    "TG_PARTNO_CORTEX_M55": "the Cortex-M55 TRM's CPUID.PARTNO, named by no CMSIS header",
    "TG_STM32_HSI_HZ": "HSI_VALUE is defined in ST's system_stm32f7xx.c / system_stm32f4xx.c, not a header",
    "TG_STM32_APB1_DIVIDER": "the divider TG_RCC_CFGR_AHB1_APB4_APB2 selects (checked as RCC_CFGR_PPRE1_DIV4)",
    "TG_GPIO_AF7_USART": "the datasheet's alternate-function table; ST's HAL names it, the device header does not",
    "TG_GPIO_PORT_STRIDE": "checked through GPIOA..GPIOH_BASE",
    "TG_DEV_ID_F76X": "the reference manual's DEV_ID value, named by no device header",
    "TG_USART_STATUS_ORE": "checked per family (USART_ISR_ORE / USART_SR_ORE)",
}

# Checks a part's header cannot make: its field is reserved there.
PART_EXCEPTIONS = {
    "stm32f746zg": {"TG_RCC_PLLCFGR_PLLR_POS": "PLLR is reserved on the F74x (RM0385); the port writes its reset value"},
}


def header_macros() -> dict[str, set[str]]:
    """Object-like and function-like macros (include guards left out) per port header."""
    found = {}
    for port, names in HEADERS.items():
        for name in names:
            text = (PORTS / port / name).read_text()
            found[f"{port}/{name}"] = {m for m in re.findall(r"^#define (TG_\w+)", text, re.M) if not m.endswith("_H")}
    return found


def check_source(checks: list[tuple[str, str]], includes: list[str], preamble: str = "") -> str:
    """A C file including the device (or core) header and tinygen's, asserting each pair equal;
    TG_REG32 becomes the address itself so that a register macro is an integer constant."""
    lines = ["#include <stddef.h>", "#include <stdint.h>", preamble] + [f'#include "{h}"' for h in includes]
    lines += ["#undef TG_REG32", "#define TG_REG32(addr) (addr)"]
    for tg, theirs in checks:
        message = f"{tg} != {theirs}".replace('"', "'")
        lines.append(f'_Static_assert(({tg}) == ({theirs}), "{message}");')
    return "\n".join(lines) + "\n"


def compile_check(source: str, tmp_path, cflags: list[str], include_dirs: list) -> subprocess.CompletedProcess:
    c = tmp_path / "registers.c"
    c.write_text(source)
    cmd = [CC, *cflags, "-std=c11", "-fsyntax-only", "-Wall", "-Wextra", "-Werror"]
    cmd += [f"-I{d}" for d in include_dirs] + [str(c)]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=60)


def cpu_flags(board) -> list[str]:
    return [f for f in board.cflags if f.startswith("-m")]


def part_check(part: Part):
    """(checks, includes, include dirs, -D flags) for a part with its device header."""
    board = get_board(part.board)
    dev = device_tree(part)
    core = tree("CMSIS_6_PATH") / "CMSIS" / "Core" / "Include"
    if dev is None:
        pytest.fail(f"{part.name}: no device tree known for the STM32{part.family.upper()} (tests/st_trees.py)")
    assert (dev / "Include" / part.header).is_file(), f"{part.header} is not in {dev}/Include"
    skip = PART_EXCEPTIONS.get(part.name, {})
    checks = [c for c in CORE_CHECKS[board.core] + FAMILY_CHECKS[board.port] if c[0] not in skip]
    includes = [part.family_header] + HEADERS["cortexm"] + HEADERS[board.port]
    dirs = [core, dev / "Include", PORTS / "cortexm", PORTS / board.port]
    return board, checks, includes, dirs


PARTS = stm32_parts(all_boards())
CHECKED = [p for p in PARTS if p.family in ("f7", "f4")]


def test_port_registers_parts_named():
    """The parts checked and those without a device header are the board files' STM32 parts."""
    assert {p.name for p in CHECKED} == {"stm32f746zg", "stm32f767zi", "stm32f446re"}
    assert {p.name for p in PARTS} - {p.name for p in CHECKED} == {"stm32u585ai", "stm32n657x0", "stm32h747",
                                                                   "stm32h747xi", "stm32h747aii6", "stm32h743zi"}
    for p in CHECKED:
        assert get_board(p.board).port in FAMILY_CHECKS, f"{p.board}: its port has no register checks"


@pytest.mark.parametrize("part", CHECKED, ids=lambda p: p.name)
def test_port_registers_equal_st_headers(part, tmp_path):
    board, checks, includes, dirs = part_check(part)
    r = compile_check(check_source(checks, includes), tmp_path, cpu_flags(board) + [f"-D{part.define}"], dirs)
    assert r.returncode == 0, f"{part.name}: the port's registers differ from {part.header}:\n{r.stderr}"


@pytest.mark.parametrize("board_name", ["b-u585i-iot02a", "stm32n6570-dk", "portenta-h7", "nano33ble"])
def test_port_registers_equal_core_header_without_device_header(board_name, tmp_path):
    board = get_board(board_name)
    core = board.core.replace("cortex-", "c")      # "cm33"
    rev = f"__{core.upper()}_REV"
    r = compile_check(check_source(CORE_CHECKS[board.core], ["tg_cortexm.h"], CORE_ALONE.format(rev=rev, core=core)),
                      tmp_path, cpu_flags(board), [tree("CMSIS_6_PATH") / "CMSIS" / "Core" / "Include",
                                                   PORTS / "cortexm"])
    assert r.returncode == 0, f"{board_name}: tg_cortexm.h differs from core_{core}.h:\n{r.stderr}"


def test_port_registers_every_macro_checked():
    checked_text = " ".join(tg for checks in [*CORE_CHECKS.values(), *FAMILY_CHECKS.values()] for tg, _ in checks)
    used = set(re.findall(r"TG_\w+", checked_text))
    for header, macros in header_macros().items():
        unchecked = sorted(macros - used - set(NOT_IN_HEADERS))
        assert not unchecked, (f"{header} defines {unchecked} with no check against Arm's or ST's headers: "
                               "add each to the checks of tests/firmware/test_port_registers.py, or to "
                               "NOT_IN_HEADERS with the reason")
    stale = set(NOT_IN_HEADERS) - set().union(*header_macros().values())
    assert not stale, f"NOT_IN_HEADERS names macros no port header defines: {sorted(stale)}"


def test_port_registers_mismatch_fails_the_compile(tmp_path):
    """A wrong pair (the F7's USART3 at USART2's base; UE at RE's bit) stops the compile, naming it."""
    part = next(p for p in CHECKED if p.name == "stm32f746zg")
    board, checks, includes, dirs = part_check(part)
    wrong = checks + [("TG_USART3_BASE", "USART2_BASE"), ("TG_USART_CR1_UE", "USART_CR1_RE")]
    r = compile_check(check_source(wrong, includes), tmp_path, cpu_flags(board) + [f"-D{part.define}"], dirs)
    assert r.returncode != 0
    assert "TG_USART3_BASE != USART2_BASE" in r.stderr and "TG_USART_CR1_UE != USART_CR1_RE" in r.stderr
    assert r.stderr.count("static assertion failed") == 2, r.stderr


def test_port_registers_missing_tree_fails_naming_it(monkeypatch, tmp_path):
    """In CI the variables are set (.ci/third_party.sh) whether the trees are there or not: a
    missing tree fails, naming the variable and the file; unset, the tests skip."""
    monkeypatch.setenv("CMSIS_DEVICE_F7_PATH", str(tmp_path))
    with pytest.raises(pytest.fail.Exception, match=r"CMSIS_DEVICE_F7_PATH=.* Include/stm32f7xx.h is missing"):
        tree("CMSIS_DEVICE_F7_PATH")
    monkeypatch.delenv("CMSIS_DEVICE_F7_PATH")
    with pytest.raises(pytest.skip.Exception, match="CMSIS_DEVICE_F7_PATH not set"):
        tree("CMSIS_DEVICE_F7_PATH")
