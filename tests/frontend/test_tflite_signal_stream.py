"""TFLite Micro's streaming signal operators from .tflite (ops_signal_stream.py): SignalDelay on
int16 rows, a delay shorter and one longer than the frame, chained. Compiled, the reference and the
host C equal TFLite Micro over a sequence of invocations (the pending samples carried over), reset
part way as TFLite Micro's interpreter is."""

from __future__ import annotations

import numpy as np
import pytest
from e2e import build_host
from stream_check import tflm_sequence
from tflite_builder import ModelBuilder

from tinygen.compiler import compile_source, load_source
from tinygen.errors import UnsupportedOpError
from tinygen.hil.session import carries_state

runtime = pytest.importorskip("tflite_micro.python.tflite_micro.runtime", reason="TFLite Micro is not installed")


def _delays(first: int = 5, second: int = 17) -> bytes:
    """x [2, 12] int16 -> SignalDelay(first) -> SignalDelay(second): two streams of 12 samples a call."""
    b = ModelBuilder("delays")
    x, d, y = (b.tensor(n, [2, 12], "int16") for n in ("x", "d", "y"))
    b.op("CUSTOM:SignalDelay", [x], [d], custom_options={"delay_length": first})
    b.op("CUSTOM:SignalDelay", [d], [y], custom_options={"delay_length": second})
    return b.finish([x], [y, d])


def test_signal_delay_reference_and_host_c_equal_tflm_over_a_sequence_tflite(tmp_path):
    """9 invocations, TFLite Micro's interpreter, the reference and the host C reset after the 6th."""
    data = _delays()
    (tmp_path / "delays.tflite").write_bytes(data)
    source = load_source(tmp_path / "delays.tflite")
    graph = compile_source(source)
    assert [n.kernel for n in graph.nodes] == ["tg_signal_delay_s16"] * 2
    assert carries_state(graph) and [n.state_bytes for n in graph.nodes] == [2 * 2 * 5, 2 * 2 * 17]
    host = build_host(source, graph, tmp_path / "host")
    rng = np.random.default_rng(46)
    xs = [rng.integers(-32768, 32768, (2, 12)).astype(np.int16) for _ in range(9)]
    outs = tflm_sequence(runtime, data, graph, host, xs, reset_at=(6,))
    seen = [(x, want[1].reshape(2, 12)) for x, want in zip(xs, outs)]
    # the teeth, from SignalDelay's meaning: the 5-sample delay gives zeros then the input's start at
    # the first call (and after the reset), then the last 5 samples of the call before
    for k, (x, delayed) in enumerate(seen):
        before = np.zeros((2, 5), np.int16) if k in (0, 6) else seen[k - 1][0][:, 7:]
        assert np.array_equal(delayed, np.concatenate([before, x[:, :7]], axis=1)), f"invocation {k}"


def test_signal_delay_of_zero_refused_tflite(tmp_path):
    (tmp_path / "m.tflite").write_bytes(_delays(first=0))
    with pytest.raises(UnsupportedOpError, match="delay_length = 0 is outside"):
        compile_source(load_source(tmp_path / "m.tflite"))
