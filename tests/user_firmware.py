"""A user's own bare-metal firmware around tinygen libraries (`tinygen build --library`), written
here as a firmware engineer would write it, not by tinygen: a startup file, a linker script, a
main.c that runs each library on inputs compiled in and prints the outputs, and a CMake project
that adds the libraries with add_subdirectory. Used by tests/e2e/test_library_cmake_standin.py
(the Cortex-M7 stand-in, QEMU's mps2-an500, output over semihosting)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

# Cortex-M7 with the F746's single-precision FPU, as a Nucleo-F746ZG project compiles
CPU_FLAGS = "-mcpu=cortex-m7 -mthumb -mfpu=fpv5-sp-d16 -mfloat-abi=hard"

# The start-up a user writes: the vector table, .data copied, .bss cleared, the FPU on, main,
# and the exit status handed to the debugger (QEMU) through semihosting SYS_EXIT_EXTENDED.
STARTUP_C = r"""
#include <stdint.h>

extern uint32_t _estack, _sidata, _sdata, _edata, _sbss, _ebss;
int main(void);
void semihost_exit(int code) __attribute__((noreturn));

void Reset_Handler(void) __attribute__((noreturn));
static void Fault_Handler(void) { semihost_exit(99); }

__attribute__((section(".isr_vector"), used))
void (*const vectors[16])(void) = {
    (void (*)(void))(uintptr_t)&_estack, Reset_Handler, Fault_Handler, Fault_Handler, Fault_Handler,
    Fault_Handler, Fault_Handler, 0, 0, 0, 0, Fault_Handler, Fault_Handler, 0, Fault_Handler, Fault_Handler,
};

void semihost_exit(int code)
{
    uint32_t block[2] = {0x20026u, (uint32_t)code};      /* ADP_Stopped_ApplicationExit */
    register uint32_t r0 __asm("r0") = 0x20u;             /* SYS_EXIT_EXTENDED */
    register uint32_t *r1 __asm("r1") = block;
    __asm volatile("bkpt 0xAB" : "+r"(r0) : "r"(r1) : "memory");
    for (;;) {
    }
}

void Reset_Handler(void)
{
    volatile uint32_t *src = &_sidata, *dst = &_sdata;
    while (dst < &_edata) {
        *dst++ = *src++;
    }
    for (dst = &_sbss; dst < &_ebss;) {
        *dst++ = 0u;
    }
    *(volatile uint32_t *)0xE000ED88u |= 0xFu << 20;     /* CPACR: CP10, CP11 full access */
    __asm volatile("dsb\n isb" ::: "memory");
    semihost_exit(main());
}
"""

# QEMU's mps2-an500: code at 0, RAM at 0x20000000 (4 MB each).
LINKER_SCRIPT = """
MEMORY
{
  FLASH (rx)  : ORIGIN = 0x00000000, LENGTH = 4M
  RAM   (rwx) : ORIGIN = 0x20000000, LENGTH = 4M
}
_estack = ORIGIN(RAM) + LENGTH(RAM);
ENTRY(Reset_Handler)
SECTIONS
{
  .isr_vector : { KEEP(*(.isr_vector)) } > FLASH
  .text : { *(.text*) *(.rodata*) . = ALIGN(4); } > FLASH
  .ARM.exidx : { *(.ARM.exidx*) } > FLASH
  _sidata = LOADADDR(.data);
  .data : { . = ALIGN(4); _sdata = .; *(.data*) . = ALIGN(4); _edata = .; } > RAM AT > FLASH
  .bss (NOLOAD) : { . = ALIGN(4); _sbss = .; *(.bss*) *(COMMON) . = ALIGN(4); _ebss = .; } > RAM
}
"""

TOOLCHAIN_CMAKE = f"""
set(CMAKE_SYSTEM_NAME Generic)
set(CMAKE_SYSTEM_PROCESSOR arm)
set(CMAKE_C_COMPILER arm-none-eabi-gcc)
set(CMAKE_TRY_COMPILE_TARGET_TYPE STATIC_LIBRARY)
set(CMAKE_C_FLAGS_INIT "{CPU_FLAGS} -O2 -ffunction-sections -fdata-sections -Wall -Wextra -Werror")
set(CMAKE_EXE_LINKER_FLAGS_INIT "-nostartfiles --specs=nano.specs --specs=nosys.specs -Wl,--gc-sections")
"""


@dataclass
class Model:
    """One library in the user's firmware: its name (NAME_ prefix), folder, inputs to run."""
    name: str
    folder: Path
    inputs: list[np.ndarray]         # int8, each NAME_INPUT0_SIZE bytes
    arena_external: bool


def inputs_header(models: list[Model]) -> str:
    """inputs.h: each model's inputs as const arrays (flash)."""
    lines = ["#include <stdint.h>"]
    for m in models:
        rows = ",\n".join("  {" + ", ".join(str(int(v)) for v in x.ravel()) + "}" for x in m.inputs)
        lines.append(f"#define {m.name.upper()}_SAMPLES {len(m.inputs)}")
        lines.append(f"static const int8_t {m.name}_samples[{len(m.inputs)}][{m.inputs[0].size}] = {{\n{rows}\n}};")
    return "\n".join(lines) + "\n"


def main_c(models: list[Model]) -> str:
    """main.c: every model on every input, one line "NAME i: hex bytes" per output on the debug
    console (semihosting SYS_WRITE0); the external-arena models share one buffer."""
    shared = [m for m in models if m.arena_external]
    out = ["#include <stdint.h>", "#include <string.h>"] + [f'#include "{m.name}.h"' for m in models]
    out.append('#include "inputs.h"')
    out.append(r"""
static void put(const char *s)
{
    register uint32_t r0 __asm("r0") = 0x04u;          /* SYS_WRITE0 */
    register const char *r1 __asm("r1") = s;
    __asm volatile("bkpt 0xAB" : "+r"(r0) : "r"(r1) : "memory");
}

static void put_bytes(const char *name, int sample, const int8_t *p, int32_t n)
{
    static char line[4096];
    static const char hex[] = "0123456789abcdef";
    int k = 0;
    while (*name) {
        line[k++] = *name++;
    }
    line[k++] = ' ';
    line[k++] = (char)('0' + sample / 10);
    line[k++] = (char)('0' + sample % 10);
    line[k++] = ':';
    for (int32_t i = 0; i < n && k < (int)sizeof(line) - 4; i++) {
        line[k++] = hex[((uint8_t)p[i]) >> 4];
        line[k++] = hex[((uint8_t)p[i]) & 15];
    }
    line[k++] = '\n';
    line[k] = 0;
    put(line);
}
""")
    if shared:
        out.append("#define BUF 0")
        for m in shared:
            up = m.name.upper()
            out.append(f"#if {up}_ARENA_SIZE > BUF\n#undef BUF\n#define BUF {up}_ARENA_SIZE\n#endif")
        out.append("/* one buffer for the models that never run at the same time */")
        out.append("static uint8_t arena[BUF] __attribute__((aligned(16)));")
    out.append("int main(void)\n{")
    for m in models:
        up = m.name.upper()
        init = f"{m.name}_init(arena)" if m.arena_external else f"{m.name}_init()"
        if m.arena_external:
            out.append(f"    if ({up}_ARENA_ALIGN > 16 || {init} != 0) {{\n        return 2;\n    }}")
        else:
            out.append(f"    {init};")
        out.append(f"    for (int i = 0; i < {up}_SAMPLES; i++) {{")
        out.append(f"        memcpy({m.name}_input(0), {m.name}_samples[i], {up}_INPUT0_SIZE);")
        out.append(f"        if ({m.name}_invoke() != 0) {{\n            return 3;\n        }}")
        out.append(f'        put_bytes("{m.name}", i, {m.name}_output(0), {up}_OUTPUT0_SIZE);')
        out.append("    }")
    out.append('    put("done\\n");\n    return 0;\n}')
    return "\n".join(out) + "\n"


def cmake_lists(models: list[Model], project: Path) -> str:
    subdirs = "\n".join(f"add_subdirectory({m.folder.relative_to(project).as_posix()})" for m in models)
    return f"""cmake_minimum_required(VERSION 3.16)
project(user_firmware C)
{subdirs}
add_executable(app main.c startup.c)
set_target_properties(app PROPERTIES SUFFIX ".elf")
target_include_directories(app PRIVATE ${{CMAKE_CURRENT_SOURCE_DIR}})
target_link_libraries(app PRIVATE {" ".join(m.name for m in models)})
target_link_options(app PRIVATE -T${{CMAKE_CURRENT_SOURCE_DIR}}/mps2_an500.ld)
"""


def write_project(project: Path, models: list[Model]) -> None:
    """The user's firmware in `project` (the libraries already in their folders below it)."""
    (project / "startup.c").write_text(STARTUP_C)
    (project / "mps2_an500.ld").write_text(LINKER_SCRIPT)
    (project / "arm-none-eabi.cmake").write_text(TOOLCHAIN_CMAKE)
    (project / "inputs.h").write_text(inputs_header(models))
    (project / "main.c").write_text(main_c(models))
    (project / "CMakeLists.txt").write_text(cmake_lists(models, project))


def parse_outputs(text: str) -> dict[tuple[str, int], np.ndarray]:
    """The lines main.c printed: (model, sample) -> int8 output."""
    found = {}
    for name, sample, hexes in re.findall(r"^(\w+) (\d+):([0-9a-f]*)\r?$", text, re.M):
        found[(name, int(sample))] = np.frombuffer(bytes.fromhex(hexes), dtype=np.int8)
    return found
