"""The gated depthwise 3x3 core's kept-channel records (issue 23: both weight pairs of a
kernel row in one LDRD, the requantization constants one LDMDB, the records built in one
pass over the gate) and the predictor's power-of-two mean (one LDM per pixel of 16
channels, the division two lanes per instruction), called directly on the f746zg and
f446re stand-ins with chosen inputs: masks all / none / one / first / last / random /
block-sparse, odd and even channel counts, stride 2 and valid padding, and extreme values
(inputs at -128 and 127, weights +-127, the largest input offsets, sums on exact negative
halves). Each case's output equals the numpy reference byte for byte (the firmware compares
it and exits with the number of the first case that differs). The model-level tests are in
tests/gating/test_gating_masked.py; the packed layout is checked in tests/gating/test_gating_masked_records.py.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from kernel_lib import KERNEL_INCLUDES

from tinygen.board import get_board
from tinygen.codegen.project import write_board_header
from tinygen.ref import gating as gref
from tinygen.kernels.gating import depthwise_gated_dsp_records, depthwise_gated_dsp_scratch
from tinygen.kernels import table
from tinygen.quant import op_params
from tinygen.ref import kernels as ref
from tinygen.resources import data_dir, firmware_path

FIRMWARE = data_dir("firmware")
PORTS = FIRMWARE / "ports"
BOARDS = ["f746zg", "f446re"]
needs_standin = pytest.mark.skipif(shutil.which("qemu-system-arm") is None or shutil.which("arm-none-eabi-gcc") is None,
                                   reason="the stand-ins need qemu-system-arm and arm-none-eabi-gcc")


def _c_array(ctype: str, name: str, a) -> str:
    values = ", ".join(str(int(v)) for v in np.asarray(a).reshape(-1))
    return f"static const {ctype} {name}[] __attribute__((aligned(16))) = {{{values}}};\n"


def _kernel_sources(name: str) -> list[Path]:
    spec = table.KERNELS_BY_NAME[name]
    return [firmware_path(spec.source), *map(firmware_path, spec.calls)]


def run_cases(board_name: str, tmp: Path, kernel: str, decls: str, calls: list[str], scratch: int, out: int) -> int:
    """Builds a program that makes each call (C statements writing `out`) and compares out with
    its case's `want_i` array; returns the stand-in's exit status (0: every case equal, i + 1:
    case i differs)."""
    board = get_board(board_name)
    emu = board.emulator
    body = "".join(f"    memset(out, 0x5A, sizeof out);\n    {call}\n"
                   f"    if (memcmp(out, want_{i}, sizeof want_{i}) != 0) {{\n        tg_semihost_exit({i + 1});\n    }}\n"
                   for i, call in enumerate(calls))
    main = (f'#include <stdint.h>\n#include <string.h>\n#include "tg_cortexm.h"\n#include "tg_kernels.h"\n'
            f'#include "tg_kernels_gating.h"\n{decls}'
            + (f"static int8_t scratch[{scratch}] __attribute__((aligned(16)));\n" if scratch else "") +
            f"static int8_t out[{out}] __attribute__((aligned(16)));\n"
            f"int main(void)\n{{\n{body}    tg_semihost_exit(0);\n    return 0;\n}}\n")
    (tmp / "main.c").write_text(main)
    include = tmp / "board"
    include.mkdir(exist_ok=True)
    write_board_header(board, include)
    from standin_lib import layout, port_sources, render_linker_script

    ld = render_linker_script(layout(board, True), tmp / "standin.ld")
    elf = tmp / "core.elf"
    cmd = [board.cc, *board.cflags, *KERNEL_INCLUDES, f"-I{PORTS / 'cortexm'}", f"-I{PORTS / emu['port']}",
           f"-I{FIRMWARE / 'runtime'}", f"-I{include}", str(tmp / "main.c"), *map(str, _kernel_sources(kernel)),
           *map(str, port_sources(emu["port"])), "-nostartfiles", "--specs=nano.specs", "-Wl,--gc-sections",
           "-T", str(ld), "-o", str(elf)]
    built = subprocess.run(cmd, capture_output=True, text=True)
    assert built.returncode == 0, built.stderr
    # the cases run a few million instructions at most: QEMU takes well under a second
    ran = subprocess.run([emu["qemu"], "-M", emu["machine"], "-display", "none", "-monitor", "none", "-serial", "null",
                          *emu["args"], "-kernel", str(elf)], capture_output=True, text=True, timeout=120)
    return ran.returncode


# -- the power-of-two mean -------------------------------------------------------------------

def _mean_cases():
    rng = np.random.default_rng(23)
    cases = []
    for h, w, c in [(1, 2, 16), (2, 2, 32), (8, 8, 128), (16, 16, 16), (4, 8, 48), (8, 16, 64)]:
        n = h * w
        cases.append((f"random {h}x{w}x{c}", rng.integers(-128, 128, (h, w, c))))
        cases.append((f"all -128 {h}x{w}x{c}", np.full((h, w, c), -128)))
        cases.append((f"all 127 {h}x{w}x{c}", np.full((h, w, c), 127)))
        # sums on exact halves: per channel a sum of +-(2k + 1) * n / 2 (n >= 2), both signs
        half = np.zeros((n, c), np.int64)
        targets = (2 * rng.integers(-60, 60, c) + 1) * (n // 2)
        for ch in range(c):
            left = int(targets[ch])
            for i in range(n):
                half[i, ch] = v = int(np.clip(left, -128, 127)) if i == n - 1 else int(np.clip(left // (n - i), -128, 127))
                left -= v
        assert (half.sum(0) == targets).all()
        cases.append((f"halves {h}x{w}x{c}", half.reshape(h, w, c)))
    return cases


@needs_standin
@pytest.mark.slow
@pytest.mark.parametrize("board_name", BOARDS)
def test_avg_pool2d_global_pow2_s8_dsp_extremes_standin(board_name, tmp_path):
    decls, calls, names = "", [], []
    for i, (name, x) in enumerate(_mean_cases()):
        h, w, c = x.shape
        p = {"in_h": h, "in_w": w, "channels": c, "out_h": 1, "out_w": 1, "kernel_h": h, "kernel_w": w,
             "stride_h": 1, "stride_w": 1, "pad_top": 0, "pad_left": 0, "count_include_pad": 0, "zero_point": 0,
             "act_min": -128, "act_max": 127}
        want = ref.avg_pool2d_s8(p, x.astype(np.int8))
        fields = ", ".join(f".{k} = {v}" for k, v in p.items())
        decls += _c_array("int8_t", f"x_{i}", x) + _c_array("int8_t", f"want_{i}", want)
        decls += f"static const tg_pool2d_params_t p_{i} = {{{fields}}};\n"
        calls.append(f"tg_avg_pool2d_global_pow2_s8_dsp(&p_{i}, x_{i}, out);")
        names.append(name)
    status = run_cases(board_name, tmp_path, "tg_avg_pool2d_global_pow2_s8_dsp", decls, calls, 0, 256)
    assert status == 0, f"{board_name}: case {names[status - 1] if 0 < status <= len(names) else status} differs"


# -- the gated depthwise 3x3 core ------------------------------------------------------------

def _mask(kind: str, c: int, rng) -> np.ndarray:
    idx = np.arange(c)
    return {"all": idx >= 0, "none": idx < 0, "one": idx == c // 3, "first": idx == 0, "last": idx == c - 1,
            "random": rng.random(c) < 0.5, "blocks": (idx // 4) % 2 == 0, "runs": (idx % 8) < 3}[kind]


def _depthwise_case(rng, shape, stride: int, pad: int, mask: str, extreme: bool):
    h, w, c = shape
    zx = 127 if extreme else int(rng.integers(-128, 128))
    zc, zg, zo = (int(v) for v in rng.integers(-100, 100, 3))
    mul = op_params.mul_params(0.02, zc, 0.01, zg, float(rng.uniform(0.005, 0.05)), zo, -128, 127)
    out_h, out_w = (h + 2 * pad - 3) // stride + 1, (w + 2 * pad - 3) // stride + 1
    p = {"in_h": h, "in_w": w, "in_c": c, "out_h": out_h, "out_w": out_w, "out_c": c, "kernel_h": 3, "kernel_w": 3,
         "stride_h": stride, "stride_w": stride, "dilation_h": 1, "dilation_w": 1, "pad_top": pad, "pad_left": pad,
         "depth_multiplier": 1, "input_offset": -zx, "output_offset": zc, "act_min": zc if rng.random() < 0.5 else -128,
         "act_max": 127, "gate_input_offset": mul["input2_offset"], "gate_output_offset": mul["output_offset"],
         "gate_multiplier": mul["output_multiplier"], "gate_shift": mul["output_shift"], "gate_act_min": -128,
         "gate_act_max": 127, "in_gate_input_offset": 0, "skip_inputs": 0}
    keep = _mask(mask, c, rng)
    gate = np.where(keep, rng.integers(-128, 128, c), zg).astype(np.int8)
    gate[keep & (gate <= zg)] = np.int8(min(zg + 1 + int(rng.integers(0, 20)), 127))
    if extreme:
        x = np.where(rng.random((h, w, c)) < 0.5, -128, 127).astype(np.int8)
        wts = np.where(rng.random((1, 3, 3, c)) < 0.5, -127, 127).astype(np.int8)
        gate[keep] = 127
    else:
        x = rng.integers(-128, 128, (h, w, c)).astype(np.int8)
        wts = rng.integers(-127, 128, (1, 3, 3, c)).astype(np.int8)
    bias = rng.integers(-50_000, 50_000, c).astype(np.int32)
    m = rng.integers(2 ** 30, 2 ** 31 - 1, c).astype(np.int32)
    sh = rng.integers(-12, -7, c).astype(np.int32)
    return p, x, gate, wts, bias, m, sh


CORE_CASES = [((8, 8, 128), 1, 1, "random", False), ((8, 8, 128), 1, 1, "random", True),
              ((8, 8, 16), 1, 1, "all", False), ((8, 8, 16), 1, 1, "none", False), ((8, 8, 16), 1, 1, "one", False),
              ((8, 8, 24), 1, 1, "first", True), ((8, 8, 24), 1, 1, "last", False),
              ((8, 8, 32), 1, 1, "blocks", False), ((9, 9, 40), 1, 1, "runs", True),
              ((9, 7, 13), 1, 1, "random", False), ((9, 7, 13), 1, 1, "random", True),
              ((10, 10, 24), 2, 1, "random", False), ((7, 10, 16), 1, 0, "blocks", True),
              ((6, 5, 8), 1, 1, "random", False)]


@needs_standin
@pytest.mark.slow
@pytest.mark.parametrize("board_name", BOARDS)
def test_depthwise_conv2d_gated_s8_dsp_core_standin(board_name, tmp_path):
    """Every case equals tinygen.ref.gating.depthwise_conv2d_gated_s8; the cases with 3x3
    records (all here) take the in-place core when some but not all channels are kept."""
    rng = np.random.default_rng(12)
    decls, calls, names, scratch, size = "", [], [], 0, 0
    for i, (shape, stride, pad, mask, extreme) in enumerate(CORE_CASES):
        p, x, gate, wts, bias, m, sh = _depthwise_case(rng, shape, stride, pad, mask, extreme)
        consts = {"weight": wts, "bias": bias, "multiplier": m, "shift": sh}
        packed = depthwise_gated_dsp_records(p, consts)
        assert int(packed[0]) == shape[2], f"case {i}: the 3x3 records serve"
        want = gref.depthwise_conv2d_gated_s8(p, x, gate, wts, bias, m, sh)
        fields = ", ".join(f".{k} = {v}" for k, v in p.items() if k not in ("in_gate_input_offset", "skip_inputs"))
        decls += "".join(_c_array(t, f"{n}_{i}", a) for t, n, a in
                         [("int8_t", "x", x), ("int8_t", "g", gate), ("int8_t", "w", wts), ("int32_t", "b", bias),
                          ("int32_t", "m", m), ("int8_t", "s", sh), ("int32_t", "pk", packed),
                          ("int8_t", "want", want)])
        decls += f"static const tg_conv2d_gated_params_t p_{i} = {{{fields}}};\n"
        calls.append(f"tg_depthwise_conv2d_gated_s8_dsp(&p_{i}, x_{i}, g_{i}, w_{i}, b_{i}, m_{i}, s_{i}, pk_{i}, "
                     "scratch, out);")
        names.append(f"{shape} stride {stride} pad {pad} mask {mask}{' extreme' if extreme else ''}")
        scratch = max(scratch, depthwise_gated_dsp_scratch(p))
        size = max(size, want.size)
    status = run_cases(board_name, tmp_path, "tg_depthwise_conv2d_gated_s8_dsp", decls, calls, scratch, size)
    assert status == 0, f"{board_name}: case {names[status - 1] if 0 < status <= len(names) else status} differs"
