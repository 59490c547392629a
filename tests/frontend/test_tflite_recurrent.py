"""UNIDIRECTIONAL_SEQUENCE_LSTM and SVDF from .tflite (tinygen/frontend/tflite/ops_recurrent.py):
over drawn shapes and seeded inputs, the numpy reference and the host C equal TensorFlow Lite
Micro's host interpreter byte for byte, invocation after invocation (the layers' state, TFLite's
variable tensors, carries over), and after tg_model_reset_state() a sequence starts over as on a
fresh interpreter. Files the importer must refuse say why."""

from __future__ import annotations

import numpy as np
import pytest
from e2e import build_host, first_difference
from tflite_recurrent_cases import lstm_model, svdf_model, tflm_sequence

from tinygen.compiler import compile_source, load_source
from tinygen.errors import ModelError, UnsupportedOpError
from tinygen.ref.interpreter import run

pytest.importorskip("tflite_micro.python.tflite_micro.runtime", reason="TFLite Micro is not installed")

# (batches, steps, inputs, hidden, time major, cell clip), drawn once from seed 7 plus edge cases
_rng = np.random.default_rng(7)
LSTM_CASES = [(1, 1, 1, 1, False, 0.0), (2, 3, 5, 4, False, 0.0), (1, 6, 3, 7, True, 0.0), (1, 4, 9, 5, False, 0.5)] + [
    (int(_rng.integers(1, 3)), int(_rng.integers(1, 8)), int(_rng.integers(1, 20)), int(_rng.integers(1, 20)),
     False, 0.0) for _ in range(6)]
# TFLite Micro's 16x8 LSTM (int16 activations, int64 biases): (batches, steps, inputs, hidden, time major, clip)
LSTM_S16_CASES = [(1, 1, 1, 1, False, 0.0), (2, 3, 5, 4, False, 0.0), (1, 4, 6, 7, True, 0.0), (2, 5, 9, 6, False, 0.5),
                  (1, 3, 24, 16, False, 0.0)]
# (batches, inputs, units, rank, memory, bias, state type); TFLite Micro's SVDF reads the bias's scale
# in Prepare whether there is one or not (it crashes without), so every case has one
SVDF_CASES = [(1, 1, 1, 1, 1, True, "int16"), (2, 7, 3, 2, 4, True, "int16"), (1, 40, 8, 1, 10, True, "int16")] + [
    (int(_rng.integers(1, 3)), int(_rng.integers(1, 30)), int(_rng.integers(1, 10)), int(_rng.integers(1, 3)),
     int(_rng.integers(1, 12)), True, "int16") for _ in range(5)]
# int8 time weights and state (keyword_scrambled's SVDF), the state's zero point drawn
SVDF_CASES += [(1, 1, 1, 1, 1, True, "int8"), (2, 9, 3, 2, 5, True, "int8"), (1, 96, 16, 1, 8, True, "int8")] + [
    (int(_rng.integers(1, 3)), int(_rng.integers(1, 40)), int(_rng.integers(1, 10)), int(_rng.integers(1, 3)),
     int(_rng.integers(1, 12)), True, "int8") for _ in range(3)]
INVOCATIONS = 5


def _compiled(data: bytes, tmp_path, name: str):
    path = tmp_path / f"{name}.tflite"
    path.write_bytes(data)
    source = load_source(path)
    return source, compile_source(source)


def _inputs(graph, rng, count: int) -> list[np.ndarray]:
    t = graph.tensor(graph.inputs[0])
    info = np.iinfo(t.np_dtype)
    return [rng.integers(info.min, info.max + 1, t.shape).astype(t.np_dtype) for _ in range(count)]


def _check_sequence(data: bytes, graph, xs, host=None) -> None:
    want = tflm_sequence(data, xs)
    state: dict = {}
    for k, x in enumerate(xs):
        ref = run(graph, x, state=state)[graph.outputs[0]].ravel()
        assert np.array_equal(ref, want[k].ravel()), f"reference, invocation {k}: {first_difference(want[k], ref)}"
        if host is not None:
            got = host.invoke(x)[0].ravel()
            assert np.array_equal(got, want[k].ravel()), f"host C, invocation {k}: {first_difference(want[k], got)}"


@pytest.mark.parametrize("case", LSTM_CASES, ids=lambda c: "b{}_t{}_i{}_h{}{}{}".format(
    *c[:4], "_time_major" if c[4] else "", "_clip" if c[5] else ""))
def test_lstm_s8_reference_equals_tflm(case, tmp_path):
    rng = np.random.default_rng(sum(case[:4]))
    data = lstm_model(rng, *case)
    _, graph = _compiled(data, tmp_path, "lstm")
    assert [n.op for n in graph.nodes if n.kernel] == ["lstm"]
    _check_sequence(data, graph, _inputs(graph, rng, INVOCATIONS))


@pytest.mark.parametrize("case", LSTM_S16_CASES, ids=lambda c: "b{}_t{}_i{}_h{}{}{}".format(
    *c[:4], "_time_major" if c[4] else "", "_clip" if c[5] else ""))
def test_lstm_s16_reference_equals_tflm(case, tmp_path):
    rng = np.random.default_rng(100 + sum(case[:4]))
    data = lstm_model(rng, *case, activations="int16")
    _, graph = _compiled(data, tmp_path, "lstm16")
    assert [n.kernel for n in graph.nodes if n.op == "lstm"] == ["tg_lstm_s16"]
    _check_sequence(data, graph, _inputs(graph, rng, INVOCATIONS))


@pytest.mark.parametrize("case", SVDF_CASES, ids=lambda c: "b{}_i{}_u{}_r{}_m{}_{}".format(*c[:5], c[6]))
def test_svdf_s8_reference_equals_tflm(case, tmp_path):
    rng = np.random.default_rng(sum(case[:5]))
    data = svdf_model(rng, *case)
    _, graph = _compiled(data, tmp_path, "svdf")
    assert [n.kernel for n in graph.nodes if n.kernel] == ["tg_svdf_s8" if case[6] == "int16" else "tg_svdf_s8_s8"]
    _check_sequence(data, graph, _inputs(graph, rng, max(INVOCATIONS, case[4] + 2)))


HOST_MODELS = {"lstm": lambda rng: lstm_model(rng, 2, 4, 6, 5), "svdf": lambda rng: svdf_model(rng, 1, 12, 4, 2, 6),
               # int8 state: reset to its zero point, not 0
               "svdf_s8_state": lambda rng: svdf_model(rng, 2, 12, 4, 2, 6, state="int8", state_zero_point=-37),
               "lstm_s16": lambda rng: lstm_model(rng, 2, 3, 7, 5, activations="int16")}


@pytest.mark.parametrize("kind", list(HOST_MODELS))
def test_recurrent_s8_host_c_equals_tflm_and_resets(kind, tmp_path):
    rng = np.random.default_rng(11)
    data = HOST_MODELS[kind](rng)
    source, graph = _compiled(data, tmp_path, kind)
    host = build_host(source, graph, tmp_path / "host")
    xs = _inputs(graph, rng, 6)
    _check_sequence(data, graph, xs, host)
    host.reset_state()          # a new sequence: as a fresh TFLite Micro interpreter
    first = tflm_sequence(data, xs[:2])
    for k in range(2):
        assert np.array_equal(host.invoke(xs[k])[0].ravel(), first[k].ravel()), f"after the reset, invocation {k}"
    # the outputs vary: the state does carry over (the same input twice gives two outputs)
    assert not np.array_equal(host.invoke(xs[0])[0], host.invoke(xs[0])[0])


def test_lstm_with_peephole_is_refused(tmp_path):
    from tflite_builder import ModelBuilder

    rng = np.random.default_rng(0)
    data = lstm_model(rng, 1, 2, 3, 4)
    path = tmp_path / "ok.tflite"
    path.write_bytes(data)
    load_source(path)               # the plain layer loads
    b = ModelBuilder()
    x = b.tensor("x", [1, 2, 3], scale=0.1, zero_point=0)
    w = [b.tensor(f"w{k}", [4, 3 if k < 4 else 4], scale=0.01, data=np.ones((4, 3 if k < 4 else 4))) for k in range(8)]
    peep = b.tensor("peephole", [4], "int16", scale=0.01, data=np.ones(4))
    bias = [b.tensor(f"b{k}", [4], "int32", scale=0.001, data=np.zeros(4)) for k in range(4)]
    h = b.tensor("h", [1, 4], scale=0.01, zero_point=0, variable=True)
    c = b.tensor("c", [1, 4], "int16", scale=2.0 ** -11, variable=True)
    y = b.tensor("y", [1, 2, 4], scale=0.01, zero_point=0)
    b.op("UNIDIRECTIONAL_SEQUENCE_LSTM", [x] + w + [peep, -1, -1] + bias + [-1, -1, h, c, -1, -1, -1, -1], [y],
         "UnidirectionalSequenceLSTMOptions", FusedActivationFunction=4, TimeMajor=False)
    path = tmp_path / "peephole.tflite"
    path.write_bytes(b.finish([x], [y]))
    with pytest.raises(UnsupportedOpError, match="peephole"):
        load_source(path)


def test_svdf_with_int16_input_is_refused_as_tflite_micro_does(tmp_path):
    """TFLite Micro's SVDF takes int8 (or float32) input: an int16 one is refused, naming the SVDF."""
    from tflite_builder import ModelBuilder

    b = ModelBuilder()
    x = b.tensor("x", [1, 8], "int16", scale=1e-3, zero_point=0)
    wf = b.tensor("wf", [4, 8], scale=0.01, zero_point=0, data=np.ones((4, 8)))
    wt = b.tensor("wt", [4, 3], "int16", scale=1e-4, zero_point=0, data=np.ones((4, 3)))
    bias = b.tensor("b", [4], "int32", scale=1e-5, zero_point=0, data=np.zeros(4))
    st = b.tensor("s", [1, 12], "int16", scale=0.1, zero_point=0, variable=True)
    y = b.tensor("y", [1, 4], "int16", scale=0.01, zero_point=0)
    b.op("SVDF", [x, wf, wt, bias, st], [y], "SVDFOptions", Rank=1)
    path = tmp_path / "svdf16.tflite"
    path.write_bytes(b.finish([x], [y]))
    with pytest.raises(ModelError, match=r"SVDF \(operator 0\).*TFLite Micro runs no SVDF with int16"):
        load_source(path)


def test_svdf_time_weights_and_state_of_two_types_are_refused(tmp_path):
    """TFLite Micro reads the state as the time weights' type: int8 time weights over an int16 state
    would be read wrongly, so the file is refused, naming both types."""
    from tflite_builder import ModelBuilder

    b = ModelBuilder()
    x = b.tensor("x", [1, 8], scale=0.1, zero_point=0)
    wf = b.tensor("wf", [4, 8], scale=0.01, zero_point=0, data=np.ones((4, 8)))
    wt = b.tensor("wt", [4, 3], scale=0.01, zero_point=0, data=np.ones((4, 3)))
    bias = b.tensor("b", [4], "int32", scale=1e-5, zero_point=0, data=np.zeros(4))
    st = b.tensor("s", [1, 12], "int16", scale=0.1, zero_point=0, variable=True)
    y = b.tensor("y", [1, 4], scale=0.01, zero_point=0)
    b.op("SVDF", [x, wf, wt, bias, st], [y], "SVDFOptions", Rank=1)
    path = tmp_path / "svdf_mixed.tflite"
    path.write_bytes(b.finish([x], [y]))
    with pytest.raises(UnsupportedOpError, match="time weights of INT8 and a state of INT16"):
        load_source(path)
