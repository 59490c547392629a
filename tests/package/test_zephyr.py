"""`tinygen build --library --package zephyr`: the library folder as a Zephyr module.

No Zephyr tree or west here: the module's files are checked against Zephyr's module
documentation ("Modules (External projects)": zephyr/module.yml's name, build: cmake / kconfig,
samples) and its sample conventions (prj.conf, CMakeLists.txt with find_package(Zephyr),
sample.yaml for twister), and the sources are compiled as Zephyr's build compiles a module's
sources for the M4, M7, M33 and M55: the flags of its cmake/compiler/gcc files, -imacros of an
autoconf.h written here (CONFIG_<NAME>=1) and of a stand-in for zephyr_stdint.h (Zephyr's int32_t
is int, newlib's long), with -Wall -Wextra -Werror. The sample's main.c compiles against a
zephyr/kernel.h and zephyr/sys/printk.h written here that declare the few functions it calls
(printk with its format attribute, so the format strings are checked)."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
import yaml
from tflite.Padding import Padding

from library_lib import ARM_IO, ARM_LINKER, run_arm_app
from tflite_builder import ModelBuilder
from tinygen.board import all_boards, get_board
from tinygen.build.library import ISA_MACROS
from tinygen.compiler import build, compile_source, load_source
from tinygen.package.zephyr import KCONFIG_NEEDS, zephyr_board
from tinygen.passes import CompileOptions
from tinygen.ref.interpreter import run

CC = "arm-none-eabi-gcc"
NAME = "tiny"
EXTERNAL_ARENA = "b-u585i-iot02a"      # the board whose library the fixture builds with --arena external
needs_arm = pytest.mark.skipif(shutil.which(CC) is None, reason=f"{CC} is not installed (make toolchain)")

# What Zephyr's build passes to GCC for every source of an Arm Cortex-M image (cmake/compiler/gcc/
# compiler_flags.cmake, target_arm.cmake, the top-level CMakeLists.txt): -Os is CONFIG_SIZE_OPTIMIZATIONS,
# Zephyr's default; -mfp16-format=ieee comes with CONFIG_FP16 (default y). -Wextra -Werror: the house's bar.
ZEPHYR_FLAGS = ("-Os", "-ffreestanding", "-fno-common", "-fno-strict-aliasing", "-fno-pic", "-fno-pie",
                "-fno-asynchronous-unwind-tables", "-fno-reorder-functions", "-fno-defer-pop", "-fno-printf-return-value",
                "-ffunction-sections", "-fdata-sections", "-mthumb", "-mabi=aapcs", "-mfp16-format=ieee",
                "-Wall", "-Wformat", "-Wformat-security", "-Wno-format-zero-length", "-Wdouble-promotion",
                "-Wno-pointer-sign", "-Wpointer-arith", "-Wexpansion-to-defined", "-Wno-unused-but-set-variable",
                "-Werror=implicit-int", "-Wextra", "-Werror")
# Each core as Zephyr compiles for it with CONFIG_FPU=y (gcc-m-cpu.cmake, gcc-m-fpu.cmake: the board's
# SoC selects the FPU's precision, the DSP extension and, on the STM32N6, MVE-I and MVE-F)
ZEPHYR_CORES = {
    "nucleo-f446re": ("-mcpu=cortex-m4", "-mfpu=fpv4-sp-d16", "-mfloat-abi=hard"),
    "nucleo-f746zg": ("-mcpu=cortex-m7", "-mfpu=fpv5-sp-d16", "-mfloat-abi=hard"),
    "b-u585i-iot02a": ("-mcpu=cortex-m33", "-mfpu=fpv5-sp-d16", "-mfloat-abi=hard"),
    "stm32n6570-dk": ("-mcpu=cortex-m55", "-mfpu=auto", "-mfloat-abi=hard"),
}
# Zephyr's C standard: C17 from 4.3 on, C99 before (3.7 LTS included)
C17, C99 = "-std=c17", "-std=c99"

# what the sample's main.c takes from Zephyr, declared as Zephyr declares it
KERNEL_H = """#include <stdint.h>
#define __aligned(x) __attribute__((__aligned__(x)))
uint32_t k_cycle_get_32(void);
uint32_t k_cyc_to_us_floor32(uint64_t t);
"""
PRINTK_H = "void printk(const char *fmt, ...) __attribute__((format(printf, 1, 2)));\n"
# zephyr_stdint.h's effect: 32-bit types are int, 64-bit long long, pointers' integers long
STDINT = "".join(f"#undef {m.split('(')[0]}\n#define {m} {t}\n" for m, t in (
    ("__INT32_TYPE__", "int"), ("__UINT32_TYPE__", "unsigned int"), ("__INT_LEAST32_TYPE__", "int"),
    ("__UINT_LEAST32_TYPE__", "unsigned int"), ("__INT_FAST32_TYPE__", "int"), ("__UINT_FAST32_TYPE__", "unsigned int"),
    ("__INTPTR_TYPE__", "long int"), ("__UINTPTR_TYPE__", "long unsigned int"),
    ("__INT32_C(c)", "c"), ("__UINT32_C(c)", "c ## U")))


def tiny_model(path: Path) -> Path:
    """A .tflite of three layers the boards' DSP and Helium kernels take: CONV_2D, FULLY_CONNECTED, SOFTMAX."""
    rng = np.random.default_rng(3)
    b = ModelBuilder()
    x = b.tensor("x", [1, 8, 8, 1], scale=0.05, zero_point=-3)
    ws = rng.uniform(0.005, 0.02, 4)
    w = b.tensor("w", [4, 3, 3, 1], scale=ws, zero_point=[0] * 4, data=rng.integers(-100, 100, (4, 3, 3, 1)))
    bias = b.tensor("b", [4], "int32", scale=0.05 * ws, zero_point=[0] * 4, data=rng.integers(-500, 500, 4))
    y = b.tensor("y", [1, 6, 6, 4], scale=0.04, zero_point=-10)
    b.op("CONV_2D", [x, w, bias], [y], "Conv2DOptions", Padding=Padding.VALID, StrideH=1, StrideW=1)
    fw = b.tensor("fw", [3, 144], scale=0.01, zero_point=0, data=rng.integers(-100, 100, (3, 144)))
    fb = b.tensor("fb", [3], "int32", scale=0.0004, zero_point=0, data=rng.integers(-500, 500, 3))
    z = b.tensor("z", [1, 3], scale=0.1, zero_point=5)
    b.op("FULLY_CONNECTED", [y, fw, fb], [z], "FullyConnectedOptions")
    p = b.tensor("p", [1, 3], scale=1 / 256, zero_point=-128)
    b.op("SOFTMAX", [z], [p], "SoftmaxOptions", Beta=1.0)
    path.write_bytes(b.finish([x], [p]))
    return path


@pytest.fixture(scope="module")
def modules(tmp_path_factory) -> dict[str, tuple[Path, dict, object]]:
    """The tiny model's library with --package zephyr for each core's board (the M33's with
    --arena external): name -> (DIR, manifest, compiled graph)."""
    folder = tmp_path_factory.mktemp("zephyr")
    source = load_source(tiny_model(folder / "tiny.tflite"))
    out = {}
    for board_name in ZEPHYR_CORES:
        board = get_board(board_name)
        graph = compile_source(source, None, CompileOptions(features=board.isa_features))
        result = build(source, graph, board, folder / board_name, library=NAME, packages=("zephyr",),
                       arena_external=board_name == EXTERNAL_ARENA)
        out[board_name] = (result.out_dir, result.manifest, graph)
    return out


def _kconfig_symbol(text: str) -> tuple[str, list[str], str]:
    """zephyr/Kconfig's one symbol: its name, its `depends on` expressions, its type line."""
    names = re.findall(r"^config (\w+)$", text, re.MULTILINE)
    assert len(names) == 1, names
    return (names[0], re.findall(r"^\tdepends on (.+)$", text, re.MULTILINE),
            re.search(r"^\t((bool|tristate|int|string|hex) .*)$", text, re.MULTILINE).group(1))


def _module_sources(lib: Path) -> list[str]:
    """The files zephyr/CMakeLists.txt's zephyr_library_sources() names, relative to the module's root."""
    cmake = (lib / "zephyr/CMakeLists.txt").read_text()
    listed = re.search(r"zephyr_library_sources\(([^)]*)\)", cmake).group(1).split()
    assert all(s.startswith("${ZEPHYR_CURRENT_MODULE_DIR}/") for s in listed), listed
    return [s.split("}/", 1)[1] for s in listed]


def test_zephyr_module_files_follow_zephyr_module_docs(modules):
    lib, manifest, _ = modules["nucleo-f746zg"]
    files = manifest["packages"]["zephyr"]
    assert sorted(files) == sorted(["zephyr/module.yml", "zephyr/CMakeLists.txt", "zephyr/Kconfig",
                                    f"samples/{NAME}/CMakeLists.txt", f"samples/{NAME}/prj.conf",
                                    f"samples/{NAME}/sample.yaml", f"samples/{NAME}/src/main.c"])
    assert all((lib / f).is_file() for f in files)

    # module.yml: the keys the docs define, and paths that exist relative to the module's root
    module = yaml.safe_load((lib / "zephyr/module.yml").read_text())
    assert set(module) <= {"name", "build", "samples", "tests", "boards", "blobs", "security"}
    assert module["name"] == NAME
    assert set(module["build"]) <= {"cmake", "kconfig", "cmake-ext", "kconfig-ext", "sysbuild-cmake",
                                    "sysbuild-kconfig", "sysbuild-cmake-ext", "sysbuild-kconfig-ext", "depends", "settings"}
    assert (lib / module["build"]["cmake"] / "CMakeLists.txt").is_file()
    assert (lib / module["build"]["kconfig"]).is_file()
    assert isinstance(module["samples"], list) and module["samples"]
    assert all((lib / s).is_dir() and list((lib / s).rglob("sample.yaml")) for s in module["samples"])

    # CMakeLists.txt: exactly the library's sources, every src/*.c, inside if(CONFIG_<symbol>)
    cmake = (lib / "zephyr/CMakeLists.txt").read_text()
    symbol, depends, kind = _kconfig_symbol((lib / "zephyr/Kconfig").read_text())
    assert kind.startswith("bool ") and symbol == NAME.upper()
    body = cmake[cmake.index(f"if(CONFIG_{symbol})"):]
    assert body.rstrip().endswith("endif()") and len(re.findall(r"\bif\(", body)) == 1
    assert "zephyr_library()" in body
    assert body.count("zephyr_library_sources(") == 1
    assert sorted(_module_sources(lib)) == sorted(manifest["library"]["sources"]) == sorted(p.relative_to(lib).as_posix() for p in (lib / "src").glob("*.c"))
    assert "zephyr_include_directories(${ZEPHYR_CURRENT_MODULE_DIR}/include)" in body
    assert "zephyr_library_include_directories(${ZEPHYR_CURRENT_MODULE_DIR}/src)" in body
    assert depends == [f"({KCONFIG_NEEDS['dsp']})"]     # the F746ZG's DSP kernels

    # the sample: Zephyr's application layout, prj.conf switching the module on, twister's sample.yaml
    sample = lib / "samples" / NAME
    conf = dict(line.split("=", 1) for line in (sample / "prj.conf").read_text().splitlines()
                if line and not line.startswith("#"))
    assert conf[f"CONFIG_{symbol}"] == "y" and conf["CONFIG_PRINTK"] == "y" and conf["CONFIG_FPU"] == "y"
    assert int(conf["CONFIG_MAIN_STACK_SIZE"]) >= manifest["library"]["stack_bytes"] + 1024
    app = (sample / "CMakeLists.txt").read_text()
    assert app.index("cmake_minimum_required(") < app.index("find_package(Zephyr REQUIRED") < app.index("project(")
    extra = re.search(r"^list\(APPEND EXTRA_ZEPHYR_MODULES \$\{CMAKE_CURRENT_LIST_DIR\}/(.+)\)$", app, re.MULTILINE)
    assert extra.start() < app.index("find_package(Zephyr") and (sample / extra.group(1)).resolve() == lib.resolve()
    assert "target_sources(app PRIVATE src/main.c)" in app
    spec = yaml.safe_load((sample / "sample.yaml").read_text())
    assert spec["sample"]["name"] == NAME and spec["sample"]["description"]
    (scenario_name, scenario), = spec["tests"].items()
    assert scenario_name == f"sample.tinygen.{NAME}" and scenario["harness"] == "console"
    assert scenario["platform_allow"] == scenario["integration_platforms"] == ["nucleo_f746zg"]
    assert re.search(scenario["harness_config"]["regex"][0], f"{NAME}: invoke 0 in 123 us (4567 cycles)")


def test_zephyr_kconfig_depends_on_what_each_boards_kernels_need(modules):
    expected = {"nucleo-f446re": ["dsp"], "nucleo-f746zg": ["dsp"], "b-u585i-iot02a": ["dsp"],
                "stm32n6570-dk": ["dsp", "mve"]}
    for board_name, (lib, manifest, _) in modules.items():
        assert manifest["library"]["isa"] == expected[board_name], board_name
        _, depends, _ = _kconfig_symbol((lib / "zephyr/Kconfig").read_text())
        assert depends == [f"({KCONFIG_NEEDS[f]})" for f in expected[board_name]]
    assert set(KCONFIG_NEEDS) == set(ISA_MACROS)


def test_zephyr_board_named_by_every_arm_board_file():
    """Every shipped Cortex-M board names its Zephyr board ([zephyr] board), and no two the same."""
    arm = [b for b in all_boards() if b.build == "cortex-m"]
    assert not [b.name for b in arm if zephyr_board(b) is None]
    named = [zephyr_board(b) for b in all_boards() if zephyr_board(b)]
    assert len(named) == len(set(named)), named


def _zephyr_headers(folder: Path) -> Path:
    """`folder`/stubs: zephyr/kernel.h and zephyr/sys/printk.h as the sample needs them."""
    stubs = folder / "stubs"
    (stubs / "zephyr/sys").mkdir(parents=True)
    (stubs / "zephyr/kernel.h").write_text(KERNEL_H)
    (stubs / "zephyr/sys/printk.h").write_text(PRINTK_H)
    return stubs


def _compile(folder: Path, lib: Path, flags: tuple[str, ...]) -> subprocess.CompletedProcess:
    """The library's sources and the sample's main.c compiled as Zephyr compiles a module's and an
    application's sources, into `folder`."""
    stubs = _zephyr_headers(folder)
    (folder / "autoconf.h").write_text(f"#define CONFIG_{NAME.upper()} 1\n#define CONFIG_FPU 1\n#define CONFIG_PRINTK 1\n")
    (folder / "zephyr_stdint.h").write_text(STDINT)
    sources = [str(lib / s) for s in _module_sources(lib)] + [str(lib / "samples" / NAME / "src/main.c")]
    return subprocess.run([CC, *ZEPHYR_FLAGS, *flags, "-imacros", str(folder / "autoconf.h"),
                           "-imacros", str(folder / "zephyr_stdint.h"), f"-I{stubs}", f"-I{lib / 'include'}",
                           f"-I{lib / 'src'}", "-c", *sources], cwd=folder, capture_output=True, text=True)


@needs_arm
@pytest.mark.parametrize("board_name, std", [(b, C17) for b in ZEPHYR_CORES] + [("nucleo-f746zg", C99)])
def test_zephyr_module_compiles_with_zephyrs_flags(modules, tmp_path, board_name, std):
    lib, manifest, _ = modules[board_name]
    done = _compile(tmp_path / "obj", lib, (*ZEPHYR_CORES[board_name], std))
    assert done.returncode == 0, done.stderr[-3000:]
    objects = sorted(p.name for p in (tmp_path / "obj").glob("*.o"))
    assert objects == sorted([Path(s).stem + ".o" for s in manifest["library"]["sources"]] + ["main.o"])
    main_c = (lib / "samples" / NAME / "src/main.c").read_text()
    assert (f"{NAME}_init(arena)" in main_c) == (board_name == EXTERNAL_ARENA)


@needs_arm
def test_zephyr_module_refuses_a_cortex_m55_without_helium(modules, tmp_path):
    """Zephyr compiles for a Cortex-M55 whose SoC does not select ARMV8_1_M_MVEI with
    -mcpu=cortex-m55+nomve: the STM32N6570-DK's library stops at its #error, which the Kconfig
    symbol's `depends on ARMV8_1_M_MVEI` turns into a configuration error first."""
    lib, _, _ = modules["stm32n6570-dk"]
    done = _compile(tmp_path / "obj", lib, ("-mcpu=cortex-m55+nomve", "-mfpu=auto", "-mfloat-abi=hard", C17))
    assert done.returncode != 0
    assert "its kernels need the Arm Helium (MVE)" in done.stderr


# The few Zephyr functions the sample calls, for the F746ZG's stand-in (QEMU mps2-an500): printk
# (%d and %u, all the sample prints) into out.txt through semihosting, a cycle counter that steps
STANDIN_KERNEL = ARM_IO + r"""
#include <stdarg.h>
#include <zephyr/kernel.h>
#include <zephyr/sys/printk.h>

static uint32_t now;
uint32_t k_cycle_get_32(void) { return now += 216000u; }
uint32_t k_cyc_to_us_floor32(uint64_t t) { return (uint32_t)(t / 216u); }

static char *put_number(char *p, uint32_t v, int negative)
{
    char digits[12];
    int n = 0;
    do {
        digits[n++] = (char)('0' + v % 10u);
        v /= 10u;
    } while (v);
    if (negative) {
        *p++ = '-';
    }
    while (n) {
        *p++ = digits[--n];
    }
    return p;
}

void printk(const char *fmt, ...)
{
    static int opened;
    char line[256], *p = line;
    va_list ap;
    va_start(ap, fmt);
    for (; *fmt && p < line + sizeof line - 12; ++fmt) {
        if (*fmt != '%') {
            *p++ = *fmt;
        } else if (*++fmt == 'd') {
            int v = va_arg(ap, int);
            p = put_number(p, v < 0 ? 0u - (uint32_t)v : (uint32_t)v, v < 0);
        } else {
            p = put_number(p, va_arg(ap, unsigned), 0);
        }
    }
    va_end(ap);
    if (!opened) {
        out_open();
        opened = 1;
    }
    out_write(line, (uint32_t)(p - line));
}
"""


@needs_arm
@pytest.mark.skipif(shutil.which("qemu-system-arm") is None, reason="qemu-system-arm is not installed (make toolchain)")
def test_zephyr_sample_prints_the_reference_scores_standin(modules, tmp_path):
    """The F746ZG's module and sample compiled with Zephyr's M7 flags, linked with the stand-in
    kernel above and run on the board's stand-in: the scores it prints equal tinygen's reference
    on the sample's input (every value at the input's zero point)."""
    lib, manifest, graph = modules["nucleo-f746zg"]
    folder = tmp_path / "obj"
    done = _compile(folder, lib, (*ZEPHYR_CORES["nucleo-f746zg"], C17))
    assert done.returncode == 0, done.stderr[-3000:]
    (folder / "kernel.c").write_text("#include <stdint.h>\n" + STANDIN_KERNEL.replace("out.bin", "out.txt"))
    (folder / "app.ld").write_text(ARM_LINKER)
    done = subprocess.run([CC, *ZEPHYR_CORES["nucleo-f746zg"], "-mthumb", "-Os", "-Wno-unused-function",
                           f"-I{folder / 'stubs'}", "-nostartfiles", "--specs=nosys.specs", "-Wl,--gc-sections",
                           "-T", "app.ld", "kernel.c", *sorted(p.name for p in folder.glob("*.o")), "-lm", "-o", "app.elf"],
                          cwd=folder, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-3000:]
    run_arm_app(folder / "app.elf")
    printed = (folder / "out.txt").read_text().splitlines()
    port = manifest["inputs"][0]
    x = np.full(port["shape"], port["zero_point"], np.int8)
    expected = run(graph, x)[graph.outputs[0]].astype(int).ravel()
    assert printed[0] == f"{NAME}: invoke 0 in 1000 us (216000 cycles)"
    assert printed[1] == f"{NAME}: output 0: " + " ".join(str(v) for v in expected)


# the sample's Zephyr functions for a host program (native_sim's role): printk is printf
HOST_KERNEL = r"""
#include <stdarg.h>
#include <stdio.h>
#include <zephyr/kernel.h>
#include <zephyr/sys/printk.h>
uint32_t k_cycle_get_32(void) { static uint32_t now; return now += 1000u; }
uint32_t k_cyc_to_us_floor32(uint64_t t) { return (uint32_t)t; }
void printk(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
}
"""


def test_zephyr_float_model_for_host_needs_libm_and_prints_milli_scores(tmp_path):
    """A float32 model (FULLY_CONNECTED, SOFTMAX: expf) built for host: its symbol depends on a C
    library with expf (not the minimal libc), its sample allows native_sim, fills the float input
    with 0.0 and prints each score times 1000; built with the host's gcc and run, the scores are
    the reference's, truncated."""
    rng = np.random.default_rng(5)
    b = ModelBuilder()
    x = b.tensor("x", [1, 6], "float32")
    w = b.tensor("w", [4, 6], "float32", data=rng.normal(0, 0.5, (4, 6)))
    bias = b.tensor("b", [4], "float32", data=rng.normal(0, 0.5, 4))
    z = b.tensor("z", [1, 4], "float32")
    b.op("FULLY_CONNECTED", [x, w, bias], [z], "FullyConnectedOptions")
    p = b.tensor("p", [1, 4], "float32")
    b.op("SOFTMAX", [z], [p], "SoftmaxOptions", Beta=1.0)
    (tmp_path / "f.tflite").write_bytes(b.finish([x], [p]))
    source, board = load_source(tmp_path / "f.tflite"), get_board("host")
    graph = compile_source(source, None, CompileOptions(features=board.isa_features))
    lib = build(source, graph, board, tmp_path / "lib", library="flt", packages=("zephyr",)).out_dir
    assert _kconfig_symbol((lib / "zephyr/Kconfig").read_text())[1] == ["!MINIMAL_LIBC"]
    sample = lib / "samples" / "flt"
    assert yaml.safe_load((sample / "sample.yaml").read_text())["tests"]["sample.tinygen.flt"]["platform_allow"] == \
        ["native_sim"]
    assert "CONFIG_FPU" not in (sample / "prj.conf").read_text()

    stubs = _zephyr_headers(tmp_path)
    (tmp_path / "kernel.c").write_text(HOST_KERNEL)
    (tmp_path / "autoconf.h").write_text("#define CONFIG_FLT 1\n")
    done = subprocess.run(["gcc", C17, "-Os", "-fno-common", "-fno-strict-aliasing", "-Wall", "-Wextra", "-Werror",
                           "-Wdouble-promotion", "-imacros", str(tmp_path / "autoconf.h"), f"-I{stubs}",
                           f"-I{lib / 'include'}", f"-I{lib / 'src'}", *[str(lib / s) for s in _module_sources(lib)],
                           str(sample / "src/main.c"), str(tmp_path / "kernel.c"), "-lm", "-o", str(tmp_path / "app")],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-3000:]
    printed = subprocess.run([str(tmp_path / "app")], capture_output=True, text=True, check=True).stdout.splitlines()
    assert printed[0] == "flt: invoke 0 in 1000 us (1000 cycles)"
    label, values = printed[1].split(":", 2)[1:]
    scores = run(graph, np.zeros((1, 6), np.float32))[graph.outputs[0]].ravel()
    assert label == " output 0 (x1000)"
    assert [int(v) for v in values.split()] == [int(np.float32(s) * np.float32(1000)) for s in scores]
