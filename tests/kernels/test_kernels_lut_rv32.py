"""The shared-weight (LUT) kernels for RV32IM (firmware/kernels/lut/: tg_conv2d_lut_decode_s8_rv32,
tg_conv2d_add_lut_decode_s8_rv32, tg_fully_connected_lut_decode_s8_rv32,
tg_depthwise_conv2d_lut_decode_s8_rv32: the layer's indices decoded once into the scratch as the
int8 RV32 kernel's constant, then that kernel) on the ESP32-C3's stand-in (QEMU RISC-V virt):

- their packed constants hold LUT.md's rows and the int8 RV32 kernel's folded biases
  (tinygen/kernels/lut_rv32_pack.py), and the scratch is that kernel's constant;
- kernel by kernel (the generic entry points), 2..6 bits, one table per tensor and per output
  channel, on the MLPerf KWS and IC layer shapes and drawn ones, each equals the portable LUT
  kernel's numpy twin byte for byte, and the int8 RV32 kernel on the decoded weights;
- the build picks them on the ESP32-C3 for every shared layer (the fused residual add's
  included), calls them specialized as the int8 layers (tinygen.kernels.specialize), and whole
  models built with --weights lut:BITS equal the reference on the stand-in.
"""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
from kernel_lib import KERNEL_INCLUDES
from standin_lib import STRICT, needs_qemu
from test_kernels_lut_mve import _compiled, _drawn, _shared, check_decoding_standin

from e2e import ROOT, assert_device_equals_reference
from tinygen.board import get_board
from tinygen.build.toolchain import RISCV_VIRT
from tinygen.compiler import build
from tinygen.kernels import rv32
from tinygen.kernels.lut_table import LUT_KERNELS
from tinygen.kernels.specialize import INLINE
from tinygen.kernels.table import KERNELS_BY_NAME
from tinygen.quant.pack_lut import pack_lut
from tinygen.resources import kernel_paths

sys.path.insert(0, str(ROOT / "benchmarks"))
from lut_kernels import OPS, ROWS, conv_p, decoding_args, decoding_pair, lut_parts  # noqa: E402

BOARD = "esp32-c3"
RV32_NAMES = frozenset(s.name for s in LUT_KERNELS if s.name.endswith("_rv32"))


def test_rv32_lut_kernels_require_rv32im_and_are_specialized():
    assert len(RV32_NAMES) == 4
    for name in RV32_NAMES:
        spec = KERNELS_BY_NAME[name]
        assert spec.requires == frozenset({"rv32im"}) and spec.const_roles == ("packed", "bias", "multiplier", "shift")
        assert INLINE[name].function == name + "_inline" and INLINE[name].header == "kernels/tg_lut_rv32.h"


@pytest.mark.parametrize("source", kernel_paths("tg_*_lut_decode_s8_rv32.c"), ids=lambda p: p.stem)
def test_rv32_lut_kernel_compiles_strict(source, tmp_path):
    cmd = [RISCV_VIRT.cc, *[f for f in RISCV_VIRT.cflags if not f.startswith("-O")], *STRICT, *KERNEL_INCLUDES,
           "-c", str(source), "-o", str(tmp_path / "k.o")]
    done = subprocess.run(cmd, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


@pytest.mark.parametrize("bits", [2, 3, 5])
@pytest.mark.parametrize("label", list(ROWS))
def test_rv32_packed_constant_is_lut_rows_then_folded_biases(label, bits):
    op, p = ROWS[label]
    axis = ("tensor", "channel")[bits % 2]
    x, cb, b, m, s = lut_parts(op, p, bits, axis, bits)
    (_, packed, *_), (_, blocks, *_) = decoding_args("rv32", op, p, bits, axis, bits)
    blocks = blocks.view(np.uint32)
    if op == "depthwise_conv2d":
        lut = pack_lut(cb, None)
        folded = blocks.reshape(p["out_c"], -1)[:, 0]
    else:
        lut = pack_lut(cb, 0)
        folded = blocks.reshape(-(-cb.indices.shape[0] // rv32.BLOCK), -1)[:, :rv32.BLOCK].ravel()
    assert packed.dtype == np.uint32 and np.array_equal(packed, np.concatenate([lut, folded]))
    name, _ = decoding_pair("rv32", op, p)
    assert KERNELS_BY_NAME[name].scratch(p) == blocks.nbytes


def _check_standin(cases, work) -> None:
    check_decoding_standin("rv32", BOARD, cases, work)


@needs_qemu
@pytest.mark.parametrize("label", list(ROWS))
def test_lut_rv32_mlperf_layers_standin(label, tmp_path):
    op, p = ROWS[label]
    _check_standin([(op, p, bits, axis, bits) for bits in range(2, 7) for axis in ("tensor", "channel")], tmp_path)


@needs_qemu
def test_lut_rv32_wide_depthwise_standin(tmp_path):
    """Rows wider than the depthwise kernel's 8-pixel segments: the interior segments start from
    the folded biases the kernel copies next to the decoded taps."""
    p = conv_p(6, 21, 13, 13, 3, depthwise=True, output_offset=0)
    _check_standin([("depthwise_conv2d", p, bits, axis, bits) for bits in (2, 3, 4) for axis in ("tensor", "channel")],
                   tmp_path)


@needs_qemu
def test_lut_rv32_drawn_shapes_standin(tmp_path):
    cases = _drawn(30)
    assert {op for op, *_ in cases} == set(OPS)
    _check_standin(cases, tmp_path)


@needs_qemu
@pytest.mark.parametrize("name,spec", [("products", "lut:4:tensor"), ("convs", "lut:3:channel"),
                                       ("depthwise", "lut:5:tensor")])
def test_lut_rv32_models_standin(name, spec, tmp_path):
    from tinygen.hil.target import open_device

    source, graph, inputs = _compiled(name, spec, tmp_path, BOARD)
    shared = _shared(graph)
    assert shared and all(n.kernel in RV32_NAMES for n in shared), [(n.name, n.kernel) for n in shared]
    if name == "convs":
        assert "tg_conv2d_add_lut_decode_s8_rv32" in {n.kernel for n in shared}
    board = get_board(BOARD)
    project = build(source, graph, board, tmp_path / "fw").out_dir
    model_c = (project / "model.c").read_text() if (project / "model.c").exists() else \
        "".join(f.read_text() for f in project.rglob("model*.c"))
    assert "_lut_decode_s8_rv32_inline(" in model_c
    with open_device(board, project, emulate=True) as dev:
        for i, x in enumerate(inputs):
            assert_device_equals_reference(dev, graph, x, f"{name} {spec} input {i}")
