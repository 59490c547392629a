"""TFLite Micro's streaming signal operators from .tflite (ops_signal_stream.py): SignalDelay on
int16 rows, a delay shorter and one longer than the frame, chained. Compiled, the reference and the
host C equal TFLite Micro over a sequence of invocations (the pending samples carried over), reset
part way as TFLite Micro's interpreter is."""

from __future__ import annotations

import numpy as np
import pytest
from e2e import build_host
from stream_check import tflm_sequence
from tflite.TensorType import TensorType
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


def _framing(steps: int = 2) -> bytes:
    """x [16] int16 -> SignalFramer(10 every 4, no prefill) -> frames [4, 10] and its flag;
    SignalStacker(16 channels, context 2 left and 1 right, every `steps`) -> [64] and its flag;
    SignalFramer(8 every 4, prefilled) -> SignalOverlapAdd(4) -> [16] (twice x, 4 samples late)."""
    b = ModelBuilder("framing")
    x, frames, fv = b.tensor("x", [16], "int16"), b.tensor("frames", [4, 10], "int16"), b.tensor("fv", [], "bool")
    stacked, sv = b.tensor("stacked", [64], "int16"), b.tensor("sv", [], "bool")
    frames2, fv2, ola = b.tensor("frames2", [4, 8], "int16"), b.tensor("fv2", [], "bool"), b.tensor("ola", [16], "int16")
    b.op("CUSTOM:SignalFramer", [x], [frames, fv], custom_options={"frame_size": 10, "frame_step": 4, "prefill": False})
    b.op("CUSTOM:SignalStacker", [x], [stacked, sv], custom_options={
        "num_channels": 16, "stacker_left_context": 2, "stacker_right_context": 1, "stacker_step": steps})
    b.op("CUSTOM:SignalFramer", [x], [frames2, fv2], custom_options={"frame_size": 8, "frame_step": 4, "prefill": True})
    b.op("CUSTOM:SignalOverlapAdd", [frames2], [ola], custom_options={"T": TensorType.INT16, "frame_step": 4})
    return b.finish([x], [frames, fv, stacked, sv, ola])


def test_signal_framer_stacker_overlap_add_equal_tflm_over_a_sequence_tflite(tmp_path):
    """10 invocations, reset after the 6th: every output equal to TFLite Micro's (frames where its
    flag says they are whole: TFLite Micro leaves the others unwritten)."""
    data = _framing()
    (tmp_path / "framing.tflite").write_bytes(data)
    source = load_source(tmp_path / "framing.tflite")
    graph = compile_source(source)
    assert sorted(n.kernel for n in graph.nodes if n.state_bytes) == [
        "tg_signal_framer_s16", "tg_signal_framer_s16", "tg_signal_overlap_add_s16", "tg_signal_stacker_s16"]
    host = build_host(source, graph, tmp_path / "host")
    rng = np.random.default_rng(47)
    xs = [rng.integers(-32768, 32768, 16).astype(np.int16) for _ in range(10)]
    outs = tflm_sequence(runtime, data, graph, host, xs, reset_at=(6,), valid={0: 1, 2: 3})
    # the flags as the ring buffers fill: the framer's first call lacks 2 whole frames; the
    # stacker holds 3 of its 4 frames at its first call (the left context), then drops 2 of 4
    # after each whole one
    assert [bool(o[1][0]) for o in outs] == [k not in (0, 6) for k in range(10)]
    assert [bool(o[3][0]) for o in outs] == [k % 2 == 1 for k in range(10)]
    # the teeth: overlap-adding the prefilled frames of 8 every 4 gives twice x, 4 samples late
    for k, out in enumerate(outs):
        late = np.concatenate([np.zeros(4, np.int16) if k in (0, 6) else xs[k - 1][-4:], xs[k][:-4]]).astype(np.int64)
        assert np.array_equal(out[4], np.clip(2 * late, -32768, 32767)), f"invocation {k}"


def test_signal_stacker_step_beyond_its_context_refused_tflite(tmp_path):
    (tmp_path / "m.tflite").write_bytes(_framing(steps=5))
    with pytest.raises(UnsupportedOpError, match="stacker_step = 5 is outside"):
        compile_source(load_source(tmp_path / "m.tflite"))


def _float_stft() -> bytes:
    """x [3, 32] float32 frames -> SignalRfft(32) -> [3, 34] -> SignalIrfft(32) -> [3, 32] ->
    SignalOverlapAdd(16) -> [48]: the float short-time transform and its inverse."""
    b = ModelBuilder("float stft")
    x, f, r, y = (b.tensor(n, s, "float32") for n, s in (("x", [3, 32]), ("bins", [3, 34]), ("frames", [3, 32]),
                                                         ("y", [48])))
    b.op("CUSTOM:SignalRfft", [x], [f], custom_options={"T": TensorType.FLOAT32, "fft_length": 32})
    b.op("CUSTOM:SignalIrfft", [f], [r], custom_options={"T": TensorType.FLOAT32, "fft_length": 32})
    b.op("CUSTOM:SignalOverlapAdd", [r], [y], custom_options={"T": TensorType.FLOAT32, "frame_step": 16})
    return b.finish([x], [y, f])


def test_signal_float_stft_equal_tflm_over_a_sequence_tflite(tmp_path):
    """8 invocations, reset after the 5th: the overlap-added output and the bins equal TFLite
    Micro's bit for bit, and the inverse gives back each frame (to float rounding)."""
    data = _float_stft()
    (tmp_path / "stft.tflite").write_bytes(data)
    source = load_source(tmp_path / "stft.tflite")
    graph = compile_source(source)
    assert [n.kernel for n in graph.nodes] == ["tg_signal_rfft_f32", "tg_signal_irfft_f32",
                                               "tg_signal_overlap_add_f32"]
    assert [n.state_bytes for n in graph.nodes] == [0, 0, 4 * 32]
    host = build_host(source, graph, tmp_path / "host")
    rng = np.random.default_rng(49)
    xs = [rng.normal(0, 10.0 ** rng.uniform(-2, 3), (3, 32)).astype(np.float32) for _ in range(8)]
    outs = tflm_sequence(runtime, data, graph, host, xs, reset_at=(5,))
    for k, out in enumerate(outs):      # the teeth: frames of 32 every 16 overlap-added (after the reset: none before)
        frames = xs[k].astype(np.float64)
        before = np.zeros(16) if k in (0, 5) else xs[k - 1][2, 16:]
        want = np.concatenate([before + frames[0, :16], frames[0, 16:] + frames[1, :16], frames[1, 16:] + frames[2, :16]])
        assert np.allclose(out[0], want, rtol=1e-4, atol=1e-4 * np.abs(frames).max()), f"invocation {k}"


@pytest.mark.parametrize("op, options, message", [
    ("SignalIrfft", {"T": TensorType.INT8, "fft_length": 8}, "int16, int32 and float32 inverse real FFTs are supported, "
     "as in TFLite Micro \\(T is INT8\\)"),
    ("SignalOverlapAdd", {"T": TensorType.INT32, "frame_step": 4}, "overlap-adds int16 and float32 frames only, as TFLite "
     "Micro \\(T is INT32\\)")])
def test_signal_op_of_other_types_refused_in_one_line_tflite(tmp_path, op, options, message):
    b = ModelBuilder()
    x, y = b.tensor("x", [2, 10], "int16"), b.tensor("y", [8], "int16")
    b.op(f"CUSTOM:{op}", [x], [y], custom_options=options)
    (tmp_path / "m.tflite").write_bytes(b.finish([x], [y]))
    with pytest.raises(UnsupportedOpError, match=message) as err:
        compile_source(load_source(tmp_path / "m.tflite"))
    assert "\n" not in err.value.args[0]


def _circular(cycles_max: int | None = 1) -> bytes:
    """x [1, 1, 2, 3] int8 -> CIRCULAR_BUFFER -> a window [1, 4, 2, 3], a variable tensor (TFLite
    Micro keeps it between invocations and resets it to the zero point); x -> CIRCULAR_BUFFER with
    no options, whose 5 slots TFLite Micro runs at every call -> [1, 5, 2, 3], a plain tensor."""
    b = ModelBuilder("circular")
    q = {"scale": 0.1, "zero_point": -7}
    x, w4 = b.tensor("x", [1, 1, 2, 3], **q), b.tensor("w4", [1, 4, 2, 3], **q, variable=True)
    w5 = b.tensor("w5", [1, 5, 2, 3], **q)
    b.op("CUSTOM:CIRCULAR_BUFFER", [x], [w4], custom_options={"cycles_max": cycles_max} if cycles_max else None)
    b.op("CUSTOM:CIRCULAR_BUFFER", [x], [w5])
    return b.finish([x], [w4, w5])


def test_circular_buffer_reference_and_host_c_equal_tflm_tflite(tmp_path):
    """9 invocations, reset after the 5th: the variable window equals TFLite Micro's throughout; the
    plain one where TFLite Micro defines it, once it has as many frames since the start (its window
    starts as its arena held it and its reset leaves it; tinygen's at the zero point). Both hold the
    last inputs, newest last, after the zero point."""
    data = _circular()
    (tmp_path / "c.tflite").write_bytes(data)
    source = load_source(tmp_path / "c.tflite")
    graph = compile_source(source)
    assert [n.kernel for n in graph.nodes] == ["tg_circular_buffer_s8"] * 2
    host = build_host(source, graph, tmp_path / "host")
    rng = np.random.default_rng(48)
    xs = [rng.integers(-128, 128, (1, 1, 2, 3)).astype(np.int8) for _ in range(9)]
    outs = tflm_sequence(runtime, data, graph, host, xs, reset_at=(5,), undefined={1: (0, 1, 2, 3, 5, 6, 7, 8)})
    for k, (w4, w5) in enumerate(outs):
        given = xs[:k + 1] if k < 5 else xs[5:k + 1]
        want = np.concatenate([np.full((4, 6), -7, np.int8), np.stack(given).reshape(-1, 6)])[-4:]
        assert np.array_equal(w4.reshape(4, 6), want), f"invocation {k}"
        if k == 4:
            assert np.array_equal(w5.reshape(5, 6), np.stack(xs[:5]).reshape(5, 6))


def test_circular_buffer_of_two_cycles_refused_tflite(tmp_path):
    (tmp_path / "c.tflite").write_bytes(_circular(cycles_max=2))
    with pytest.raises(UnsupportedOpError, match="runs the rest of the model every 2 invocations") as err:
        compile_source(load_source(tmp_path / "c.tflite"))
    assert "\n" not in err.value.args[0]
