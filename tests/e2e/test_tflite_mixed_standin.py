"""Quantized .tflite models with float32 sections on the f746zg stand-in (Cortex-M7, its
single-precision FPU): the SSD-like model of tests/ssd_model.py (int8 body, DEQUANTIZE, a float32
LOGISTIC, DETECTION_POSTPROCESS, 40 slots for fewer detections) and tflite_mixed_cases'
s8_float_section_s8 (int8 -> float32 FULLY_CONNECTED and LOGISTIC -> QUANTIZE -> int8 ADD). Every
output and every layer equals the numpy reference bit for bit, the reference computing with the
device's expf (tests/libm_probe.py, as in test_tflite_f32_standin.py); the reference equals
TFLite Micro on the host (tests/frontend/test_tflite_detection.py, test_tflite_ops.py).

DETECTION_POSTPROCESS decodes boxes with the C library's double exp: the reference calls the
host's (glibc), the device newlib's; both are ARM's optimized-routines exp, and they agree on
every box of these samples (this test would fail on a box that differs)."""

from __future__ import annotations

import shutil

import numpy as np
import pytest
from e2e import first_difference
from libm_probe import DeviceLibm
from ssd_model import ssd_model
from tflite_builder import ModelBuilder
from tflite_op_cases import CASES

from tinygen.board import get_board
from tinygen.compiler import build, compile_source, load_source
from tinygen.hil.session import input_bytes, split_outputs
from tinygen.hil.target import open_device
from tinygen.passes import CompileOptions
from tinygen.ref.float32_nonlinear import use_libm
from tinygen.ref.interpreter import run

pytestmark = pytest.mark.slow
SAMPLES = 4


def _models() -> dict[str, bytes]:
    b = ModelBuilder("s8_float_section_s8")
    section = b.finish(*CASES["s8_float_section_s8"].build(b, np.random.default_rng(3)))
    return {"ssd_fast_many_slots": ssd_model(False, max_detections=40, background=False, seed=5, iou=0.3),
            "s8_float_section_s8": section}


def test_tflite_mixed_float_sections_on_f746zg(tmp_path):
    if any(shutil.which(t) is None for t in ("arm-none-eabi-gcc", "qemu-system-arm")):
        pytest.skip("needs arm-none-eabi-gcc and qemu-system-arm (make toolchain installs them)")
    board = get_board("f746zg")
    libm = DeviceLibm(tmp_path / "libm")
    rng = np.random.default_rng(45)
    for name, data in _models().items():
        path = tmp_path / f"{name}.tflite"
        path.write_bytes(data)
        source = load_source(path)
        graph = compile_source(source, options=CompileOptions(features=board.isa_features))
        assert any(n.kernel == "tg_logistic_f32" for n in graph.nodes)
        shape = graph.tensor(graph.inputs[0]).shape
        xs = [rng.integers(-128, 128, shape).astype(np.int8) for _ in range(SAMPLES)]
        with use_libm(libm.functions()):
            wants = libm.settle(lambda: [run(graph, x, keep_all=True) for x in xs])
        result = build(source, graph, board, tmp_path / name)
        with open_device(board, result.out_dir, emulate=True) as dev:
            for k, (x, want) in enumerate(zip(xs, wants)):
                for o, got in zip(graph.outputs, split_outputs(graph, dev.run(input_bytes(x))[0])):
                    ref = np.asarray(want[o]).ravel()
                    assert np.array_equal(np.asarray(got).ravel().view(np.uint8), ref.view(np.uint8)), \
                        f"{name}, sample {k}, {o}: {first_difference(ref, np.asarray(got).ravel())}"
                for index, node in enumerate(n for n in graph.nodes if n.kernel):
                    layer = np.frombuffer(dev.layer_out(index), np.uint8)
                    assert np.array_equal(layer, np.ascontiguousarray(want[node.outputs[0]]).view(np.uint8).ravel()), \
                        f"{name}, sample {k}: layer {node.name} ({node.kernel})"
        if name.startswith("ssd"):      # detections were found, and slots left for TFLite Micro to skip
            counts = [int(w[graph.outputs[3]][0]) for w in wants]
            assert 0 < min(counts) and max(counts) < 40
    assert libm.probe_runs > 0
