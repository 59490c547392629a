"""`tinygen build --package esp-idf`: the library folder as an ESP-IDF component.

No ESP-IDF tree, idf.py or Espressif compiler is installed here, so the component is checked
piece by piece: idf_component.yml against the component manager's manifest format; the
CMakeLists.txt by running it as ESP-IDF runs a component's (cmake -P with ESP_PLATFORM set, the
requirements pass's idf_component_register macro and the build pass's function), and as a
plain CMake project; every source, and the example's main.c, compiled for the ESP32-C3 with
ESP-IDF v5's flags (tools/cmake/build.cmake, the root CMakeLists.txt, toolchain-esp32c3.cmake)
at ESP-IDF's default -Og, -Os and -O2 (its menuconfig's levels but -O0), warning-free; and the component built at
ESP-IDF's default -Og run on the esp32-c3's stand-in (QEMU RISC-V virt), equal to the numpy
reference byte for byte. Debian's riscv64-unknown-elf-gcc has no C library: the few libc
headers the sources include are stand-ins written here. The Xtensa chips are not compiled.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
import yaml

from e2e import ROOT, run_cli
from tinygen import __version__
from tinygen.board import get_board
from tinygen.codegen.templating import template_env
from tinygen.compiler import build, compile_source, load_source
from tinygen.package import esp_idf
from tinygen.passes import CompileOptions
from tinygen.ref.interpreter import run

NAME = "kws"
RISCV_CC = "riscv64-unknown-elf-gcc"
# ESP-IDF v5 for the ESP32-C3: the common flags (build.cmake), the root CMakeLists.txt's, the chip's -march
# (riscv32-esp-elf-gcc's default ABI is ilp32; Debian's compiler needs it said)
IDF_C3 = ["-march=rv32imc_zicsr_zifencei", "-mabi=ilp32", "-D_GNU_SOURCE", "-DESP_PLATFORM", "-std=gnu17",
          "-ffunction-sections", "-fdata-sections", "-Wall", "-Werror", "-Wno-error=unused-function",
          "-Wno-error=unused-variable", "-Wno-error=unused-but-set-variable", "-Wno-error=deprecated-declarations",
          "-Wextra", "-Wno-error=extra", "-Wno-unused-parameter", "-Wno-sign-compare", "-Wno-enum-conversion",
          "-gdwarf-4", "-ggdb", "-Wno-old-style-declaration", "-fstrict-volatile-bitfields", "-fno-jump-tables",
          "-fno-tree-switch-conversion"]
# CONFIG_COMPILER_OPTIMIZATION_*: DEBUG (ESP-IDF's default), SIZE, PERF (tinygen's ESP-IDF firmware's);
# NONE (-O0) is left out
OPTIMIZATION = {"debug": ["-Og", "-fno-shrink-wrap"], "size": ["-Os", "-freorder-blocks"], "perf": ["-O2"]}
# newlib's headers as far as the library and the example include them, and ESP-IDF's esp_timer.h
LIBC = {"stdint.h": "#include <stdint-gcc.h>\n",
        "string.h": "#include <stddef.h>\nvoid *memcpy(void *d, const void *s, size_t n);\n"
                    "void *memset(void *d, int c, size_t n);\nvoid *memmove(void *d, const void *s, size_t n);\n"
                    "int memcmp(const void *a, const void *b, size_t n);\n",
        "stdio.h": "int printf(const char *format, ...) __attribute__((format(printf, 1, 2)));\n",
        "esp_timer.h": "#include <stdint.h>\nint64_t esp_timer_get_time(void);\n"}
# idf_component_register as ESP-IDF defines it in the requirements pass (a macro that returns from the
# component's CMakeLists.txt) and in the build pass (a function), recording what it was given
REGISTER = {"macro": "macro(idf_component_register)\n    {body}\n    return()\nendmacro()\n",
            "function": "function(idf_component_register)\n    {body}\nendfunction()\n"}
RECORD = ('cmake_parse_arguments(_ "" "" "SRCS;INCLUDE_DIRS;PRIV_INCLUDE_DIRS;REQUIRES;PRIV_REQUIRES" ${ARGN})\n'
          '    file(WRITE "${OUT}" "${__SRCS}\\n${__INCLUDE_DIRS}\\n${__PRIV_INCLUDE_DIRS}\\n${__REQUIRES}'
          '${__PRIV_REQUIRES}\\n")')
SAMPLES = 2

needs_cmake = pytest.mark.skipif(shutil.which("cmake") is None, reason="needs cmake (apt-get install cmake)")
needs_riscv = pytest.mark.skipif(shutil.which(RISCV_CC) is None, reason="needs riscv64-unknown-elf-gcc: sudo apt-get "
                                 "install -y --no-install-recommends gcc-riscv64-unknown-elf")
needs_qemu = pytest.mark.skipif(shutil.which(RISCV_CC) is None or shutil.which("qemu-system-riscv32") is None,
                                reason="needs riscv64-unknown-elf-gcc and qemu-system-riscv32 (qemu-system-misc)")


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """The MLPerf-style KWS DS-CNN for the esp32-c3: the library with the component, and without."""
    folder = tmp_path_factory.mktemp("espidf")
    source = load_source(ROOT / "examples" / "models" / "dscnn.py")
    board = get_board("esp32-c3")
    graph = compile_source(source, None, CompileOptions(features=board.isa_features))
    build(source, graph, board, folder / "plain", library=NAME)
    build(source, graph, board, folder / NAME, library=NAME, packages=("esp-idf",))
    build(source, graph, board, folder / "external", library=NAME, arena_external=True, packages=("esp-idf",))
    return graph, folder / NAME, folder / "plain"


def _manifest(lib: Path) -> dict:
    return json.loads((lib / "tinygen.json").read_text())


def _c_sources(lib: Path) -> list[str]:
    return _manifest(lib)["library"]["sources"]


def test_esp_idf_manifest_names_the_chip_and_the_idf_range(built):
    _, lib, _ = built
    m = yaml.safe_load((lib / "idf_component.yml").read_text())
    assert set(m) == {"version", "description", "targets", "dependencies"}
    assert m["targets"] == ["esp32c3"]                        # boards/esp32-c3.toml's idf_target
    assert m["dependencies"] == {"idf": ">=5.0"}
    # the component manager's scheme, major.minor.patch[~revision][-prerelease][+build]
    assert re.fullmatch(r"\d+\.\d+\.\d+(~\d+)?(-[0-9A-Za-z.]+)?(\+[0-9A-Za-z.]+)?", m["version"])
    assert m["version"] == f"{__version__}+{_manifest(lib)['model_hash']}"
    assert "dscnn" in m["description"] and "esp32c3" in m["description"]
    assert sorted(_manifest(lib)["packages"]["esp-idf"]) == sorted(
        ["idf_component.yml", "CMakeLists.txt"] + [f"examples/{NAME}/{f}" for f in
                                                   ("CMakeLists.txt", "main/CMakeLists.txt", "main/main.c")])


@needs_cmake
@pytest.mark.parametrize("kind", ["macro", "function"])
def test_esp_idf_cmake_registers_exactly_the_library_sources(built, tmp_path, kind):
    """The CMakeLists.txt run as ESP-IDF runs it (script mode, ESP_PLATFORM set): it registers the
    library's .c files, include/ public and src/ private, and returns before the plain library's
    project() (which script mode refuses)."""
    _, lib, _ = built
    script = tmp_path / "idf.cmake"
    script.write_text(REGISTER[kind].format(body=RECORD) + f'set(ESP_PLATFORM 1)\nset(OUT "{tmp_path / "args"}")\n'
                      f'include("{(lib / "CMakeLists.txt").as_posix()}")\nmessage(STATUS "returned")\n')
    done = subprocess.run(["cmake", "-P", str(script)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "returned" in done.stdout
    srcs, includes, private, requires = (tmp_path / "args").read_text().split("\n")[:4]
    assert srcs.split(";") == _c_sources(lib)
    assert all((lib / s).is_file() for s in srcs.split(";"))
    assert (includes, private, requires) == ("include", "src", "")
    assert sorted(p.name for p in (lib / "include").iterdir()) == [f"{NAME}.h"]


@needs_cmake
def test_esp_idf_component_keeps_the_plain_library(built, tmp_path):
    """Outside ESP-IDF the CMakeLists.txt is the plain library's, byte for byte after the ESP-IDF
    branch; every other file of the library is the one a build without --package writes; and a
    CMake project configures with add_subdirectory of the component."""
    _, lib, plain = built
    assert (lib / "CMakeLists.txt").read_text().endswith("endif()\n\n" + (plain / "CMakeLists.txt").read_text())
    written = set(_manifest(lib)["packages"]["esp-idf"]) | {"tinygen.json"}
    files = {p.relative_to(lib).as_posix() for p in lib.rglob("*") if p.is_file()}
    assert files - written == {p.relative_to(plain).as_posix() for p in plain.rglob("*") if p.is_file()} - written
    for rel in files - written:
        assert (lib / rel).read_bytes() == (plain / rel).read_bytes(), rel
    (tmp_path / "CMakeLists.txt").write_text(f"cmake_minimum_required(VERSION 3.13)\nproject(app C)\n"
                                             f"add_subdirectory({lib.as_posix()} {NAME})\n")
    done = subprocess.run(["cmake", "-S", ".", "-B", "out"], cwd=tmp_path, capture_output=True, text=True)
    assert done.returncode == 0, (done.stdout + done.stderr)[-3000:]
    assert (tmp_path / "out" / NAME / "CMakeFiles" / f"{NAME}.dir").is_dir()      # the static library target


def _compile_c3(lib: Path, folder: Path, level: str, sources: list[Path]) -> list[Path]:
    """`sources` compiled as ESP-IDF compiles the component for the ESP32-C3; no warning allowed."""
    libc = folder / "libc"
    libc.mkdir(exist_ok=True)
    for name, text in LIBC.items():
        (libc / name).write_text(text)
    objs = []
    for src in sources:
        obj = folder / f"{src.stem}.o"
        done = subprocess.run([RISCV_CC, *IDF_C3, *OPTIMIZATION[level], f"-I{libc}", f"-I{lib / 'include'}",
                               f"-I{lib / 'src'}", "-c", str(src), "-o", str(obj)], capture_output=True, text=True)
        assert done.returncode == 0 and not done.stderr, f"{src.name} at {level}: {done.stderr[-3000:]}"
        objs.append(obj)
    return objs


@pytest.fixture(scope="module")
def c3_objects(built, tmp_path_factory):
    """The component's sources and the example's main.c compiled for the ESP32-C3 at one
    optimization level (each level once per module)."""
    _, lib, _ = built
    done = {}

    def objects(level: str) -> list[Path]:
        if level not in done:
            done[level] = _compile_c3(lib, tmp_path_factory.mktemp(level), level, [lib / s for s in _c_sources(lib)]
                                      + [lib / "examples" / NAME / "main" / "main.c"])
        return done[level]
    return objects


@needs_riscv
@pytest.mark.parametrize("level", [pytest.param(level, marks=[] if level == "debug" else [pytest.mark.slow])
                                   for level in OPTIMIZATION])      # -Os and -O2 take a while: slow
def test_esp_idf_sources_compile_for_esp32c3_with_idf_flags(built, c3_objects, level):
    _, lib, _ = built
    objs = c3_objects(level)
    assert [o.stem for o in objs] == [Path(s).stem for s in _c_sources(lib)] + ["main"]
    assert all(o.stat().st_size > 0 for o in objs)


@needs_riscv
@pytest.mark.parametrize("dtype,arena", [("int8", "external"), ("uint8", "static"), ("int16", "static"),
                                         ("int32", "static"), ("float32", "static")])
def test_esp_idf_example_compiles_for_each_output_type_and_arena(built, tmp_path, dtype, arena):
    """The example's main.c as written for an output of each type the example prints (printf's
    conversions checked by -Wall's -Wformat) and for an external arena."""
    _, lib, _ = built
    source = lib.parent / "external" if arena == "external" else lib
    copy = tmp_path / NAME
    shutil.copytree(source, copy)
    info = _manifest(copy)
    info["outputs"][0]["dtype"] = dtype
    assert f"examples/{NAME}/main/main.c" in esp_idf.write(copy, info, get_board("esp32-c3"))
    main_c = copy / "examples" / NAME / "main" / "main.c"
    assert f"const {esp_idf.OUTPUT_C[dtype][0]} *scores" in main_c.read_text()
    assert (f"{NAME}_init(arena)" in main_c.read_text()) == (arena == "external")
    _compile_c3(copy, tmp_path, "debug", [main_c])


# the stand-in's I/O: output bytes as hex on the virt machine's UART, exit through its test device
STANDIN_IO = r"""
#define UART ((volatile uint8_t *)0x10000000u)
static void put_hex(const int8_t *p, int32_t n)
{
    static const char digits[] = "0123456789abcdef";
    for (int32_t i = 0; i < n; ++i) {
        UART[0] = (uint8_t)digits[((uint8_t)p[i]) >> 4];
        UART[0] = (uint8_t)digits[((uint8_t)p[i]) & 15u];
    }
    UART[0] = '\n';
}
void tg_port_exit(int code);
void tg_port_exit(int code)
{
    *(volatile uint32_t *)0x100000u = code == 0 ? 0x5555u : (((uint32_t)code << 16) | 0x3333u);
    for (;;) {
    }
}
"""


@needs_qemu
def test_esp_idf_component_at_og_runs_bit_exact_on_esp32c3_standin(built, c3_objects, tmp_path):
    """The component compiled with ESP-IDF's default flags (-Og), linked with the stand-in's start
    file and memory functions, invoked on seeded inputs: every output equals the reference."""
    graph, lib, _ = built
    rng = np.random.default_rng(71)
    shape = graph.tensor(graph.inputs[0]).shape
    inputs = [rng.integers(-128, 128, shape).astype(np.int8) for _ in range(SAMPLES)]
    rows = ",\n".join("    {" + ", ".join(str(int(v)) for v in x.ravel()) + "}" for x in inputs)
    (tmp_path / "main.c").write_text(
        f'#include <stdint.h>\n#include <string.h>\n#include "{NAME}.h"\n{STANDIN_IO}\n'
        f"static const int8_t samples[{SAMPLES}][{inputs[0].size}] = {{\n{rows}\n}};\n"
        f"int main(void);\nint main(void)\n{{\n    {NAME}_init();\n    for (int s = 0; s < {SAMPLES}; ++s) {{\n"
        f"        memcpy({NAME}_input(0), samples[s], sizeof samples[s]);\n"
        f"        if ({NAME}_invoke() != 0) {{ return 7; }}\n"
        f"        put_hex({NAME}_output(0), {NAME}_output_size(0));\n    }}\n    return 0;\n}}\n")
    port = ROOT / "firmware" / "ports" / "riscv_virt"
    objs = c3_objects("debug")[:-1] + _compile_c3(lib, tmp_path, "debug", [tmp_path / "main.c", port / "tg_libc.c"])
    board = get_board("esp32-c3")
    (tmp_path / "app.ld").write_text(template_env().get_template("linker/riscv.ld.j2").render(
        flash_origin="0x80000000", flash_size=f"0x{int(board.region('flash')['size']):X}", ram_origin="0x80400000",
        ram_size=f"0x{int(board.region('ram')['size']):X}", stack_size="0x2000", arena=None, boot_origin=None))
    elf = tmp_path / "app.elf"
    done = subprocess.run([RISCV_CC, "-march=rv32imc", "-mabi=ilp32", "-nostdlib", "-nostartfiles", "-Wl,--gc-sections",
                           "-T", str(tmp_path / "app.ld"), str(port / "tg_start.S"), *map(str, objs), "-lgcc",
                           "-o", str(elf)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-3000:]
    done = subprocess.run(["qemu-system-riscv32", "-M", "virt", "-bios", "none", "-display", "none", "-monitor", "none",
                           "-serial", "stdio", "-kernel", str(elf)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, f"exit {done.returncode}: {done.stdout[-500:]} {done.stderr[-500:]}"
    got = [bytes.fromhex(line) for line in done.stdout.split()]
    want = [run(graph, x)[graph.outputs[0]].astype(np.int8).tobytes() for x in inputs]
    assert len(got) == SAMPLES
    for s, (g, w) in enumerate(zip(got, want)):
        diff = np.flatnonzero(np.frombuffer(g, np.int8) != np.frombuffer(w, np.int8))
        assert diff.size == 0, f"sample {s}: first differing indices {diff[:8]}"


@pytest.mark.parametrize("board", ["f746zg", "host"])
def test_esp_idf_refuses_a_board_esp_idf_cannot_build_for(tmp_path, board):
    out = tmp_path / "out"
    code, _, err = run_cli("build", ROOT / "examples" / "models" / "mlp.py", "--board", board,
                           "--package", "esp-idf", "-o", out)
    assert code == 2
    assert err.startswith("tinygen build: error: --package esp-idf: board") and "is not an ESP-IDF board" in err
    assert "--board esp32-c3" in err and "Traceback" not in err
    assert not out.exists()
