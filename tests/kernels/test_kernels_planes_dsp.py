"""The ARMv7E-M bit-serial kernel tg_conv2d_s8_planes_s8_dsp (and the portable one, cross
compiled) on the Cortex-M7 (mps2-an500) and Cortex-M4 (mps2-an386) stand-ins == the numpy
twin (tinygen.ref.bitserial), byte for byte.

(tests/kernels/test_kernels_dsp.py compiles every _dsp kernel with the strict flags for both cores.)
One firmware per board runs up to 30
calls (benchmarks/lowbit_kernels.py's harness, the kernel registered by
benchmarks/bitserial.py: inputs as flash constants, outputs back over the UART). Shapes are
drawn from test_kernels_b1_dsp.py's seeded geometry with tests/kernels/test_kernels_planes.py's
case builder: odd sizes, channels 1 to 100 (not multiples of 32 too), kernels 1x1 / 3x3 /
5x3 / 3x1 / 2x2, stride 1 and 2, dilation, padding valid and same, every switch k in [1, 8], inputs uniform A-bit (zero
point 0) and int8 (any zero point); plus fields beyond the stack buffer (the word-by-word
path) and the benchmark's full-size layers at w8a8 and w1a8.
"""

from __future__ import annotations

import sys

import numpy as np
import pytest
from kernel_lib import assert_same
from test_kernels_b1_dsp import _geometry as b1_geometry
from standin_lib import needs_qemu
from test_kernels_planes import INPUT_BITS, LARGE_FIELDS, planes_case, planes_params

from e2e import ROOT

sys.path.insert(0, str(ROOT / "benchmarks"))
from bitserial import LAYERS, PLANES_KERNEL  # noqa: E402
from lowbit_kernels import Call, kernel, run_calls  # noqa: E402

BOARDS = ["f746zg", "f446re"]
NAMES = [PLANES_KERNEL, f"{PLANES_KERNEL}_dsp"]


def _random_params(rng) -> dict:
    a_bits = int(rng.choice(INPUT_BITS))
    zp = int(rng.integers(-128, 128)) if a_bits == 8 else 0
    lo = int(rng.integers(-128, 128))
    act = (-128, 127) if rng.random() < 0.5 else (lo, int(rng.integers(lo, 128)))
    geom = b1_geometry(rng, binary_input=True)        # its geometry fields; the rest is ignored
    return planes_params(geom, int(rng.integers(1, 9)), a_bits, zp, int(rng.integers(-128, 128)), act)


def _calls(n: int, seed: int, names: list[str]) -> list[Call]:
    rng = np.random.default_rng(seed)
    params = [planes_params(g, k, a, zp, 3) for g, k, a, zp in LARGE_FIELDS]
    params += [_random_params(rng) for _ in range(n)]
    calls = []
    for p in params:
        _, arrays = planes_case(p, int(rng.integers(2**32)))
        calls += [Call(name, p, arrays) for name in names]
    return calls


def _firmwares(calls: list[Call], budget: int = 300_000) -> list[list[Call]]:
    """The calls in groups whose arrays fit the F446RE's 512 KB flash with the program (the
    planes are 8 bits per weight): at most `budget` bytes of arrays, 30 calls."""
    groups, size = [[]], 0
    for c in calls:
        n = sum(np.asarray(a).nbytes for a in c.arrays if a is not None)
        if groups[-1] and (size + n > budget or len(groups[-1]) == 30):
            groups.append([])
            size = 0
        groups[-1].append(c)
        size += n
    return groups


def _check(board: str, calls: list[Call], tmp_path, min_kinds: int = 8) -> None:
    for k, group in enumerate(_firmwares(calls)):
        run_calls(board, group, tmp_path / f"{board}-{k}")
    kinds = {(c.p["w_bits"], c.p["a_bits"]) for c in calls}
    assert len(kinds) >= min_kinds, f"too few kinds of case: {kinds}"
    for i, c in enumerate(calls):
        want = np.asarray(kernel(c.name).twin(c.p, *c.arrays)).reshape(-1)
        assert_same(want, c.result.astype(want.dtype), f"{c.name} case {i} on {board} ({c.p})")


@needs_qemu
@pytest.mark.parametrize("board", BOARDS)
def test_planes_dsp_kernel_standin(board, tmp_path):
    _check(board, _calls(24, 1, NAMES), tmp_path)


@needs_qemu
@pytest.mark.slow
@pytest.mark.parametrize("board", BOARDS)
def test_planes_dsp_kernel_many_shapes_standin(board, tmp_path):
    _check(board, _calls(120, 2, [f"{PLANES_KERNEL}_dsp"]), tmp_path)


@needs_qemu
@pytest.mark.slow
@pytest.mark.parametrize("board", BOARDS)
def test_planes_dsp_kernel_benchmark_layers_standin(board, tmp_path):
    rng = np.random.default_rng(3)
    calls = []
    for _, geom in LAYERS.values():
        for k, a, zp in ((8, 8, -5), (1, 8, 17), (2, 2, 0)):
            p = planes_params(geom, k, a, zp, -3)
            _, arrays = planes_case(p, int(rng.integers(2**32)))
            calls.append(Call(f"{PLANES_KERNEL}_dsp", p, arrays))
    _check(board, calls, tmp_path, min_kinds=3)
