"""A tinygen library in an STM32CubeIDE / CubeMX style project, for the real STM32F746ZG and
STM32F446RE: ST's own device files (startup_stm32f746xx.s, system_stm32f7xx.c, stm32f746xx.h
through stm32f7xx.h; the F446's likewise) and Arm's CMSIS_6 core headers from the trees
tests/st_trees.py finds, a user main.c and a linker script written here as CubeMX writes them
(its _estack, _sidata/_sdata/_edata/_sbss/_ebss and ._user_heap_stack check), compiled as
CubeIDE's managed build does (-std=gnu11, -ffunction-sections, --specs=nano.specs, the part's
-D) with the user's -O2 and -Os: the image links, and its flash (.isr_vector, .text, .rodata,
.ARM, init arrays, .data) and RAM (.data, .bss, the heap and stack reserve) fit the part."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from mlperf_models import mlperf_model
from st_trees import Part, device_tree, stm32_parts, tree
from tinygen.board import all_boards, get_board
from tinygen.compiler import build, compile_source, load_source
from tinygen.passes import CompileOptions

CC, SIZE = "arm-none-eabi-gcc", "arm-none-eabi-size"
pytestmark = [pytest.mark.slow, pytest.mark.skipif(shutil.which(CC) is None, reason=f"{CC} is not installed (make toolchain)")]

# STM32CubeMX's STM32F746ZGTx_FLASH.ld / STM32F446RETx_FLASH.ld, its sections and symbols
LINKER_SCRIPT = """
ENTRY(Reset_Handler)
_estack = ORIGIN(RAM) + LENGTH(RAM);
_Min_Heap_Size = 0x200;
_Min_Stack_Size = 0x800;

MEMORY
{{
  RAM    (xrw) : ORIGIN = 0x{ram:08X}, LENGTH = {ram_k}K
  FLASH  (rx)  : ORIGIN = 0x{flash:08X}, LENGTH = {flash_k}K
}}

SECTIONS
{{
  .isr_vector : {{ . = ALIGN(4); KEEP(*(.isr_vector)) . = ALIGN(4); }} >FLASH
  .text : {{
    . = ALIGN(4);
    *(.text) *(.text*) *(.glue_7) *(.glue_7t) *(.eh_frame)
    KEEP (*(.init)) KEEP (*(.fini))
    . = ALIGN(4);
    _etext = .;
  }} >FLASH
  .rodata : {{ . = ALIGN(4); *(.rodata) *(.rodata*) . = ALIGN(4); }} >FLASH
  .ARM.extab : {{ *(.ARM.extab* .gnu.linkonce.armextab.*) }} >FLASH
  .ARM : {{ __exidx_start = .; *(.ARM.exidx*) __exidx_end = .; }} >FLASH
  .preinit_array : {{
    PROVIDE_HIDDEN (__preinit_array_start = .); KEEP (*(.preinit_array*)) PROVIDE_HIDDEN (__preinit_array_end = .);
  }} >FLASH
  .init_array : {{
    PROVIDE_HIDDEN (__init_array_start = .); KEEP (*(SORT(.init_array.*))) KEEP (*(.init_array*))
    PROVIDE_HIDDEN (__init_array_end = .);
  }} >FLASH
  .fini_array : {{
    PROVIDE_HIDDEN (__fini_array_start = .); KEEP (*(SORT(.fini_array.*))) KEEP (*(.fini_array*))
    PROVIDE_HIDDEN (__fini_array_end = .);
  }} >FLASH
  _sidata = LOADADDR(.data);
  .data : {{ . = ALIGN(4); _sdata = .; *(.data) *(.data*) . = ALIGN(4); _edata = .; }} >RAM AT> FLASH
  . = ALIGN(4);
  .bss : {{
    _sbss = .; __bss_start__ = _sbss;
    *(.bss) *(.bss*) *(COMMON)
    . = ALIGN(4);
    _ebss = .; __bss_end__ = _ebss;
  }} >RAM
  ._user_heap_stack : {{
    . = ALIGN(8); PROVIDE ( end = . ); PROVIDE ( _end = . );
    . = . + _Min_Heap_Size; . = . + _Min_Stack_Size; . = ALIGN(8);
  }} >RAM
  /DISCARD/ : {{ libc.a ( * ) libm.a ( * ) libgcc.a ( * ) }}
  .ARM.attributes 0 : {{ *(.ARM.attributes) }}
}}
"""

# The user's main.c, as a Cube project's main.c calls the model between its USER CODE markers
MAIN_C = """
#include <string.h>
#include "{family_header}"
#include "kws.h"

volatile int8_t best_score;

int main(void)
{{
  /* USER CODE BEGIN 1 */
{caches}  kws_init();
  memset(kws_input(0), KWS_INPUT0_ZERO_POINT, KWS_INPUT0_SIZE);
  kws_invoke();
  const int8_t *scores = kws_output(0);
  best_score = scores[0];
  for (int32_t i = 1; i < kws_output_size(0); i++) {{
    if (scores[i] > best_score) {{
      best_score = scores[i];
    }}
  }}
  /* USER CODE END 1 */
  while (1) {{
    __WFI();
  }}
}}
"""
CACHES = "  SCB_EnableICache();\n  SCB_EnableDCache();\n"      # the Cortex-M7's, as CubeMX enables them

FLASH_SECTIONS = (".isr_vector", ".text", ".rodata", ".ARM.extab", ".ARM", ".preinit_array", ".init_array",
                  ".fini_array", ".data")
RAM_SECTIONS = (".data", ".bss", "._user_heap_stack")
PARTS = {p.name: p for p in stm32_parts(all_boards())}


def kws_library(board, dest):
    source = load_source(mlperf_model("kws_dscnn"))
    graph = compile_source(source, options=CompileOptions(features=frozenset(board.isa_features)))
    return build(source, graph, board, dest, library="kws").manifest["library"]


def sections(elf) -> dict[str, int]:
    out = subprocess.run([SIZE, "-A", "-d", str(elf)], capture_output=True, text=True, check=True).stdout
    return {f[0]: int(f[1]) for f in (line.split() for line in out.splitlines()) if len(f) == 3 and f[1].isdigit()}


@pytest.fixture(scope="module")
def libraries(tmp_path_factory):
    """The KWS library per part (built once: both -O levels compile it)."""
    root = tmp_path_factory.mktemp("cube")
    return {name: (root / name, kws_library(get_board(PARTS[name].board), root / name))
            for name in ("stm32f746zg", "stm32f446re")}


# the user's Release levels and CubeIDE's Debug -O0 (the library's config header compiles its DSP
# kernels at O2 there: their asm needs an optimizing register allocator). -Og, which no macro tells
# from -O2, does not build them: docs/firmware.md says to give the library's folder -O1 or more.
@pytest.mark.parametrize("opt", ["-O2", "-Os", "-O0"])
@pytest.mark.parametrize("part_name", ["stm32f746zg", "stm32f446re"])
def test_library_links_in_cube_project_and_fits_the_part(part_name, opt, libraries, tmp_path):
    part: Part = PARTS[part_name]
    board = get_board(part.board)
    core_inc = tree("CMSIS_6_PATH") / "CMSIS" / "Core" / "Include"
    dev = device_tree(part)
    lib_dir, manifest = libraries[part_name]
    flash, ram = board.region("flash"), board.region("ram")
    (tmp_path / "STM32_FLASH.ld").write_text(LINKER_SCRIPT.format(
        ram=int(ram["origin"]), ram_k=int(ram["size"]) // 1024, flash=int(flash["origin"]), flash_k=int(flash["size"]) // 1024))
    (tmp_path / "main.c").write_text(MAIN_C.format(family_header=part.family_header,
                                                   caches=CACHES if board.core == "cortex-m7" else ""))
    templates = dev / "Source" / "Templates"
    cpu = [f for f in board.cflags if f.startswith(("-mcpu", "-mthumb", "-mfpu", "-mfloat-abi"))]
    cube = cpu + ["-std=gnu11", *opt.split(), "-ffunction-sections", "-fdata-sections", "-Wall", "--specs=nano.specs",
                  f"-D{part.define}", f"-I{core_inc}", f"-I{dev / 'Include'}", f"-I{lib_dir / 'include'}"]
    objects = []

    def compile_one(src, extra=()):
        obj = tmp_path / f"{len(objects)}_{src.stem}.o"
        cmd = [CC, *cube, *extra, "-c", str(src), "-o", str(obj)]
        if src.suffix == ".s":
            cmd[1:1] = ["-x", "assembler-with-cpp"]
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
        assert r.returncode == 0, f"{src.name}: {r.stderr[-3000:]}"
        objects.append(str(obj))

    compile_one(templates / "gcc" / f"startup_{part.line}xx.s")
    compile_one(templates / f"system_stm32{part.family}xx.c")
    compile_one(tmp_path / "main.c")
    for rel in manifest["sources"]:       # the library's sources, warning-free under the user's flags
        compile_one(lib_dir / rel, ("-Wextra", "-Werror", f"-I{lib_dir / 'src'}"))
    elf = tmp_path / "app.elf"
    link = [CC, *cpu, f"-T{tmp_path / 'STM32_FLASH.ld'}", "--specs=nosys.specs", "--specs=nano.specs", "-static",
            "-Wl,--gc-sections", f"-Wl,-Map={tmp_path / 'app.map'}", *objects, "-Wl,--start-group", "-lc", "-lm",
            "-Wl,--end-group", "-o", str(elf)]
    r = subprocess.run(link, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, f"link for {part.name} {opt}: {r.stderr[-3000:]}"

    sizes = sections(elf)
    used_flash = sum(sizes.get(s, 0) for s in FLASH_SECTIONS)
    used_ram = sum(sizes.get(s, 0) for s in RAM_SECTIONS)
    assert sizes[".text"] > 0 and sizes[".rodata"] >= manifest_weights(lib_dir), sizes
    assert used_flash <= int(flash["size"]), f"{part.name} {opt}: {used_flash} B of flash > {int(flash['size'])}"
    assert used_ram <= int(ram["size"]), f"{part.name} {opt}: {used_ram} B of RAM > {int(ram['size'])}"
    assert sizes[".bss"] >= arena_size(lib_dir), sizes      # the static arena is in .bss
    nm = subprocess.run(["arm-none-eabi-nm", str(elf)], capture_output=True, text=True, check=True).stdout
    kinds = {f[2]: f[1] for f in (line.split() for line in nm.splitlines()) if len(f) == 3}
    for symbol in ("kws_invoke", "kws_init", "SystemInit", "main"):
        assert kinds.get(symbol) == "T", f"{symbol}: {kinds.get(symbol)}"
    assert kinds.get("Reset_Handler") in ("T", "W")      # ST's startup file defines it weak


def _header_macro(lib_dir, macro: str) -> int:
    for line in (lib_dir / "include" / "kws.h").read_text().splitlines():
        if line.startswith(f"#define {macro} "):
            return int(line.split()[2])
    raise AssertionError(f"{macro} is not in kws.h")


def manifest_weights(lib_dir) -> int:
    return _header_macro(lib_dir, "KWS_WEIGHT_BYTES")


def arena_size(lib_dir) -> int:
    return _header_macro(lib_dir, "KWS_ARENA_SIZE")
