""".tflite data movement on the f746zg stand-in: one int8 model of a Keras Conv1D as TensorFlow
exports it (EXPAND_DIMS, CONV_2D, then RESHAPE), SPLIT, PACK, REVERSE_V2, SPACE_TO_DEPTH, a nearest
resize, a dilated convolution (SPACE_TO_BATCH_ND, CONV_2D, BATCH_TO_SPACE_ND: one conv2d of
dilation 2), DEPTH_TO_SPACE, GATHER, STRIDED_SLICE and DYNAMIC_UPDATE_SLICE. Every layer the
firmware computes equals the numpy reference byte for byte, and the output equals TensorFlow
Lite Micro's host interpreter (the operators one by one: tests/tflite_shape_cases.py, against
TFLite Micro in tests/frontend/test_tflite_ops.py)."""

from __future__ import annotations

import shutil

import numpy as np
import pytest
from e2e import assert_device_equals_tflm
from tflite_builder import ModelBuilder
from tflite.Padding import Padding
from tflite_op_cases import act, int32s
from tflite_pad_fold_cases import conv
from tflite_shape_cases import dilated, like, resize, reverse, split

from tinygen.board import get_board
from tinygen.compiler import build, compile_source, load_source
from tinygen.hil.target import open_device
from tinygen.passes import CompileOptions

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(shutil.which("qemu-system-arm") is None or shutil.which("arm-none-eabi-gcc") is None,
                                 reason="the f746zg stand-in needs qemu-system-arm and arm-none-eabi-gcc")]


def moves_model(rng) -> bytes:
    b = ModelBuilder("data movement")
    x = act(b, rng, "x", [1, 16, 4])
    wide = like(b, x, "wide", [1, 1, 16, 4])
    b.op("EXPAND_DIMS", [x, int32s(b, "at", [1])], [wide], "ExpandDimsOptions")
    c = act(b, rng, "conv1d", [1, 1, 14, 8])
    conv(b, rng, wide, c, [1, 3], 1, Padding.VALID)
    seq = like(b, c, "seq", [1, 14, 8])
    b.op("RESHAPE", [c, int32s(b, "seq_shape", [1, 14, 8])], [seq], "ReshapeOptions")
    lo, hi = split(b, seq, 2, [[1, 14, 4]] * 2)
    pair = like(b, seq, "pair", [1, 14, 4, 2])
    b.op("PACK", [hi, lo], [pair], "PackOptions", ValuesCount=2, Axis=3)
    back = reverse(b, pair, "back", [1])
    deep = like(b, back, "deep", [1, 7, 2, 8])
    b.op("SPACE_TO_DEPTH", [back], [deep], "SpaceToDepthOptions", BlockSize=2)
    up = resize(b, deep, "up", [1, 14, 12, 8])
    dil = dilated(b, rng, up, "dilated", 8, 2, [[0, 0], [0, 0]], [[0, 0], [0, 0]])
    space = like(b, dil, "space", [1, 20, 16, 2])
    b.op("DEPTH_TO_SPACE", [dil], [space], "DepthToSpaceOptions", BlockSize=2)
    picked = like(b, space, "picked", [1, 5, 16, 2])
    b.op("GATHER", [space, int32s(b, "rows", [0, 19, 3, 3, 7])], [picked], "GatherOptions", Axis=1)
    piece = like(b, picked, "piece", [1, 2, 4, 2])
    b.op("STRIDED_SLICE", [picked, int32s(b, "begin", [0, 1, 0, 0]), int32s(b, "end", [1, 5, 16, 2]),
                           int32s(b, "step", [1, 2, 4, 1])], [piece], "StridedSliceOptions")
    y = like(b, picked, "y", [1, 5, 16, 2])
    b.op("DYNAMIC_UPDATE_SLICE", [picked, piece, int32s(b, "start", [0, 4, 13, 0])], [y])
    return b.finish([x], [y])


def test_tflite_moves_s8_equal_tflm_on_f746zg_standin(tmp_path):
    tflm = pytest.importorskip("tflite_micro.python.tflite_micro.runtime", reason="TFLite Micro is not installed")
    rng = np.random.default_rng(45)
    data = moves_model(rng)
    path = tmp_path / "moves.tflite"
    path.write_bytes(data)
    board = get_board("f746zg")
    source = load_source(path)
    graph = compile_source(source, options=CompileOptions(features=board.isa_features))
    kernels = [n.kernel for n in graph.nodes if n.kernel]
    # SPLIT (2), REVERSE_V2, SPACE_TO_DEPTH, the resize, DEPTH_TO_SPACE: copies; the dilated conv is one conv2d
    assert kernels.count("tg_strided_copy") == 6 and kernels.count("tg_gather") == 1, kernels
    assert kernels[-1] == "tg_dynamic_update_slice"
    assert [n.attrs["dilation"] for n in graph.nodes if n.op == "conv2d"] == [(1, 1), (2, 2)]
    result = build(source, graph, board, tmp_path / "fw")
    interp = tflm.Interpreter.from_bytes(data, arena_size=1 << 20)
    xs = [rng.integers(-128, 128, (1, 16, 4)).astype(np.int8) for _ in range(2)]
    with open_device(board, result.out_dir, emulate=True) as dev:
        for k, x in enumerate(xs):
            assert_device_equals_tflm(dev, graph, interp, x, f"sample {k}")
