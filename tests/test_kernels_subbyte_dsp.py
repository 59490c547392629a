"""The ARMv7E-M sub-byte and power-of-two weight kernels (tg_conv2d_s8_{s4,s2,p4}_s8_dsp)
on the Cortex-M7 (mps2-an500, the F746ZG's stand-in) and Cortex-M4 (mps2-an386, the
F446RE's) QEMU stand-ins, against the numpy twins (tinygen.ref.subbyte), byte for byte.

A firmware holds the cases as constant arrays (geometry drawn like the host tests: odd
sizes, K odd and not a multiple of the 8 or 16 codes of a weight word, channels 1, 3, 5,
17, 64, stride 2, dilation, every padding, asymmetric zero points, left shifts, odd /
zero_code on and off, odd and even pixel counts), runs every kernel call in turn and
prints each output in hex with the executed instructions the call took (the port's
counter: one timer tick per 40 instructions). benchmarks/lowbit_rows_subbyte.py runs the
same harness for its measurements. The kernels also compile with the strict flags for
both cores, and the C scratch formula equals tinygen.quant.pack_subbyte's.
"""

from __future__ import annotations

import ctypes
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from kernel_lib import KERNEL_DIR, assert_same
from test_kernels_subbyte import KINDS, TWINS, subbyte_case, subbyte_geometry
from test_port_cortexm import FIRMWARE, LINK, PORTS, layout, port_sources, render_linker_script

from tinygen.board import get_board
from tinygen.quant.pack_subbyte import dsp_scratch_bytes

STRICT = ["-std=c99", "-O2", "-Wall", "-Wextra", "-Werror", "-Wshadow", "-Wconversion", "-Wdouble-promotion"]
BOARDS = {"cortex-m7": "nucleo-f746zg", "cortex-m4": "nucleo-f446re"}
ARM_GCC = shutil.which("arm-none-eabi-gcc")
needs_arm_gcc = pytest.mark.skipif(ARM_GCC is None, reason="arm-none-eabi-gcc is not installed "
                                   "(apt-get install gcc-arm-none-eabi libnewlib-arm-none-eabi)")
needs_qemu = pytest.mark.skipif(shutil.which("qemu-system-arm") is None or ARM_GCC is None,
                                reason="the Cortex-M stand-ins need qemu-system-arm and arm-none-eabi-gcc")
SUBBYTE_SOURCES = sorted(KERNEL_DIR.glob("tg_conv2d_s8_[sp][42]_s8*.c"))
SCRATCH_BYTES = 24 * 1024   # the firmware's scratch buffer: every case's kernel must fit


# -- the stand-in harness -----------------------------------------------------------------

@dataclass
class Call:
    """One kernel call in the firmware: `call` is its C statement over the case's arrays
    (named p, input, weights, bias, multiplier, shift, scratch, output), `struct` the type of
    its params p; arrays: name -> (C element type, values)."""
    call: str
    struct: str
    params: dict
    arrays: dict
    out_size: int
    result: np.ndarray | None = None
    instructions: int | None = None


def subbyte_call(kind: str, p: dict, x, packed, b, m, s, dsp: bool = True) -> Call:
    bias = "bias" if b is not None else "NULL"
    name = f"tg_conv2d_s8_{kind}_s8" + ("_dsp" if dsp else "")
    tail = "scratch, output" if dsp else "output"
    arrays = {"input": ("int8_t", x), "weights": ("uint8_t", packed), "multiplier": ("int32_t", m),
              "shift": ("int32_t", s)}
    if b is not None:
        arrays["bias"] = ("int32_t", b)
    return Call(f"{name}(&p, input, weights, {bias}, multiplier, shift, {tail});",
                "tg_conv2d_subbyte_params_t", p, arrays, p["out_h"] * p["out_w"] * p["out_c"])


def _c_array(name: str, ctype: str, values) -> str:
    flat = np.asarray(values).reshape(-1)
    body = ", ".join(str(int(v)) for v in flat) if flat.size else "0"
    return f"static const {ctype} {name}[] __attribute__((aligned(8))) = {{{body}}};"


def firmware_source(calls: list[Call]) -> str:
    lines = ['#include <stddef.h>', '#include <stdint.h>', '#include "tg_kernels.h"',
             '#include "tg_kernels_subbyte.h"', '#include "tg_port.h"', "",
             f"static int8_t scratch[{SCRATCH_BYTES}] __attribute__((aligned(8)));",
             f"static int8_t output[{max(c.out_size for c in calls)}];", "",
             "static void put(const char *s, size_t n) { tg_port_write(s, n); }",
             "static void put_hex(uint32_t v, int digits)",
             "{ char b[8]; int i; for (i = digits - 1; i >= 0; --i) { b[i] = \"0123456789abcdef\"[v & 15u];"
             " v >>= 4; } put(b, (size_t)digits); }",
             "static void report(int n, uint64_t count, int32_t size)",
             "{ int32_t i; put(\"R \", 2); put_hex((uint32_t)n, 4); put(\" \", 1);"
             " put_hex((uint32_t)count, 8); put(\" \", 1);",
             "  for (i = 0; i < size; ++i) { put_hex((uint8_t)output[i], 2); } put(\"\\n\", 1); }", ""]
    for i, c in enumerate(calls):
        lines.append(f"static void case_{i}(void)\n{{")
        for name, (ctype, values) in c.arrays.items():
            lines.append("    " + _c_array(name, ctype, values))
        init = ", ".join(f".{k} = {int(v)}" for k, v in c.params.items())
        lines += [f"    static const {c.struct} p = {{{init}}};", "    uint64_t t0, t1;",
                  "    t0 = tg_port_counter();", f"    {c.call}", "    t1 = tg_port_counter();",
                  f"    report({i}, t1 - t0, {c.out_size});", "}", ""]
    lines += ["int main(void)", "{", "    tg_port_init();"]
    lines += [f"    case_{i}();" for i in range(len(calls))]
    lines += ['    put("done\\n", 5);', "    tg_port_exit(0);", "}", ""]
    return "\n".join(lines)


def run_on_standin(calls: list[Call], core: str, work: Path, timeout: float = 300,
                   extra_sources: tuple[str, ...] = ()) -> list[Call]:
    """Builds one firmware running every call for the core's board stand-in (with the
    sub-byte kernels and the extra_sources in firmware/kernels), runs it under QEMU and
    fills each call's result and instruction count."""
    board = get_board(BOARDS[core])
    port = board.emulator["port"]
    work.mkdir(parents=True, exist_ok=True)
    src = work / "cases.c"
    src.write_text(firmware_source(calls))
    ld = render_linker_script(layout(board, True), work / "standin.ld")
    elf = work / f"cases-{core}.elf"
    kernels = [str(p) for p in SUBBYTE_SOURCES] + [str(KERNEL_DIR / name) for name in extra_sources]
    arch = [f for f in board.cflags if f.startswith("-m")]
    cmd = [board.cc, *board.cflags, f"-I{KERNEL_DIR}", f"-I{PORTS / 'cortexm'}",
           f"-I{PORTS / port}", f"-I{FIRMWARE / 'runtime'}", str(src), *kernels,
           *map(str, port_sources(port)), *arch, *LINK, "-T", str(ld), "-o", str(elf)]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    if done.returncode != 0:
        raise AssertionError(f"firmware build failed:\n{done.stderr[-4000:]}")
    qemu = [board.emulator["qemu"], "-M", board.emulator["machine"], "-display", "none", "-monitor", "none",
            "-serial", "stdio", *board.emulator["args"], "-kernel", str(elf)]
    run = subprocess.run(qemu, capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL)
    lines = [ln for ln in run.stdout.splitlines() if ln.startswith("R ")]
    assert run.returncode == 0 and "done" in run.stdout, (
        f"stand-in run failed (status {run.returncode}):\n{run.stdout[-2000:]}\n{run.stderr[-2000:]}")
    assert len(lines) == len(calls), f"{len(lines)} results for {len(calls)} calls"
    for line, c in zip(lines, calls):
        _, _, count, data = line.split(" ")
        c.instructions = int(count, 16)
        c.result = np.frombuffer(bytes.fromhex(data), dtype=np.int8)
    return calls


# -- tests ------------------------------------------------------------------------------------

@needs_arm_gcc
@pytest.mark.parametrize("core", list(BOARDS))
@pytest.mark.parametrize("source", SUBBYTE_SOURCES, ids=lambda p: p.stem)
def test_subbyte_kernel_compiles_strict(source, core, tmp_path):
    fpu = {"cortex-m7": "fpv5-sp-d16", "cortex-m4": "fpv4-sp-d16"}[core]
    cmd = [ARM_GCC, f"-mcpu={core}", "-mthumb", "-mfloat-abi=hard", f"-mfpu={fpu}", *STRICT,
           "-c", str(source), "-o", str(tmp_path / "k.o")]
    done = subprocess.run(cmd, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def test_dsp_scratch_formula_matches_c(tmp_path):
    shim = tmp_path / "size.c"
    shim.write_text('#include "tg_kernels_subbyte.h"\n'
                    "int32_t tgt_size(const tg_conv2d_subbyte_params_t *p, int32_t bits, int32_t table)\n"
                    "{ return tg_conv2d_subbyte_dsp_buffer_size(p, bits, table); }\n")
    so = tmp_path / "size.so"
    subprocess.run(["gcc", *STRICT, "-shared", "-fPIC", f"-I{KERNEL_DIR}", str(shim), "-o", str(so)], check=True)
    lib = ctypes.CDLL(str(so))
    from kernel_lib import parse_structs
    fields = dict(parse_structs((KERNEL_DIR / "tg_kernels_subbyte.h").read_text()))
    cls = type("P", (ctypes.Structure,), {"_fields_": fields["tg_conv2d_subbyte_params_t"]})
    for kind in KINDS:
        bits = KINDS[kind][0]
        for kh, kw, c in [(1, 1, 1), (1, 1, 7), (3, 3, 3), (5, 3, 17), (1, 1, 64), (3, 3, 64)]:
            s = cls(kernel_h=kh, kernel_w=kw, in_c=c)
            p = {"kernel_h": kh, "kernel_w": kw, "in_c": c}
            assert lib.tgt_size(ctypes.byref(s), bits, int(kind == "p4")) == dsp_scratch_bytes(p, kind)


def drawn_cases(n: int, seed: int) -> list[tuple[str, dict, tuple]]:
    """n cases, the kinds in turn, drawn by hypothesis (derandomized) from the host tests' geometry."""
    cases = []

    @settings(derandomize=True, max_examples=n, deadline=None, database=None)
    @given(data=st.data(), s=st.integers(0, 2**32 - 1), with_bias=st.booleans())
    def draw(data, s, with_bias):
        kind = list(KINDS)[len(cases) % len(KINDS)]     # each kind in turn
        p = data.draw(subbyte_geometry(kind))
        if p["out_h"] * p["out_w"] * p["out_c"] <= 2048 and dsp_scratch_bytes(p, kind) <= SCRATCH_BYTES:
            cases.append((kind, p, subbyte_case(kind, p, s ^ seed, with_bias)))

    draw()
    return cases


def _check(core: str, cases, tmp_path) -> None:
    calls = [subbyte_call(kind, p, *args) for kind, p, args in cases]
    run_on_standin(calls, core, tmp_path)
    for (kind, p, args), c in zip(cases, calls):
        expected = TWINS[kind](p, *args).reshape(-1)
        assert_same(expected, c.result, f"tg_conv2d_s8_{kind}_s8_dsp on {core}, p={p}")


def fixed_cases() -> list[tuple[str, dict, tuple]]:
    """Every kind x flag on shapes that reach each path: 1 and 64 channels, K = 1, 9, 75,
    576, an odd pixel count (the last pixel alone), stride 2 with padding, a 1x1 image (FC)."""
    base = {"stride_h": 1, "stride_w": 1, "dilation_h": 1, "dilation_w": 1, "input_offset": 5,
            "output_offset": -7, "act_min": -128, "act_max": 127}
    shapes = [
        dict(in_h=1, in_w=1, in_c=1, out_h=1, out_w=1, out_c=3, kernel_h=1, kernel_w=1, pad_top=0, pad_left=0),
        dict(in_h=1, in_w=1, in_c=75, out_h=1, out_w=1, out_c=17, kernel_h=1, kernel_w=1, pad_top=0, pad_left=0),
        dict(in_h=5, in_w=3, in_c=3, out_h=5, out_w=3, out_c=5, kernel_h=3, kernel_w=3, pad_top=1, pad_left=1),
        dict(in_h=6, in_w=6, in_c=64, out_h=3, out_w=3, out_c=64, kernel_h=3, kernel_w=3, pad_top=1,
             pad_left=1, stride_h=2, stride_w=2),
        dict(in_h=7, in_w=5, in_c=5, out_h=4, out_w=5, out_c=7, kernel_h=5, kernel_w=3, pad_top=2, pad_left=1,
             stride_h=2, input_offset=-100, output_offset=50, act_min=0, act_max=100),
    ]
    cases = []
    for i, shape in enumerate(shapes):
        for kind in KINDS:
            for flag in (0, 1):
                p = {**base, **shape, "odd": flag if kind != "p4" else 0, "zero_code": flag if kind == "p4" else 0}
                p = {k: p[k] for k in ("in_h", "in_w", "in_c", "out_h", "out_w", "out_c", "kernel_h", "kernel_w",
                                       "stride_h", "stride_w", "dilation_h", "dilation_w", "pad_top", "pad_left",
                                       "input_offset", "output_offset", "act_min", "act_max", "odd", "zero_code")}
                cases.append((kind, p, subbyte_case(kind, p, 100 * i + flag, i % 2 == 0)))
    return cases


@needs_qemu
@pytest.mark.parametrize("core", list(BOARDS))
def test_subbyte_dsp_fixed_shapes_standin(core, tmp_path):
    _check(core, fixed_cases(), tmp_path)


@needs_qemu
@pytest.mark.slow
@pytest.mark.parametrize("core", list(BOARDS))
def test_subbyte_dsp_drawn_shapes_standin(core, tmp_path):
    cases = drawn_cases(60, 7)
    assert len(cases) >= 40, "the size filter left too few cases"
    _check(core, cases, tmp_path)
