"""TFLite Micro's streaming model machinery on the f746zg stand-in: one plain int16 .tflite model
with resource variables (CALL_ONCE's init subgraph, VAR_HANDLE, READ_VARIABLE, ASSIGN_VARIABLE) and
the signal library's streaming ops (SignalFramer with prefill, SignalIrfft, SignalOverlapAdd,
SignalStacker with its bool flag, SignalDelay) and TFLite Micro's CIRCULAR_BUFFER (after a CAST to
int8). Invocation after invocation, across a `tg reset`,
every output equals the numpy reference (its state carried the same way) and TensorFlow Lite Micro
(made afresh at the reset, as tg_model_reset_state() puts the variables' initial values back); every
layer equals the reference on a frame from the reset state. The host-side tests of these ops:
tests/frontend/test_tflite_variables.py, test_tflite_signal_stream.py, test_tflite_signal.py."""

from __future__ import annotations

import shutil

import numpy as np
import pytest
from e2e import first_difference
from stream_check import tflm_sequence
from tflite.TensorType import TensorType
from tflite_builder import ModelBuilder

from tinygen.board import get_board
from tinygen.compiler import build, compile_source, load_source
from tinygen.hil.session import input_bytes, split_outputs
from tinygen.hil.target import open_device
from tinygen.passes import CompileOptions
from tinygen.ref.interpreter import run

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(shutil.which("qemu-system-arm") is None or shutil.which("arm-none-eabi-gcc") is None,
                                 reason="the f746zg stand-in needs qemu-system-arm and arm-none-eabi-gcc")]

N = 16


def _model() -> bytes:
    """x [16] int16: frames of 10 every 4 (prefilled) read as 5 spectrum bins -> inverse FFT of 8 ->
    overlap-added by 4 -> ola [16], which the variable "last" keeps for the next call (its read, the
    call before's, is an output; its initial value a ramp); x stacked with 1 frame of left context;
    x delayed by 3 samples; x cast to int8, reshaped [1, 1, 2, 8], in a window of 3 frames."""
    b = ModelBuilder("streaming")
    x = b.tensor("x", [N], "int16")
    frames, fv = b.tensor("frames", [N // 4, 10], "int16"), b.tensor("fv", [], "bool")
    wave, ola = b.tensor("wave", [N // 4, 8], "int16"), b.tensor("ola", [N], "int16")
    stacked, sv = b.tensor("stacked", [2 * N], "int16"), b.tensor("sv", [], "bool")
    delayed, last, h = b.tensor("delayed", [N], "int16"), b.tensor("last", [N], "int16"), b.tensor("h", [], "resource")
    b.op("CALL_ONCE", [], [], "CallOnceOptions", InitSubgraphIndex=1)
    b.op("CUSTOM:SignalFramer", [x], [frames, fv], custom_options={"frame_size": 10, "frame_step": 4, "prefill": True})
    b.op("CUSTOM:SignalIrfft", [frames], [wave], custom_options={"T": TensorType.INT16, "fft_length": 8})
    b.op("CUSTOM:SignalOverlapAdd", [wave], [ola], custom_options={"T": TensorType.INT16, "frame_step": 4})
    b.op("VAR_HANDLE", [], [h], "VarHandleOptions", SharedName="last")
    b.op("READ_VARIABLE", [h], [last])
    b.op("ASSIGN_VARIABLE", [h, ola], [])
    b.op("CUSTOM:SignalStacker", [x], [stacked, sv], custom_options={
        "num_channels": N, "stacker_left_context": 1, "stacker_right_context": 0, "stacker_step": 1})
    b.op("CUSTOM:SignalDelay", [x], [delayed], custom_options={"delay_length": 3})
    narrow, frame, window = (b.tensor("narrow", [N], "int8"), b.tensor("frame", [1, 1, 2, N // 2], "int8"),
                             b.tensor("window", [1, 3, 2, N // 2], "int8", variable=True))
    b.op("CAST", [x], [narrow])
    b.op("RESHAPE", [narrow, b.tensor("shape", [4], "int32", data=[1, 1, 2, N // 2])], [frame])
    b.op("CUSTOM:CIRCULAR_BUFFER", [frame], [window], custom_options={"cycles_max": 1})
    init = b.subgraph()
    hi, ramp = init.tensor("h", [], "resource"), init.tensor("ramp", [N], "int16", data=np.arange(N) * 1000 - 8000)
    init.op("VAR_HANDLE", [], [hi], "VarHandleOptions", SharedName="last")
    init.op("ASSIGN_VARIABLE", [hi, ramp], [])
    return b.finish([x], [ola, last, stacked, sv, delayed, window])


class _Device:
    """The stand-in as stream_check.tflm_sequence drives a host build: invoke(x) -> outputs."""

    def __init__(self, dev, graph):
        self.dev, self.graph = dev, graph

    def invoke(self, x) -> list[np.ndarray]:
        return split_outputs(self.graph, self.dev.run(input_bytes(x))[0])

    def reset_state(self) -> None:
        assert self.dev.reset_state() == (self.graph.meta["memory"].state_bytes, True)


def test_tflite_streaming_ops_and_variables_equal_tflm_on_f746zg_standin(tmp_path):
    tflm = pytest.importorskip("tflite_micro.python.tflite_micro.runtime", reason="TFLite Micro is not installed")
    data = _model()
    path = tmp_path / "streaming.tflite"
    path.write_bytes(data)
    board = get_board("f746zg")
    source = load_source(path)
    graph = compile_source(source, options=CompileOptions(features=board.isa_features))
    assert sorted({n.kernel for n in graph.nodes if n.kernel}) == [
        "tg_assign_variable", "tg_cast", "tg_circular_buffer_s8", "tg_read_variable", "tg_signal_delay_s16", "tg_signal_framer_s16", "tg_signal_irfft_s16",
        "tg_signal_overlap_add_s16", "tg_signal_stacker_s16", "tg_signal_stream_valid"]
    result = build(source, graph, board, tmp_path / "fw")
    rng = np.random.default_rng(45)
    xs = [rng.integers(-3000, 3000, N).astype(np.int16) for _ in range(7)]
    with open_device(board, result.out_dir, emulate=True) as dev:
        outs = tflm_sequence(tflm, data, graph, _Device(dev, graph), xs, reset_at=(4,), fresh=True, valid={2: 3})
        # the teeth: the variable gives the call before's overlap-add (its ramp after the reset),
        # the stacker its first whole frame at once (the left context repeats it)
        for k, out in enumerate(outs):
            before = np.arange(N) * 1000 - 8000 if k in (0, 4) else outs[k - 1][0]
            assert np.array_equal(out[1], before), f"invocation {k}"
            assert out[3].all() and np.array_equal(out[2][N:], xs[k])
        # every layer from the reset state, one frame: `tg layer-out I` runs layers 0..I
        want = run(graph, xs[2], state={}, keep_all=True)
        dev.run(input_bytes(xs[2]))
        for index, node in enumerate(n for n in graph.nodes if n.kernel):
            dev.reset_state()
            layer = np.frombuffer(dev.layer_out(index), np.uint8)
            ref = np.ascontiguousarray(want[node.outputs[0]]).view(np.uint8).ravel()
            assert np.array_equal(layer, ref), f"layer {node.name} ({node.kernel}): {first_difference(ref, layer)}"
