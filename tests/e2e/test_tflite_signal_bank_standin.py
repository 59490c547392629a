"""The filter-bank half of TFLite Micro's signal library and the plain-integer builtin ops around
it on the f746zg stand-in: one .tflite model (CAST, int32 STRIDED_SLICE, CONCATENATION with
constants, SignalFilterBank, FilterBankSquareRoot, FilterBankSpectralSubtraction, PCAN,
FilterBankLog, then the micro-speech preprocessor's int8 tail: CAST, MUL, ADD, DIV, ADD, MINIMUM,
MAXIMUM, CAST). The noise estimate carries over invocations: frame after frame, both outputs
equal the numpy reference (its state carried the same way) and TensorFlow Lite Micro, across a
`tg reset`; every layer equals the reference on a frame from the reset state."""

from __future__ import annotations

import shutil

import numpy as np
import pytest
from e2e import first_difference
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

BINS, CHANNELS = 33, 8
SUBTRACTION = {"smoothing": 655, "one_minus_smoothing": 15729, "alternate_smoothing": 393,
               "alternate_one_minus_smoothing": 15991, "min_signal_remaining": 819, "smoothing_bits": 10,
               "spectral_subtraction_bits": 14, "clamping": False, "num_channels": CHANNELS}


def _int32(b, name, values):
    values = np.asarray(values, np.int32)
    return b.tensor(name, list(values.shape), "int32", data=values)


def _model(rng) -> bytes:
    b = ModelBuilder("signal filter bank")
    x, shift = b.tensor("spectrum", [BINS], "uint32"), b.tensor("shift", [], "int32")
    t = {n: b.tensor(n, [BINS], "int32") for n in ("i", "cc")}
    sliced = b.tensor("sliced", [BINS - 5], "int32")
    b.op("CAST", [x], [t["i"]])
    b.op("STRIDED_SLICE", [t["i"], _int32(b, "b", [2]), _int32(b, "e", [BINS - 3]), _int32(b, "s", [1])], [sliced],
         "StridedSliceOptions")
    b.op("CONCATENATION", [_int32(b, "z2", [0, 0]), sliced, _int32(b, "z3", [0, 0, 0])], [t["cc"]],
         "ConcatenationOptions", Axis=0)
    spectrum = b.tensor("spectrum_u32", [BINS], "uint32")
    b.op("CAST", [t["cc"]], [spectrum])
    widths = np.array([2, 4, 4, 5, 5, 6, 6, 7, 7], np.int16)
    starts = np.array([1, 2, 5, 8, 12, 16, 20, 24, 26], np.int16)
    wstarts = np.concatenate([[0], np.cumsum(widths)[:-1]]).astype(np.int16)
    weights = rng.integers(0, 4096, int(widths.sum())).astype(np.int16)
    tables = [b.tensor(f"t{k}", [v.size], "int16", data=v) for k, v in
              enumerate((weights, 4096 - weights, starts, wstarts, widths))]
    energy, root = b.tensor("energy", [CHANNELS], "uint64"), b.tensor("root", [CHANNELS], "uint32")
    sub, noise = b.tensor("subtracted", [CHANNELS], "uint32"), b.tensor("noise", [CHANNELS], "uint32")
    pcan, log = b.tensor("pcan", [CHANNELS], "uint32"), b.tensor("log", [CHANNELS], "int16")
    lut = b.tensor("lut", [125], "int16", data=rng.integers(0, 4000, 125).astype(np.int16))
    b.op("CUSTOM:SignalFilterBank", [spectrum, *tables], [energy], custom_options={"num_channels": CHANNELS})
    b.op("CUSTOM:SignalFilterBankSquareRoot", [energy, shift], [root])
    b.op("CUSTOM:SignalFilterBankSpectralSubtraction", [root], [sub, noise], custom_options=SUBTRACTION)
    b.op("CUSTOM:SignalPCAN", [sub, noise, lut], [pcan], custom_options={"snr_shift": 6})
    b.op("CUSTOM:SignalFilterBankLog", [pcan], [log], custom_options={"input_correction_bits": 3, "output_scale": 40})
    tail = {n: b.tensor(n, [CHANNELS], "int32") for n in ("c", "m", "a", "d", "a2", "mn", "mx")}
    out = b.tensor("features", [CHANNELS], "int8")
    b.op("CAST", [log], [tail["c"]])
    b.op("MUL", [tail["c"], _int32(b, "k256", 256)], [tail["m"]], "MulOptions")
    b.op("ADD", [tail["m"], _int32(b, "k333", 333)], [tail["a"]], "AddOptions")
    b.op("DIV", [tail["a"], _int32(b, "k666", 666)], [tail["d"]], "DivOptions")
    b.op("ADD", [tail["d"], _int32(b, "km128", -128)], [tail["a2"]], "AddOptions")
    b.op("MINIMUM", [tail["a2"], _int32(b, "k127", 127)], [tail["mn"]])
    b.op("MAXIMUM", [tail["mn"], _int32(b, "km128b", -128)], [tail["mx"]])
    b.op("CAST", [tail["mx"]], [out])
    return b.finish([x, shift], [out, log])


def _frames(rng, count: int):
    """Spectra growing from silence to loud, and their shifts."""
    return [(rng.integers(0, 1 << (8 + 2 * k), BINS, dtype=np.uint64).astype(np.uint32), np.array(k % 3, np.int32))
            for k in range(count)]


def test_tflite_signal_bank_equal_tflm_on_f746zg_standin(tmp_path):
    tflm = pytest.importorskip("tflite_micro.python.tflite_micro.runtime", reason="TFLite Micro is not installed")
    rng = np.random.default_rng(45)
    data = _model(rng)
    path = tmp_path / "bank.tflite"
    path.write_bytes(data)
    board = get_board("f746zg")
    source = load_source(path)
    graph = compile_source(source, options=CompileOptions(features=board.isa_features))
    result = build(source, graph, board, tmp_path / "fw")
    interp = tflm.Interpreter.from_bytes(data, arena_size=1 << 20)
    frames = _frames(rng, 8)
    with open_device(board, result.out_dir, emulate=True) as dev:
        seen = set()
        for sequence in (frames, frames[:3]):       # a sequence, then `tg reset` and another
            state: dict = {}
            for k, (x, shift) in enumerate(sequence):
                want = run(graph, [x, shift], state=state)
                interp.set_input(x, 0)
                interp.set_input(shift, 1)
                interp.invoke()
                raw, _ = dev.run(input_bytes([x, shift]))
                for j, got in enumerate(split_outputs(graph, raw)):
                    ref, tf = want[graph.outputs[j]].ravel(), np.asarray(interp.get_output(j)).ravel()
                    assert np.array_equal(got.ravel(), ref), f"frame {k}, output {j}: {first_difference(ref, got)}"
                    assert np.array_equal(ref, tf), f"frame {k}, output {j} vs TFLM: {first_difference(tf, ref)}"
                    seen.add(got.tobytes())
            assert dev.reset_state() == (graph.meta["memory"].state_bytes, True)
            interp.reset()
        assert len(seen) > 12       # the outputs vary, across the frames and the reset
        # every layer from the reset state, one frame: `tg layer-out I` runs layers 0..I
        x, shift = frames[4]
        want = run(graph, [x, shift], state={}, keep_all=True)
        dev.run(input_bytes([x, shift]))
        for index, node in enumerate(n for n in graph.nodes if n.kernel):
            dev.reset_state()
            layer = np.frombuffer(dev.layer_out(index), np.uint8)
            ref = np.ascontiguousarray(want[node.outputs[0]]).view(np.uint8).ravel()
            assert np.array_equal(layer, ref), f"layer {node.name} ({node.kernel}): {first_difference(ref, layer)}"
