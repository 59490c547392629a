"""The four int8 MLPerf Tiny models imported from .tflite: tinygen's numpy reference and
its generated host C equal TensorFlow Lite Micro's host interpreter byte for byte.

LiteRT's reference kernels (BUILTIN_REF) agree too, except FULLY_CONNECTED, which
LiteRT requantizes with a single rounding: on the AD model (a chain of fully connected
layers) its outputs are reproduced exactly by the reference with that one rounding swapped.
"""

from __future__ import annotations

import functools
from pathlib import Path

import numpy as np
import pytest

from e2e import ALL_AGREE, build_host, diff_layers, first_difference
from tinygen.passes.analysis import total_macs
from tinygen.compiler import compile_source, load_source
from tinygen.ref import interpreter as ref_interp

from mlperf_models import mlperf_model

import tflite_refs  # skips the module when TFLM or LiteRT is absent

# anchors.md: multiply-accumulates per inference
MACS = {"kws_dscnn": 2_656_768, "vww_mobilenet": 7_489_664, "ic_resnet8": 12_501_632, "ad_autoencoder": 264_192}
MODELS = tuple(MACS)
INPUTS_PER_MODEL = 50

def model_path(name: str) -> Path:
    return mlperf_model(name)


@functools.lru_cache(maxsize=None)
def compiled(name: str, compact: bool = True):
    """The model as `tinygen build` compiles it; compact=False keeps every channel (the
    tensors then match TFLM's one for one: VWW has all-zero filters that compaction removes)."""
    from tinygen.passes import CompileOptions

    source = load_source(model_path(name))
    return source, compile_source(source, options=CompileOptions(compact=compact))


@functools.lru_cache(maxsize=None)
def inputs(name: str) -> tuple[np.ndarray, ...]:
    """Deterministic int8 inputs: half uniform over the int8 range, half around the zero point."""
    source, graph = compiled(name)
    zp = int(graph.tensor(graph.inputs[0]).qparams.zero_point[0])
    rng = np.random.default_rng(sum(name.encode()))
    xs = []
    for k in range(INPUTS_PER_MODEL):
        if k % 2:
            x = rng.integers(-128, 128, size=source.input_shape)
        else:
            x = np.clip(np.rint(rng.normal(zp, rng.uniform(5, 60), size=source.input_shape)), -128, 127)
        xs.append(x.astype(np.int8))
    return tuple(xs)


def tflm_interpreter(name: str, preserve_all: bool = False):
    return tflite_refs.tflm_interpreter(model_path(name).read_bytes(), preserve_all)


@functools.lru_cache(maxsize=None)
def tflm_outputs(name: str) -> tuple[np.ndarray, ...]:
    return tflite_refs.tflm_run(model_path(name).read_bytes(), inputs(name))


def litert_outputs(name: str) -> list[np.ndarray]:
    return tflite_refs.litert_run(model_path(name).read_bytes(), inputs(name))


def assert_equal_outputs(what: str, got, want) -> None:
    for i, (g, w) in enumerate(zip(got, want)):
        if not np.array_equal(g.ravel(), w.ravel()):
            raise AssertionError(f"{what}, input {i}: {first_difference(g.ravel(), w.ravel())}")


def reference_outputs(graph, xs, run=ref_interp.run) -> list[np.ndarray]:
    return [run(graph, x)[graph.outputs[0]] for x in xs]


@pytest.mark.parametrize("name", MODELS)
def test_tflite_s8_reference_equals_tflm(name):
    _, graph = compiled(name)
    assert graph.meta["quantized"] == "tflite"
    assert_equal_outputs(f"{name}: reference vs TFLM", reference_outputs(graph, inputs(name)), tflm_outputs(name))
    # the comparison has teeth: the outputs vary with the input
    assert len({o.tobytes() for o in tflm_outputs(name)}) > 10


@pytest.mark.parametrize("name", MODELS)
def test_tflite_s8_every_layer_equals_tflm(name):
    """Every intermediate tensor, on a few inputs (TFLM run with all tensors preserved)."""
    _, graph = compiled(name, compact=False)
    interp = tflm_interpreter(name, preserve_all=True)
    index = graph.meta["tflite_tensors"]
    for x in inputs(name)[:3]:
        interp.set_input(x, 0)
        interp.invoke()
        values = ref_interp.run(graph, x, keep_all=True)
        for node in graph.nodes:
            out = node.outputs[0]
            if out not in index:       # a reshape tinygen inserted
                continue
            want = interp.GetTensor(index[out], 0)["tensor_data"]
            got = values[out]
            assert np.array_equal(got.ravel(), want.ravel()), \
                f"{name}: first differing layer {node.name} ({node.source}): {first_difference(got, want)}"


@pytest.mark.parametrize("name", MODELS)
def test_tflite_s8_host_c_equals_tflm(name, tmp_path):
    source, graph = compiled(name)
    host = build_host(source, graph, tmp_path / name)
    got = [host.invoke(x)[0] for x in inputs(name)]
    assert_equal_outputs(f"{name}: host C vs TFLM", got, tflm_outputs(name))
    assert diff_layers(graph, host, inputs(name)[0]) == ALL_AGREE


def _fully_connected_single_rounding(p, input, weights, bias, multiplier, shift):
    """fully_connected_s8 with LiteRT's single-rounding requantization:
    (acc * multiplier + 2^(30 - shift)) >> (31 - shift), instead of TFLM's rounding
    doubling high multiply followed by a rounding right shift."""
    x = np.asarray(input, dtype=np.int64).reshape(p["rows"], p["in_features"]) + p["input_offset"]
    acc = x @ np.asarray(weights, dtype=np.int64).T + np.asarray(bias, dtype=np.int64)
    total = 31 - np.asarray(shift, dtype=np.int64)
    out = (acc * np.asarray(multiplier, dtype=np.int64) + (np.int64(1) << (total - 1))) >> total
    return np.clip(out + p["output_offset"], p["act_min"], p["act_max"]).astype(np.int8)


def run_litert_rounding(graph, x, fc_diffs: list | None = None):
    """The reference with LiteRT's FULLY_CONNECTED rounding; fc_diffs collects, per FC layer,
    the largest |single - double rounding| on the same layer input."""
    values = {graph.inputs[0]: np.asarray(x, np.int8).reshape(graph.tensor(graph.inputs[0]).shape)}
    for node in graph.nodes:
        out = ref_interp.run_node(graph, node, values)
        if node.op == "fully_connected":
            consts = [graph.const(node, r) for r in ("weight", "bias", "multiplier", "shift")]
            single = _fully_connected_single_rounding(node.attrs["kparams"], values[node.inputs[0]], *consts)
            single = single.reshape(out.shape)
            if fc_diffs is not None:
                fc_diffs.append(int(np.abs(single.astype(np.int32) - out.astype(np.int32)).max()))
            out = single
        values[node.outputs[0]] = out
    return {name: values[name] for name in graph.outputs}


@pytest.mark.parametrize("name", ["kws_dscnn", "vww_mobilenet"])
def test_tflite_s8_litert_ref_equals_tflm(name):
    assert_equal_outputs(f"{name}: LiteRT BUILTIN_REF vs TFLM", litert_outputs(name), tflm_outputs(name))


@pytest.mark.parametrize("name", MODELS)
def test_tflite_s8_litert_ref_equals_reference_with_single_rounding_fc(name):
    """LiteRT's reference kernels equal tinygen's reference once FULLY_CONNECTED rounds once
    (as LiteRT's does); that single rounding moves each FC output by at most 1. Where LiteRT
    and TFLM differ (AD: ten FC layers; IC: its last FC before softmax, on some inputs),
    tinygen follows TFLM exactly (test_tflite_s8_reference_equals_tflm)."""
    _, graph = compiled(name)
    fc_diffs: list[int] = []
    got = [run_litert_rounding(graph, x, fc_diffs)[graph.outputs[0]] for x in inputs(name)]
    assert_equal_outputs(f"{name}: LiteRT BUILTIN_REF vs single-rounding reference", got, litert_outputs(name))
    assert max(fc_diffs) <= 1
    if name == "ad_autoencoder":
        assert max(fc_diffs) == 1, "expected single and double rounding to differ somewhere on AD"


@pytest.mark.parametrize("name", MODELS)
def test_tflite_s8_total_macs(name):
    _, graph = compiled(name, compact=False)
    assert total_macs(graph) == MACS[name]
    # compaction only removes work (VWW's all-zero filters); the outputs stay TFLM's (host C test)
    assert total_macs(compiled(name)[1]) <= MACS[name]


@pytest.mark.slow
@pytest.mark.parametrize("board_name, suffix", [("f746zg", "_dsp"), ("esp32-c3", "_rv32"), ("n6570", "_mve"),
                                                ("u585", "_dsp"), ("f446re", "_dsp")])
@pytest.mark.parametrize("name", MODELS)
def test_tflite_s8_standin_firmware_equals_tflm(name, board_name, suffix, tmp_path):
    """The firmware built for the Nucleo-F746ZG (or the ESP32-C3, the STM32N6570-DK's Cortex-M55
    with its Helium kernels, the B-U585I-IOT02A's Cortex-M33, the Nucleo-F446RE with its own
    -DTG_ loop switches), run on its QEMU stand-in (mps2-an500; RISC-V virt; mps3-an547;
    mps2-an505; mps2-an386) through the serial protocol, equals TFLM on every input."""
    from tinygen.board import get_board
    from tinygen.compiler import build
    from tinygen.hil.target import open_device

    from tinygen.passes import CompileOptions

    board = get_board(board_name)
    source = load_source(model_path(name))
    # the board's ISA features: the DSP (RV32IM) kernels where a layer has one, portable C elsewhere
    graph = compile_source(source, options=CompileOptions(features=board.isa_features))
    assert any(n.kernel.endswith(suffix) for n in graph.nodes if n.kernel)
    project = build(source, graph, board, tmp_path / name).out_dir
    with open_device(board, project, emulate=True) as dev:
        assert dev.info()["counter"] == "instructions"
        got = [np.frombuffer(dev.run(x.tobytes())[0], dtype=np.int8) for x in inputs(name)]
    assert_equal_outputs(f"{name}: {board_name} stand-in firmware vs TFLM", got, tflm_outputs(name))
