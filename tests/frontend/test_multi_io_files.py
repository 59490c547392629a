"""Model files, calibration data and `tinygen hil` data for a model with several inputs:
what is accepted (a tuple from example_input() and calibration_data(); .npz arrays x0, x1,
... or named by forward()'s arguments) and the one-line errors for what is not."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from multi_io_lib import NAMES, SHAPES, TWO_SENSORS, float_inputs, write_data, write_model
from tinygen.calib import load_calibration
from tinygen.compiler import compile_source, load_source
from tinygen.errors import ModelError, UsageError
from tinygen.frontend.torch_loader import load
from tinygen.hil.session import check_head, load_inputs, sample_inputs
from tinygen.ref.interpreter import quantize_input

FULL = [(1,) + s for s in SHAPES]


@pytest.fixture(scope="module")
def two(tmp_path_factory):
    path = write_model(tmp_path_factory.mktemp("two"), calib_samples=24)
    source = load_source(path)
    return path, source, compile_source(source)


def test_model_file_with_two_inputs_loads(two):
    path, source, graph = two
    loaded = load(path)
    assert [x.shape for x in loaded.example_inputs] == FULL and loaded.example_input.shape == FULL[0]
    assert loaded.input_names == NAMES
    assert [c.shape for c in loaded.calibration] == [(24,) + s for s in SHAPES]
    assert [c.shape for c in loaded.calibration_ir()] == [(24, 8, 8, 3), (24, 1, 20, 3)]
    assert source.input_shapes == FULL and source.input_names == NAMES
    assert graph.inputs == ["input_0", "input_1"] and graph.outputs == ["output_0", "output_1"]
    # calibration saw each input's own data: input 1's range is that of its 24 samples
    lo, hi = float(loaded.calibration[1].min()), float(loaded.calibration[1].max())
    q = graph.tensor("input_1").qparams
    assert np.isclose(q.scale[0], (hi - lo) / 255, rtol=0.02)


def test_pt2_program_with_two_inputs_loads(two, tmp_path):
    _, source, graph = two
    net = load(two[0])
    pt2 = tmp_path / "two.pt2"
    torch.export.save(net.program, str(pt2))
    again = load(pt2)
    assert [x.shape for x in again.example_inputs] == FULL and again.input_names == NAMES
    assert load_source(pt2).graph.inputs == ["input_0", "input_1"]


@pytest.mark.parametrize("calib, says", [
    ("    return torch.randn(8, 3, 8, 8)\n", "returned 1 array(s), but the model takes 2 input(s) (image, imu)"),
    ("    return torch.randn(8, 3, 8, 8), torch.randn(8, 3, 21)\n",
     "calibration_data() for input 1 (imu) has shape [8, 3, 21], expected [N, 3, 20]"),
    ("    return torch.randn(8, 3, 8, 8), torch.randn(6, 3, 20)\n", "has 8, 6 samples for the inputs image, imu"),
])
def test_model_file_calibration_mismatch_is_one_clear_error(tmp_path, calib, says):
    text = TWO_SENSORS.split("def calibration_data():")[0] + "def calibration_data():\n" + calib
    with pytest.raises(ModelError) as info:
        load(write_model(tmp_path, text=text))
    assert says in str(info.value) and "\n" not in info.value.message


def test_calibration_npz_by_index_or_by_name(tmp_path):
    xs = float_inputs(10, seed=3)
    for keys in (("x0", "x1"), ("image", "imu"), ("x0", "imu")):
        np.savez(tmp_path / "c.npz", **dict(zip(keys, xs)))
        got = load_calibration(str(tmp_path / "c.npz"), FULL, None, NAMES)
        assert all(np.array_equal(g, x) for g, x in zip(got, xs)), keys
    default = load_calibration(None, FULL, tuple(xs), NAMES)                     # calibration_data()'s tuple
    assert [d.shape for d in default] == [x.shape for x in xs]
    with pytest.warns(UserWarning, match="random data"):
        random = load_calibration("random", FULL, None, NAMES)
    assert [r.shape[1:] for r in random] == SHAPES and len({len(r) for r in random}) == 1


@pytest.mark.parametrize("arrays, says", [
    ({"x0": (10, 3, 8, 8)}, "has no array for input x1 (or imu); it has x0"),
    ({"x0": (10, 3, 8, 8), "image": (10, 3, 8, 8), "x1": (10, 3, 20)}, "has both image and x0: two arrays for input 0"),
    ({"x0": (10, 3, 8, 8), "x1": (9, 3, 20)}, "10 samples for image, 9 samples for imu"),
    ({"x0": (10, 3, 8, 8), "x1": (10, 20, 3)}, "for input 1 (imu) has shape [10, 20, 3], but the model input is"),
])
def test_calibration_npz_mismatch_errors(tmp_path, arrays, says):
    path = tmp_path / "c.npz"
    np.savez(path, **{k: np.zeros(s, np.float32) for k, s in arrays.items()})
    with pytest.raises(ModelError) as info:
        load_calibration(str(path), FULL, None, NAMES)
    assert says in str(info.value)


def test_calibration_npy_for_two_inputs_says_use_npz(tmp_path):
    np.save(tmp_path / "c.npy", np.zeros((4, 3, 8, 8), np.float32))
    with pytest.raises(ModelError, match=r"holds one array, but the model takes 2 inputs") as info:
        load_calibration(str(tmp_path / "c.npy"), FULL, None, NAMES)
    assert "x0 (or image), x1 (or imu)" in info.value.hint


def test_calibration_function_returns_a_tuple(tmp_path):
    (tmp_path / "cal.py").write_text("import numpy as np\n\n\ndef two():\n"
                                     "    return np.ones((5, 3, 8, 8)), np.ones((5, 3, 20))\n\n\n"
                                     "def batches():\n    for _ in range(3):\n"
                                     "        yield np.ones((2, 3, 8, 8)), np.ones((2, 3, 20))\n")
    assert [a.shape for a in load_calibration(f"{tmp_path / 'cal.py'}:two", FULL, None, NAMES)] == \
        [(5, 3, 8, 8), (5, 3, 20)]
    assert [a.shape for a in load_calibration(f"{tmp_path / 'cal.py'}:batches", FULL, None, NAMES)] == \
        [(6, 3, 8, 8), (6, 3, 20)]


def test_hil_data_by_index_or_name_quantized_per_input(two, tmp_path):
    _, source, graph = two
    for keys in (("x0", "x1"), ("image", "imu")):
        xs, y = write_data(tmp_path / "d.npz", 7, seed=5, keys=keys)
        inputs, labels = load_inputs(tmp_path / "d.npz", None, source, graph, limit=5)
        assert len(inputs) == 5 and np.array_equal(labels, y[:5])
        want = [quantize_input(graph, source.to_graph_layout(x), k) for k, x in enumerate(xs)]
        for i, sample in enumerate(inputs):
            assert all(np.array_equal(sample[k], want[k][i]) for k in range(2)), (keys, i)
    samples = sample_inputs(source, graph, 3, seed=1)
    assert len(samples) == 3 and [s.shape for s in samples[0]] == [(8, 8, 3), (1, 20, 3)]


@pytest.mark.parametrize("arrays, says", [
    ({"x": (4, 3, 8, 8)}, "has no array for input x0 (or image), x1 (or imu); it has x"),
    ({"x0": (4, 3, 8, 8), "x1": (5, 3, 20)}, "4 samples for image, 5 samples for imu"),
    ({"x0": (4, 3, 8, 8), "x1": (4, 3, 19)}, "data samples of input 1 (imu) have shape [3, 19], the model takes [3, 20]"),
])
def test_hil_data_mismatch_errors(two, tmp_path, arrays, says):
    _, source, graph = two
    np.savez(tmp_path / "d.npz", **{k: np.zeros(s, np.float32) for k, s in arrays.items()})
    with pytest.raises(UsageError) as info:
        load_inputs(tmp_path / "d.npz", None, source, graph)
    assert says in str(info.value)
    np.save(tmp_path / "d.npy", np.zeros((4, 3, 8, 8), np.float32))
    with pytest.raises(UsageError, match="holds one array, but the model takes 2 inputs"):
        load_inputs(tmp_path / "d.npy", None, source, graph)
    with pytest.raises(UsageError, match=r"--head 2: the model has 2 output\(s\), 0..1"):
        check_head(graph, 2)
