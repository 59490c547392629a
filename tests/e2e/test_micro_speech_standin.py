"""Models of TFLite Micro's micro-speech shape on the f746zg stand-in (mps2-an500): DEPTHWISE_CONV_2D from
one input channel with a depth multiplier (micro-speech's own: x 8, a 10x8 window at stride 2, SAME,
ReLU; and variants: x 2 with a 5x3 window, VALID, ReLU6; x 4 with 4x4 at stride 2 and no activation),
FULLY_CONNECTED to 4 classes, SOFTMAX; int8 .tflite built in memory (benchmarks/micro_speech.py:
seeded random weights, per-channel scales, int32 bias). The depthwise layer runs
tg_depthwise_conv2d_dm_s8_dsp, and the firmware equals the numpy reference on every layer and
TFLite Micro's host interpreter on the output, byte for byte, for several inputs."""

from __future__ import annotations

import sys

import numpy as np
import pytest
from tflite.ActivationFunctionType import ActivationFunctionType as Act

from e2e import ROOT, assert_device_equals_reference, first_difference
from standin_lib import needs_qemu
from tinygen.board import get_board
from tinygen.compiler import build, compile_source, load_source
from tinygen.hil.target import open_device
from tinygen.passes import CompileOptions

sys.path.insert(0, str(ROOT / "benchmarks"))
from micro_speech import micro_speech_model  # noqa: E402

DM = "tg_depthwise_conv2d_dm_s8_dsp"
MODELS = {
    "micro_speech": {},
    "x2_5x3_valid_relu6": dict(mult=2, kernel=(5, 3), stride=1, padding=1, act=Act.RELU6, in_h=20, in_w=17),
    "x4_4x4_s2_none": dict(mult=4, kernel=(4, 4), stride=2, act=Act.NONE, in_h=21, in_w=15),
}


@needs_qemu
@pytest.mark.slow
@pytest.mark.parametrize("name", list(MODELS))
def test_micro_speech_shape_equals_tflm_standin(name, tmp_path):
    from tflite_refs import tflm_run        # (skips where TFLite Micro is not installed)

    data = micro_speech_model(seed=3, **MODELS[name])
    path = tmp_path / f"{name}.tflite"
    path.write_bytes(data)
    board = get_board("f746zg")
    source = load_source(path)
    graph = compile_source(source, options=CompileOptions(features=board.isa_features))
    assert [n.kernel for n in graph.nodes if n.op == "depthwise_conv2d"] == [DM]
    project = build(source, graph, board, tmp_path / "fw").out_dir
    rng = np.random.default_rng(5)
    xs = [rng.integers(-128, 128, size=source.input_shape).astype(np.int8) for _ in range(3)]
    want = tflm_run(data, xs)
    with open_device(board, project, emulate=True) as dev:
        for i, x in enumerate(xs):
            assert_device_equals_reference(dev, graph, x, f"{name}, input {i}")
            raw, _ = dev.run(x.tobytes())
            got = np.frombuffer(raw, dtype=np.int8)
            assert np.array_equal(got, want[i].ravel()), f"{name}, input {i}: {first_difference(want[i].ravel(), got)}"
