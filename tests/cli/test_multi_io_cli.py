"""A user's model with two inputs and two outputs through the command line: a model file
written here, `tinygen build` and `tinygen inspect` (every input listed), and `tinygen hil`
with an .npz of one array per input, on the host process and on the F746ZG stand-in
(slow): every output of every sample bit-exact with the reference, each head reported."""

from __future__ import annotations

import json

import numpy as np
import pytest

from multi_io_lib import quantized, write_data, write_model
from e2e import run_cli
from tinygen.board import get_board
from tinygen.compiler import compile_source, load_source
from tinygen.hil.session import input_bytes
from tinygen.hil.target import open_device
from tinygen.ref.interpreter import run

SAMPLES = 12


@pytest.fixture(scope="module")
def two(tmp_path_factory):
    folder = tmp_path_factory.mktemp("cli_two")
    path = write_model(folder)
    source = load_source(path)
    graph = compile_source(source)
    xs, y = write_data(folder / "data.npz", SAMPLES, seed=4, keys=("image", "x1"))
    return folder, path, source, graph, quantized(source, graph, xs), y


def check_report(report: dict, graph, samples, labels, head: int) -> None:
    """Every output of every sample as the device sent it equals the reference's."""
    assert report["samples"] == SAMPLES and report["bit_exact"] == SAMPLES, report["mismatches"][:3]
    assert [o["name"] for o in report["outputs"]] == graph.outputs and report["head"] == head
    refs = [run(graph, x) for x in samples]
    for k, (o, name) in enumerate(zip(report["outputs"], graph.outputs)):
        assert o["bit_exact"] == SAMPLES and o["accuracy_head"] == (k == head)
        assert o["shape"] == list(graph.tensor(name).shape)
        got = np.asarray(o["q"], dtype=np.int8)
        want = np.stack([r[name].ravel() for r in refs])
        assert np.array_equal(got, want), f"{name}: device outputs differ from the reference"
    predicted = np.stack([r[graph.outputs[head]].ravel() for r in refs]).argmax(axis=1)
    assert report["accuracy"] == pytest.approx(float(np.mean(predicted == labels)))


def test_two_inputs_build_inspect_hil_host(two):
    folder, path, source, graph, samples, y = two
    rc, stdout, stderr = run_cli("build", path, "--board", "host", "-o", folder / "host")
    assert rc == 0, stderr
    assert "inputs: image 1x3x8x8 → input_0 (192 B), imu 1x3x20 → input_1 (60 B); input buffer 252 B" in stdout
    assert "outputs: output_0 1x4 (4 B), output_1 1x1 (1 B)" in stdout
    rc, stdout, stderr = run_cli("inspect", path, "--memory", "--json", folder / "inspect.json")
    assert rc == 0, stderr
    for name in graph.inputs:
        assert any(line.split()[:2] == [name, "input"] for line in stdout.splitlines()), name
    inspected = json.loads((folder / "inspect.json").read_text())
    assert [(i["name"], i["shape"], i["bytes"]) for i in inspected["inputs"]] == [
        ("image", [1, 3, 8, 8], 192), ("imu", [1, 3, 20], 60)]
    for head in (0, 1):
        # labels are classes of the head: output_1 is one value, one class (hil refuses others)
        labels = y % int(np.prod(graph.tensor(graph.outputs[head]).shape))
        with np.load(folder / "data.npz") as d:
            np.savez(folder / f"data{head}.npz", **{k: labels if k == "y" else d[k] for k in d.files})
        report = folder / f"host{head}.json"
        rc, stdout, stderr = run_cli("hil", path, "--board", "host", "--data", folder / f"data{head}.npz", "-q",
                                     "-o", folder / "host", "--json", report, "--head", head)
        assert rc == 0, stderr
        check_report(json.loads(report.read_text()), graph, samples, labels, head)
        assert f"accuracy (labels, output {head})" in stdout
        assert f"{head}  output_{head} (accuracy)" in stdout     # the per-output table


def test_two_inputs_hil_refuses_a_missing_input_and_a_bad_head(two, tmp_path):
    folder, path, *_ = two
    np.savez(tmp_path / "one.npz", x0=np.zeros((2, 3, 8, 8), np.float32))
    rc, _, stderr = run_cli("hil", path, "--board", "host", "--data", tmp_path / "one.npz", "-q", "-o", tmp_path / "b")
    assert rc == 2 and "has no array for input x1 (or imu); it has x0" in stderr
    rc, _, stderr = run_cli("hil", path, "--board", "host", "--data", folder / "data.npz", "-q", "-o", tmp_path / "b",
                            "--head", "2")
    assert rc == 2 and "--head 2: the model has 2 output(s)" in stderr
    assert not (tmp_path / "b").exists()           # refused before anything was built


@pytest.mark.slow
def test_two_inputs_hil_f746zg_standin(two):
    folder, path, source, graph, samples, y = two
    report = folder / "f746zg.json"
    # the preferred kernels: --kernels auto would measure its candidates on the stand-in first (its own tests)
    rc, stdout, stderr = run_cli("hil", path, "--board", "f746zg", "--emulate", "--data", folder / "data.npz", "-q",
                                 "-o", folder / "f746zg", "--json", report, "--kernels", "tinygen")
    assert rc == 0, stderr
    summary = json.loads(report.read_text())
    check_report(summary, graph, samples, y, 0)
    assert summary["latency"]["unit"] == "instructions"
    # the same firmware, inputs by index and outputs by index
    with open_device(get_board("f746zg"), folder / "f746zg", emulate=True) as dev:
        x, z = samples[0], samples[1]
        dev.run(input_bytes(x))
        dev.upload_input(1, z[1].tobytes())
        dev.invoke()
        ref = run(graph, (x[0], z[1]))
        assert [dev.output(k) for k in range(2)] == [ref[n].astype(np.int8).tobytes() for n in graph.outputs]
