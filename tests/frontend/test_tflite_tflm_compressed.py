"""TFLite Micro's compressed models (its DECODE operator, LUT type) import: an MLPerf model's
weights clustered to 16 values per tensor or per quantization channel, compressed in the test by
TFLM's own compressor (tests/tflm_compress_lib.py). The imported graph's constants equal the
clustered model's (its weights are exactly what DECODE reproduces), every weight carries the
codebook TFLM's metadata describes, and tinygen's outputs (the reference here, the f746zg
stand-in in the slow test) equal TFLM's interpreter byte for byte, on the compressed file
itself (the tflite-micro package runs DECODE) and on the clustered model before compression."""

from __future__ import annotations

import functools
import shutil

import numpy as np
import pytest
import tflite

from e2e import assert_device_equals_tflm, build_host, first_difference, run_cli
from mlperf_models import mlperf_model
from tflm_compress_lib import clustered, compressed, spec, tflm_compressed, weight_tensors
from tinygen.board import get_board
from tinygen.compiler import build, compile_source, load_source
from tinygen.frontend.tflite.tflm_decode import DECODE_CUSTOM, lut_codebook, unpack_indices
from tinygen.hil.target import open_device
from tinygen.passes import CompileOptions
from tinygen.ref.interpreter import run

import tflite_refs  # skips the module when TFLM is absent

from tflite_micro.tensorflow.lite.micro.compression import lut, model_editor  # noqa: E402  (after the skip)
from tflite_micro.tensorflow.lite.micro.python import schema_py_generated as tflm_schema  # noqa: E402

VALUES = 16         # cluster centres per tensor or per channel: 4-bit indices
BITS = 4
INPUTS = 12
GROUPINGS = {"tensor": False, "channel": True}      # clustering: per tensor, per quantization channel


@functools.lru_cache(maxsize=None)
def models(name: str, grouping: str) -> tuple[bytes, bytes]:
    """(the clustered .tflite, TFLM's compression of it)."""
    data = clustered(mlperf_model(name).read_bytes(), VALUES, GROUPINGS[grouping])
    return data, tflm_compressed(data, BITS)


def written(tmp_path, name: str, grouping: str, which: int = 1):
    path = tmp_path / f"{name}_{grouping}{'_lut' if which else ''}.tflite"
    path.write_bytes(models(name, grouping)[which])
    return path


def inputs(graph, count: int, seed: int) -> list[np.ndarray]:
    """int8 inputs: half uniform over the range, half around the input's zero point."""
    shape = graph.tensor(graph.inputs[0]).shape
    zp = int(graph.tensor(graph.inputs[0]).qparams.zero_point[0])
    rng = np.random.default_rng(seed)
    return [(rng.integers(-128, 128, shape) if k % 2 else
             np.clip(np.rint(rng.normal(zp, 30, shape)), -128, 127)).astype(np.int8) for k in range(count)]


def mac_consts(graph):
    """Per multiply-accumulate node, in order: its constants by role."""
    return [{role: graph.tensor(t) for role, t in node.params[0].items()}
            for node in graph.nodes if "weight" in node.params[0]]


def check_constants(tmp_path, name: str, grouping: str) -> None:
    """The compressed model's imported constants equal the clustered model's, the DECODE
    operators gone, and each weight's codebook is the tables TFLM's compressor wrote."""
    plain, packed = models(name, grouping)
    assert DECODE_CUSTOM.encode() in packed and DECODE_CUSTOM.encode() not in plain
    want = mac_consts(load_source(written(tmp_path, name, grouping, 0)).graph)
    got_graph = load_source(written(tmp_path, name, grouping)).graph
    got = mac_consts(got_graph)
    axes = list(weight_tensors(plain).values())
    assert got_graph.meta["tflm_compressed"] == len(axes) == len(got) > 0
    assert not any(n.op.startswith("custom") for n in got_graph.nodes)
    originals = mlperf_weights(name)
    for k, (g, w, axis) in enumerate(zip(got, want, axes, strict=True)):
        assert g.keys() == w.keys()
        for role in g:
            assert np.array_equal(g[role].data, w[role].data), f"layer {k} {role}"
            assert (g[role].codebook is not None) == (role == "weight"), f"layer {k} {role}"
        cb = g["weight"].codebook
        # what TFLM's compressor put in the metadata: its own tables of the clustered weights
        tables = lut.compress_array(w["weight"].data, axis).lookup_tables
        assert (cb.source, cb.bits, cb.axis) == ("tflm", BITS, axis)
        assert cb.values.shape == (len(tables), 1 << BITS)
        for row, table in zip(cb.values, tables, strict=True):
            assert np.array_equal(row[:table.size], table) and not row[table.size:].any()
        assert np.array_equal(cb.decode(), w["weight"].data)
        assert max(t.size for t in tables) <= VALUES
        if not GROUPINGS[grouping]:          # clustered per tensor: the tables share 16 values
            assert np.unique(cb.decode()).size <= VALUES
    # the clustering took hold: the model's weights had more values than the tables hold
    assert max(np.unique(w).size for w in originals) > VALUES


def check_reference(tmp_path, name: str, grouping: str, count: int) -> None:
    """tinygen's reference on the compressed model equals TFLM on it, and on the clustered model."""
    plain, packed = models(name, grouping)
    graph = compile_source(load_source(written(tmp_path, name, grouping)))
    xs = inputs(graph, count, seed=73)
    want = tflite_refs.tflm_run(packed, xs)
    assert all(np.array_equal(a, b) for a, b in zip(want, tflite_refs.tflm_run(plain, xs), strict=True))
    for i, x in enumerate(xs):
        got = run(graph, x)[graph.outputs[0]]
        assert np.array_equal(got.ravel(), want[i].ravel()), f"{name} {grouping}, input {i}: " \
            f"{first_difference(got, want[i])}"
    assert len({w.tobytes() for w in want}) > 3       # the outputs vary with the input


@pytest.mark.parametrize("grouping", GROUPINGS)
def test_tflm_lut_s8_constants_and_codebooks(tmp_path, grouping):
    check_constants(tmp_path, "kws_dscnn", grouping)


@functools.lru_cache(maxsize=None)
def mlperf_weights(name: str) -> list[np.ndarray]:
    data = mlperf_model(name).read_bytes()
    model = tflite.Model.GetRootAsModel(data, 0)
    sg = model.Subgraphs(0)
    return [np.frombuffer(model.Buffers(sg.Tensors(t).Buffer()).DataAsNumpy().tobytes(), np.int8)
            for t in weight_tensors(data)]


@pytest.mark.parametrize("grouping", GROUPINGS)
def test_tflm_lut_s8_reference_equals_tflm(tmp_path, grouping):
    check_reference(tmp_path, "kws_dscnn", grouping, INPUTS)


def test_tflm_lut_s8_host_c_equals_tflm(tmp_path):
    """The generated C (the shared-weight kernels where the build has them for a codebook) on
    the compressed file equals TFLM running it."""
    _, packed = models("kws_dscnn", "channel")
    source = load_source(written(tmp_path, "kws_dscnn", "channel"))
    graph = compile_source(source)
    host = build_host(source, graph, tmp_path / "host")
    xs = inputs(graph, 4, seed=11)
    for i, (x, want) in enumerate(zip(xs, tflite_refs.tflm_run(packed, xs), strict=True)):
        got = host.invoke(x)[0]
        assert np.array_equal(got.ravel(), want.ravel()), f"input {i}: {first_difference(got, want)}"


def test_tflm_lut_s8_inspect(tmp_path):
    rc, out, err = run_cli("inspect", written(tmp_path, "kws_dscnn", "channel"))
    assert rc == 0, err
    assert "13 ops" in out and "depthwise_conv2d" in out and "fully_connected" in out


@pytest.mark.parametrize("bits", range(1, 8))
def test_tflm_lut_indices_every_width(bits):
    """TFLM's index stream (its compressor's pack_indices) read back at every width it writes."""
    idx = np.random.default_rng(bits).integers(0, 1 << bits, 37)
    assert np.array_equal(unpack_indices(np.frombuffer(lut.pack_indices(idx, bits), np.uint8), 37, bits), idx)


@pytest.mark.parametrize("bits, axis", [(7, None), (3, 0), (4, 3)])
def test_tflm_lut_codebook_from_compressor(bits, axis):
    """TFLM's LUT compressor on one tensor (tables shorter than 2**bits, per tensor, along the
    first and the last axis): the codebook decodes to the tensor."""
    w = np.random.default_rng(bits).integers(-4, 4, (5, 3, 3, 6)).astype(np.int8)
    tensor = model_editor.Tensor(shape=w.shape, dtype=tflm_schema.TensorType.INT8, data=w)
    mode = spec.PerTensor() if axis is None else spec.PerChannel(axis)
    result = lut.LutCompressor().compress(tensor, spec.LookUpTableCompression(bits, mode))
    cb = lut_codebook(np.frombuffer(result.ancillary_data, np.uint8), np.frombuffer(result.encoded_data, np.uint8),
                      w.shape, axis, "")
    assert (cb.bits, cb.axis, cb.values.shape[0]) == (bits, axis, 1 if axis is None else w.shape[axis])
    assert np.array_equal(cb.decode(), w)


def _ancillary(data: bytes) -> list[int]:
    """File offsets of the DECODE operators' ancillary data buffers."""
    model = tflite.Model.GetRootAsModel(data, 0)
    sg = model.Subgraphs(0)
    found = []
    for i in range(sg.OperatorsLength()):
        op = sg.Operators(i)
        if model.OperatorCodes(op.OpcodeIndex()).CustomCode() == DECODE_CUSTOM.encode():
            buf = model.Buffers(sg.Tensors(int(op.Inputs(1))).Buffer())
            found.append(buf._tab.Vector(buf._tab.Offset(4)))
    return found


@pytest.mark.parametrize("byte, value, message", [
    (0, 1, "compressed with DECODE type 1 (Huffman)"),
    (0, 200, "compressed with DECODE type 200 (an application's own)"),
    (4, 2, "LUT version 2; tinygen reads version 1"),
    (5, 0x24, "LUT tables per channel along axis 2 of shape [1, 3, 3, 64]"),
])
def test_tflm_lut_s8_metadata_refused(tmp_path, byte, value, message):
    """What a codebook cannot hold is one line naming the tensor (TFLM's compressor writes LUT
    only, so the others are the metadata changed by hand)."""
    data = bytearray(models("kws_dscnn", "channel")[1])
    at = _ancillary(bytes(data))[1]         # the first depthwise filter's
    data[at + byte] = value
    path = tmp_path / "bad.tflite"
    path.write_bytes(bytes(data))
    rc, out, err = run_cli("inspect", path)
    assert rc == 1 and "Traceback" not in err
    line = err.strip().splitlines()[0]
    assert line.startswith("tinygen inspect: error: operator ") and message in line, err
    assert "depthwise_conv2d/depthwise" in line       # the tensor's name


def test_tflm_lut_s32_bias_refused(tmp_path):
    """A bias compressed too: its int32 table is no int8 codebook."""
    plain, _ = models("kws_dscnn", "tensor")
    model = tflite.Model.GetRootAsModel(plain, 0)
    first = model.Subgraphs(0).Operators(0)
    specs = [spec.Tensor(0, int(first.Inputs(2)), [spec.LookUpTableCompression(7, spec.PerTensor())])]
    data = compressed(plain, specs)
    path = tmp_path / "bias.tflite"
    path.write_bytes(data)
    rc, out, err = run_cli("inspect", path)
    assert rc == 1 and "its LUT value table is INT32; tinygen's codebooks hold int8 values" in err, err


def test_tflm_lut_s8_grouping_refused(tmp_path):
    """TFLM's compressor also writes tables per tensor for a weight quantized per channel, which
    TFLM's DECODE decodes with a table per channel (reading past the one table): refused."""
    plain, _ = models("kws_dscnn", "tensor")
    path = tmp_path / "per_tensor.tflite"
    path.write_bytes(tflm_compressed(plain, BITS, dict.fromkeys(weight_tensors(plain))))
    rc, out, err = run_cli("inspect", path)
    assert rc == 1 and "Traceback" not in err
    assert ("LUT tables one per tensor, but TFLM's DECODE takes one per channel along axis 0 (the tensor's "
            "quantization channels)") in err and "functional_1/conv2d/Conv2D" in err, err


@pytest.mark.slow
@pytest.mark.parametrize("grouping", GROUPINGS)
def test_tflm_lut_s8_ic_resnet8_equals_tflm(tmp_path, grouping):
    check_constants(tmp_path, "ic_resnet8", grouping)
    check_reference(tmp_path, "ic_resnet8", grouping, 6)


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("qemu-system-arm") is None or shutil.which("arm-none-eabi-gcc") is None,
                    reason="the f746zg stand-in needs qemu-system-arm and arm-none-eabi-gcc")
def test_tflm_lut_s8_f746zg_standin_equals_tflm(tmp_path):
    """The firmware equals the reference layer by layer and TFLM on the compressed file."""
    _, packed = models("kws_dscnn", "channel")
    board = get_board("f746zg")
    source = load_source(written(tmp_path, "kws_dscnn", "channel"))
    graph = compile_source(source, options=CompileOptions(features=board.isa_features))
    result = build(source, graph, board, tmp_path / "fw")
    interp = tflite_refs.tflm_interpreter(packed)
    with open_device(board, result.out_dir, emulate=True) as dev:
        for k, x in enumerate(inputs(graph, 3, seed=5)):
            assert_device_equals_tflm(dev, graph, interp, x, f"sample {k}")
