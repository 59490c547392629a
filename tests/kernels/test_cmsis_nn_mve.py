"""The CMSIS-NN backend on cores with Helium (--kernels cmsis-nn on the Cortex-M55,
tinygen.kernels.cmsis_nn_mve): the adapters of the layers whose CMSIS-NN code takes other
buffers there replace the DSP cores' (which exclude "mve"), with the MVE scratch sizes and the
fully connected layers' kernel sums.

Always run: which kernels are chosen on the M55 (and not elsewhere), their scratch. With
CMSIS_NN_PATH set: the scratch formulas equal the tree's own *_get_buffer_size_mve functions
over many shapes; firmware built with --kernels cmsis-nn for the stm32n6570-dk, run on its
mps3-an547 stand-in, equals the numpy reference layer by layer (the awkward shapes of
test_cmsis_nn.py, and a model taking CMSIS-NN's 1xN convolution and its depthwise-as-conv
path) and TFLite Micro on the four MLPerf Tiny models; KWS on the b-u585i-iot02a's stand-in
(Cortex-M33, CMSIS-NN's DSP code).
"""

from __future__ import annotations

import numpy as np
import pytest

from e2e import assert_device_equals_reference, first_difference
from mlperf_models import mlperf_model
from test_cmsis_nn import (STANDIN_MODELS, TREE, Small, _scratch_cases, compile_model, fake_tree, kernels_of,
                           needs_host_cc, needs_qemu, needs_tree, scratch_mismatches)
from tflite_builder import ModelBuilder
from tinygen.board import get_board
from tinygen.compiler import build, compile_source, load_source
from tinygen.kernels import cmsis_nn_mve
from tinygen.kernels.table import KERNELS, KERNELS_BY_NAME
from tinygen.passes import CompileOptions
from tinygen.ref.interpreter import quantize_input
from tinygen.report.kernels import cmsis_nn_note

M55 = "stm32n6570-dk"


def test_every_excluded_dsp_adapter_has_a_helium_one():
    cmsis = [s for s in KERNELS if s.backend == "cmsis-nn"]
    helium = {s.op for s in cmsis if s.requires == cmsis_nn_mve.REQUIRES}
    excluded = {s.op for s in cmsis if "mve" in s.excludes}
    assert helium == {"conv2d", "depthwise_conv2d", "fully_connected", "avg_pool2d"}
    # adapters whose scratch is the DSP code path's and whose Helium paths are not checked: excluded
    # with no Helium adapter, so tinygen's kernels run those layers on the M55 (the int16 add and
    # mul too: tinygen/kernels/cmsis_nn_s16.py)
    assert excluded == helium | {"transpose_conv2d", "batch_matmul", "lstm", "svdf", "add", "mul"}
    # max pooling, add and softmax take no buffer: the DSP cores' adapters serve the M55 too
    assert {s.op for s in cmsis if not s.excludes and s.requires != cmsis_nn_mve.REQUIRES} == {
        "max_pool2d", "add", "softmax"}


@pytest.mark.parametrize("board", [M55, "f746zg", "b-u585i-iot02a"])
def test_cmsis_nn_kernels_chosen_per_core(board, tmp_path):
    tree = fake_tree(tmp_path / "tree")
    _, graph = compile_model(Small(), (1, 3, 8, 8), get_board(board).isa_features, tmp_path, cmsis_nn=str(tree))
    chosen = [n for n in graph.nodes if n.kernel and "_cmsis_nn" in n.kernel]
    helium = board == M55
    assert {n.kernel.endswith("_mve") for n in chosen if n.op in ("conv2d", "depthwise_conv2d", "fully_connected",
                                                                   "avg_pool2d")} == {helium}
    assert not [n for n in chosen if n.op in ("max_pool2d", "add", "softmax") and n.kernel.endswith("_mve")]
    scratch = {n.op: n.scratch_bytes for n in chosen}
    if helium:
        # 3x3 conv of 3 channels: four columns of 27 -> 32 bytes; depthwise 3x3: 4 x 124 x 9; pool: none
        assert (scratch["conv2d"], scratch["depthwise_conv2d"], scratch["avg_pool2d"]) == (128, 4 * 124 * 9, 0)
        fc = next(n for n in chosen if n.op == "fully_connected")
        assert fc.param("packed") is not None and fc.attrs["kparams"]["out_features"] == 6


@needs_tree
@needs_host_cc
def test_cmsis_nn_scratch_equals_get_buffer_size_mve(tmp_path):
    rng = np.random.default_rng(7)
    cases = _scratch_cases(rng, 400)
    # one-row inputs with 1xN kernels (CMSIS-NN's 1xN path where stride x channels is a
    # multiple of 4): paddings, strides and output widths around the input's
    for i in range(300):
        in_w, stride, kw = int(rng.integers(1, 24)), int(rng.integers(1, 4)), int(rng.choice([1, 2, 3, 5, 7]))
        pad = int(rng.integers(0, kw))
        out_w = max(1, (in_w + 2 * pad - kw) // stride + 1 + int(rng.integers(-1, 2)))
        in_c = int(rng.choice([1, 2, 4, 8, 12, 3]))
        cases.append(dict(cases[i], in_h=1, in_w=in_w, in_c=in_c, out_c=in_c * cases[i]["depth_multiplier"],
                          kernel_h=1, kernel_w=kw, stride_w=stride, pad_left=pad, pad_top=0, dilation_w=1, out_h=1,
                          out_w=out_w))
    # one input channel into more outputs: the depthwise conv runs as a conv
    cases += [dict(c, in_c=1, out_c=m, depth_multiplier=m) for c, m in zip(cases[:60], [2, 3, 8] * 20)]
    ops = [(0, cmsis_nn_mve.conv_scratch), (1, cmsis_nn_mve.depthwise_scratch), (2, lambda p: 0)]
    count, bad = scratch_mismatches(tmp_path, "mve", ops, cases)
    assert count == 3 * len(cases) and not bad, f"{len(bad)} differ, first (case, CMSIS-NN, tinygen): {bad[:3]}"
    assert any(cmsis_nn_mve.conv_scratch(c) != cmsis_nn_mve._conv_s8(c) for c in cases), "no case took the 1xN path"


# one-row convs (name, kernel width, stride, SAME, output width, channels): CMSIS-NN's 1xN path
# on each, computing all but the first exactly (the right padding one column, two at stride 1,
# a VALID row that fits, a SAME one padded on the right only); the last feeds the depthwise
ROW_CONVS = (("a", 5, 2, True, 8, 4), ("b", 4, 1, True, 8, 4), ("c", 2, 2, False, 4, 4), ("d", 3, 2, True, 2, 4),
             ("e", 3, 1, True, 2, 1))


def paths_model(seed: int = 0) -> bytes:
    """x [1, 1, 16, 4] -> ROW_CONVS -> depthwise 1x3 of depth multiplier 8 (one input channel:
    run as a conv, its filter transposed into the scratch) -> a per-tensor FULLY_CONNECTED (the
    kernel sums); zero points off zero throughout."""
    rng = np.random.default_rng(seed)
    b = ModelBuilder("tinygen test: CMSIS-NN's Helium paths")

    def consts(name, wshape, axis, channels, per_channel=True):
        scale = list(rng.uniform(0.004, 0.02, channels)) if per_channel else float(rng.uniform(0.004, 0.02))
        w = b.tensor(f"{name}_w", wshape, scale=scale, zero_point=[0] * channels if per_channel else 0,
                     data=rng.integers(-127, 128, wshape), axis=axis)
        bias = b.tensor(f"{name}_b", [channels], "int32", scale=0.0005, zero_point=0,
                        data=rng.integers(-3000, 3000, channels))
        return w, bias

    cur = x = b.tensor("x", [1, 1, 16, 4], scale=0.05, zero_point=7)
    for name, kw, stride, same, width, out_c in ROW_CONVS:
        w, bias = consts(name, [out_c, 1, kw, 4], 0, out_c)
        y = b.tensor(name, [1, 1, width, out_c], scale=0.08, zero_point=-5)
        b.op("CONV_2D", [cur, w, bias], [y], "Conv2DOptions", Padding=0 if same else 1, StrideW=stride, StrideH=1,
             FusedActivationFunction=0, DilationWFactor=1, DilationHFactor=1)
        cur = y
    w, bias = consts("dw", [1, 1, 3, 8], 3, 8)
    d = b.tensor("d", [1, 1, 2, 8], scale=0.06, zero_point=3)
    b.op("DEPTHWISE_CONV_2D", [cur, w, bias], [d], "DepthwiseConv2DOptions", Padding=0, StrideW=1, StrideH=1,
         DepthMultiplier=8, FusedActivationFunction=0, DilationWFactor=1, DilationHFactor=1)
    w, bias = consts("fc", [10, 16], 0, 10, per_channel=False)
    y = b.tensor("y", [1, 10], scale=0.1, zero_point=-9)
    b.op("FULLY_CONNECTED", [d, w, bias], [y], "FullyConnectedOptions", FusedActivationFunction=0,
         WeightsFormat=0, KeepNumDims=False)
    return b.finish([x], [y])


def test_conv_exact_models_the_1_x_n_path():
    """conv_exact's model of the columns CMSIS-NN's 1xN path reads, on rows worked by hand:
    a VALID row that does not fit (16 wide, 1x2 stride 2 fits; 9 wide does not: its right
    section pads the last column instead of reading it), SAME with two columns of right
    padding at stride 2, and the paths model's rows."""
    def row(width, kw, stride, pad, out_w, in_c=4):
        return {"in_h": 1, "in_w": width, "in_c": in_c, "kernel_h": 1, "kernel_w": kw, "stride_h": 1,
                "stride_w": stride, "pad_top": 0, "pad_left": pad, "dilation_h": 1, "dilation_w": 1, "out_h": 1,
                "out_w": out_w}

    assert cmsis_nn_mve.conv_exact(row(16, 2, 2, 0, 8)) and not cmsis_nn_mve.conv_exact(row(9, 2, 2, 0, 4))
    assert not cmsis_nn_mve.conv_exact(row(16, 5, 2, 1, 8)) and cmsis_nn_mve.conv_exact(row(16, 5, 1, 2, 16))
    # not the 1xN path: stride x channels not a multiple of 4, two rows
    assert cmsis_nn_mve.conv_exact(row(9, 2, 2, 0, 4, in_c=1)) and cmsis_nn_mve.conv_exact(dict(row(9, 2, 2, 0, 4),
                                                                                               in_h=2, out_h=2))
    width = 16
    for _, kw, stride, same, out_w, _ in ROW_CONVS:
        pad = max((out_w - 1) * stride + kw - width, 0) // 2 if same else 0
        assert cmsis_nn_mve.conv_exact(row(width, kw, stride, pad, out_w)) == ((kw, stride) != (5, 2))
        width = out_w


@needs_tree
@needs_qemu
@pytest.mark.parametrize("model", list(STANDIN_MODELS) + ["paths"])
def test_cmsis_nn_s8_n6570_standin(model, tmp_path):
    """Every layer of firmware built with --kernels cmsis-nn for the Cortex-M55 equals the numpy
    reference; the 'paths' model's output equals TFLite Micro's too."""
    from tflite_refs import tflm_run

    from tinygen.hil.target import open_device

    board = get_board(M55)
    if model == "paths":
        path = tmp_path / "paths.tflite"
        path.write_bytes(paths_model())
        source = load_source(path)
        graph = compile_source(source, options=CompileOptions(features=board.isa_features, kernels="cmsis-nn",
                                                              cmsis_nn=TREE))
        shape = source.input_shape
        rng = np.random.default_rng(3)
        xs = [rng.integers(-128, 128, size=shape).astype(np.int8) for _ in range(3)]
        want = tflm_run(path.read_bytes(), xs)
    else:
        factory, shape = STANDIN_MODELS[model]
        source, graph = compile_model(factory(), shape, board.isa_features, tmp_path, cmsis_nn=TREE)
        rng = np.random.default_rng(3)
        xs = [quantize_input(graph, source.to_graph_layout(rng.standard_normal(shape).astype(np.float32) * 1.5))
              for _ in range(3)]
        want = None
    chosen = kernels_of(graph)
    if model == "paths":
        # the strided 1x5 conv's right padding is two columns: CMSIS-NN's 1xN path would read a
        # column past the input (conv_exact), tinygen's kernel runs it, and the note says why
        cmsis = {f"conv2d_{i}": "tg_conv2d_s8_cmsis_nn_mve" for i in range(1, len(ROW_CONVS))}
        cmsis.update(depthwise_conv2d_5="tg_depthwise_conv2d_s8_cmsis_nn_mve",
                     fully_connected_6="tg_fully_connected_s8_cmsis_nn_mve")
        assert KERNELS_BY_NAME[chosen.pop("conv2d_0")].backend == "tinygen" and chosen == cmsis, chosen
        assert "conv2d_0 (conv2d: a one-row conv whose padding CMSIS-NN's 1xN Helium path reads wrongly)" in \
            cmsis_nn_note(graph), cmsis_nn_note(graph)
    else:
        assert all(k.endswith("_cmsis_nn_mve") or k.endswith("_cmsis_nn") for k in chosen.values()), chosen
        assert any(k.endswith("_mve") for k in chosen.values()), chosen
    project = build(source, graph, board, tmp_path / "fw").out_dir
    with open_device(board, project, emulate=True) as dev:
        for i, x in enumerate(xs):
            assert_device_equals_reference(dev, graph, x, f"input {i}")
            if want is not None:
                raw, _ = dev.run(x.tobytes())
                got = np.frombuffer(raw, dtype=np.int8)
                assert np.array_equal(got, want[i].ravel()), f"input {i}: {first_difference(want[i].ravel(), got)}"


@needs_tree
@needs_qemu
@pytest.mark.parametrize("board,name", [(M55, "kws_dscnn"), (M55, "vww_mobilenet"), (M55, "ic_resnet8"),
                                        (M55, "ad_autoencoder"), ("b-u585i-iot02a", "kws_dscnn")])
def test_cmsis_nn_mlperf_equals_tflm_on_new_cores(board, name, tmp_path):
    from tflite_refs import tflm_run

    from tinygen.hil.target import open_device

    path = mlperf_model(name)
    target = get_board(board)
    source = load_source(path)
    graph = compile_source(source, options=CompileOptions(features=target.isa_features, kernels="cmsis-nn",
                                                          cmsis_nn=TREE))
    chosen = kernels_of(graph)
    assert all("_cmsis_nn" in k for k in chosen.values()), chosen
    assert any(k.endswith("_mve") for k in chosen.values()) == ("mve" in target.isa_features)
    project = build(source, graph, target, tmp_path / name).out_dir
    rng = np.random.default_rng(1)
    xs = [rng.integers(-128, 128, size=source.input_shape).astype(np.int8) for _ in range(2)]
    want = tflm_run(path.read_bytes(), xs)
    with open_device(target, project, emulate=True) as dev:
        for i, x in enumerate(xs):
            raw, _ = dev.run(x.tobytes())
            got = np.frombuffer(raw, dtype=np.int8)
            assert np.array_equal(got, want[i].ravel()), f"{name} input {i}: {first_difference(want[i].ravel(), got)}"
