"""TFLite Micro's signal library ops (SignalWindow, SignalFftAutoScale, SignalRfft, SignalIrfft,
SignalEnergy) in single-operator .tflite models of several sizes and options: tinygen's numpy
reference equals TensorFlow Lite Micro's host interpreter on silent, full-scale and noisy frames,
and every C kernel equals the reference; the first ops of TFLite Micro's audio preprocessor,
compiled for the host, equal TFLite Micro output by output and the reference layer by layer."""

from __future__ import annotations

import functools
import json
import zlib

import numpy as np
import pytest

from e2e import ALL_AGREE, build_host, diff_layers, first_difference, run_cli
from signal_lib import auto_scale, call_signal_kernel, energy, frames, front_end, irfft, rfft, window
from tflite_builder import ModelBuilder
from tinygen.compiler import compile_source, load_source
from tinygen.kernels.table import KERNELS_BY_NAME
from tinygen.ref import interpreter as ref_interp

import tflite_refs  # noqa: E402  (skips the module when TFLM is absent)

# name -> (model builder, its arguments)
CASES = {
    "window_480_shift12": (window, (1, 480, 12)),
    "window_3x7_shift0": (window, (3, 7, 0)),
    "window_2x8_shift20": (window, (2, 8, 20)),
    "window_5_shift31": (window, (1, 5, 31)),
    "auto_scale_40": (auto_scale, (40,)),
    "auto_scale_480": (auto_scale, (480,)),
    "rfft_4_of_4": (rfft, (1, 4, 4)),
    "rfft_6_of_8": (rfft, (1, 6, 8)),
    "rfft_32_of_32": (rfft, (1, 32, 32)),
    "rfft_2x48_of_64": (rfft, (2, 48, 64)),
    "rfft_100_of_128": (rfft, (1, 100, 128)),
    "rfft_480_of_512": (rfft, (1, 480, 512)),
    "rfft_1000_of_1024": (rfft, (1, 1000, 1024)),
    "rfft_s32_8_of_8": (rfft, (1, 8, 8, "int32")),
    "rfft_s32_100_of_128": (rfft, (1, 100, 128, "int32")),
    "rfft_s32_2x200_of_512": (rfft, (2, 200, 512, "int32")),
    # the inverse: radix 2 alone (4), radix 4 alone (8), 2 then 4 (32, 512), 4 three times (128)
    "irfft_4": (irfft, (1, 4)),
    "irfft_8": (irfft, (1, 8)),
    "irfft_3x32": (irfft, (3, 32)),
    "irfft_128": (irfft, (1, 128)),
    "irfft_512": (irfft, (1, 512)),
    # the other types TFLite Micro has: float32 real FFT, int32 and float32 inverse
    "rfft_f32_4_of_4": (rfft, (1, 4, 4, "float32")),
    "rfft_f32_2x48_of_64": (rfft, (2, 48, 64, "float32")),
    "rfft_f32_480_of_512": (rfft, (1, 480, 512, "float32")),
    "irfft_s32_8": (irfft, (1, 8, "int32")),
    "irfft_s32_3x32": (irfft, (3, 32, "int32")),
    "irfft_s32_512": (irfft, (1, 512, "int32")),
    "irfft_f32_4": (irfft, (1, 4, "float32")),
    "irfft_f32_3x32": (irfft, (3, 32, "float32")),
    "irfft_f32_512": (irfft, (1, 512, "float32")),
    "energy_257_from_5_to_241": (energy, (257, 5, 241)),
    "energy_33_all": (energy, (33, 0, 33)),
    "energy_9_from_3_to_4": (energy, (9, 3, 4)),
}


def seed(name: str) -> int:
    return zlib.crc32(name.encode())


@functools.lru_cache(maxsize=None)
def model(name: str) -> tuple[bytes, list[int], type]:
    """The case's model bytes, its input's shape and type."""
    b = ModelBuilder(f"tinygen test: {name}")
    make, args = CASES[name]
    inputs, outputs = make(b, np.random.default_rng(seed(name)), *args)
    dtype = np.int32 if "int32" in args else np.float32 if "float32" in args else np.int16
    return b.finish(inputs, outputs), b.tensors[inputs[0]].shape, dtype


_COMPILED: dict[str, object] = {}


def compiled(name: str, tmp_path_factory):
    if name not in _COMPILED:
        path = tmp_path_factory.mktemp("signal") / f"{name}.tflite"
        path.write_bytes(model(name)[0])
        _COMPILED[name] = compile_source(load_source(path))
    return _COMPILED[name]


def tflm_outputs(data: bytes, x: np.ndarray, count: int) -> list[np.ndarray]:
    interp = tflite_refs.tflm_interpreter(data)
    interp.set_input(x, 0)
    interp.invoke()
    return [np.array(interp.get_output(k)) for k in range(count)]


def defined(graph, name: str, values: np.ndarray) -> np.ndarray:
    """The elements TFLite Micro defines: an energy's bins start_index .. end_index - 1 (it
    leaves the others as the arena held them; tinygen writes 0)."""
    node = next(n for n in graph.nodes if n.outputs[0] == name)
    if node.op == "signal_energy":
        return values.ravel()[node.attrs["start_index"]:node.attrs["end_index"]]
    return values.ravel()


@pytest.mark.parametrize("name", CASES)
def test_signal_op_reference_equals_tflm(name, tmp_path_factory):
    graph = compiled(name, tmp_path_factory)
    data, shape, dtype = model(name)
    seen = set()
    for k, x in enumerate(frames(np.random.default_rng(seed(name) + 1), shape, dtype=dtype)):
        ref = ref_interp.run(graph, x)
        for j, (out, want) in enumerate(zip(graph.outputs, tflm_outputs(data, x, len(graph.outputs)), strict=True)):
            got, want = defined(graph, out, ref[out]), defined(graph, out, want)
            # bytes, not values: a float32 -0.0 must be TFLite Micro's -0.0
            assert got.dtype == want.dtype and got.tobytes() == want.tobytes(), \
                f"{name}, frame {k}, output {j}: reference vs TFLM: {first_difference(got, want)}"
            seen.add(want.tobytes())
    assert len(seen) > 8, "the outputs should vary with the frame"


@pytest.mark.parametrize("name", CASES)
def test_signal_op_c_kernel_equals_reference(name, tmp_path_factory, kernels):
    graph = compiled(name, tmp_path_factory)
    for x in frames(np.random.default_rng(seed(name) + 2), model(name)[1], dtype=model(name)[2]):
        values = ref_interp.run(graph, x, keep_all=True)
        for node in graph.nodes:
            spec = KERNELS_BY_NAME[node.kernel]
            want = values[node.outputs[0]]
            arrays = [values[t] for t in node.inputs] + [graph.const(node, role) for role in spec.const_roles]
            got = call_signal_kernel(kernels, node.kernel, spec.struct, node.attrs["kparams"], arrays,
                                     np.full(want.shape, 0x5A, want.dtype))
            assert got.tobytes() == want.tobytes(), \
                f"{name}: {node.kernel} C vs reference: {first_difference(got, want)}"


def test_signal_front_end_host_c_equals_tflm(tmp_path):
    b = ModelBuilder("signal front end")
    inputs, outputs = front_end(b, np.random.default_rng(3))
    data = b.finish(inputs, outputs)
    (tmp_path / "front_end.tflite").write_bytes(data)
    source = load_source(tmp_path / "front_end.tflite")
    graph = compile_source(source)
    assert [n.kernel for n in graph.nodes] == [
        "tg_signal_window_s16", None, "tg_signal_fft_auto_scale_shift_s16", "tg_signal_fft_auto_scale_s16",
        "tg_signal_rfft_s16", "tg_signal_energy_s16_u32"]
    assert [graph.tensor(t).dtype for t in graph.inputs + graph.outputs] == ["int16", "uint32", "int32"]
    host = build_host(source, graph, tmp_path / "host")
    xs = frames(np.random.default_rng(4), [1, 200], 8)
    for k, x in enumerate(xs):
        for j, (got, want) in enumerate(zip(host.invoke(x), tflm_outputs(data, x, 2), strict=True)):
            assert got.dtype == want.dtype and np.array_equal(got.ravel(), want.ravel()), \
                f"frame {k}, output {j}: host C vs TFLM: {first_difference(got, want)}"
    assert diff_layers(graph, host, xs[-1]) == ALL_AGREE


def test_signal_front_end_hil_host_checks_tflm(tmp_path):
    """`tinygen hil` on a model of plain integers: int16 samples taken as they are, the host's
    outputs bit-exact with the reference, and its check against TFLite Micro equal."""
    b = ModelBuilder("signal front end")
    inputs, outputs = front_end(b, np.random.default_rng(7), 64, 64)
    (tmp_path / "front_end.tflite").write_bytes(b.finish(inputs, outputs))
    np.savez(tmp_path / "data.npz", x=np.random.default_rng(8).integers(-20000, 20000, (5, 64)).astype(np.int16))
    rc, _, stderr = run_cli("hil", tmp_path / "front_end.tflite", "--board", "host", "--data", tmp_path / "data.npz",
                            "-q", "-o", tmp_path / "host", "--json", tmp_path / "report.json")
    assert rc == 0, stderr
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["samples"] == report["bit_exact"] == 5
    assert report["tflite_micro"]["equal"] and report["tflite_micro"]["input"] == "int16", report["tflite_micro"]
    assert [o["samples_equal"] for o in report["tflite_micro"]["outputs"]] == [5, 5]
