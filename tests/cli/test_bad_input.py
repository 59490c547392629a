"""Bad inputs: each one gives a clear error and leaves nothing half-written.

Every case runs `tinygen build ... -o OUT` (through `tinygen.cli.main`, and a
few through a real subprocess) and checks:

- the exit status (1 for a problem with the model or data, 2 for usage);
- the message on stderr: what is wrong (naming the op / parameter / shape),
  and a hint saying what to do; no Python traceback;
- the file system: OUT not created, a pre-existing OUT (an earlier build) untouched
  byte for byte, no staging entries left in it or beside it (tinygen.build.output's
  hidden folders, or an older tinygen's `.<name>.*.tinygen` / `.<name>.old.*`).
"""

from __future__ import annotations

import dataclasses
import json
import os
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from tinygen.board import get_board
from tinygen.build.output import ASIDE_PREFIX, STAGE_PREFIX
from tinygen.cli import main
from tinygen.compiler import compile_source, load_source
from tinygen.errors import ToolchainError
from tinygen.hil.deadline import run_process

ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent
MLP = ROOT / "examples" / "models" / "mlp.py"

# A small, valid model file: Linear(8, 4) -> ReLU on [1, 8] inputs, with its own
# calibration data. Bad models are this file with one thing changed.
GOOD_MODEL = """
import numpy as np
import torch
from torch import nn


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(8, 4)
        self.act = nn.ReLU()

    def forward(self, x):
        return self.act(self.fc(x))


def model():
    torch.manual_seed(0)
    return Net().eval()


def example_input():
    return torch.randn(1, 8)


def calibration_data():
    return np.random.default_rng(0).standard_normal((16, 8)).astype(np.float32)
"""


def write_model(tmp_path: Path, text: str, name: str = "net.py") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text))
    return path


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file below `folder` with its bytes (directories as None)."""
    return {str(p.relative_to(folder)): (p.read_bytes() if p.is_file() else None)
            for p in sorted(folder.rglob("*"))}


def staging_leftovers(parent: Path, out_name: str) -> list[str]:
    hidden = [p.name for p in parent.iterdir()
              if p.name.startswith(f".{out_name}.") and (p.name.endswith(".tinygen") or ".old." in p.name)]
    out = parent / out_name
    if out.is_dir():
        hidden += [p.name for p in out.iterdir() if p.name.startswith((STAGE_PREFIX, ASIDE_PREFIX))]
    return sorted(hidden)


def earlier_build(folder: Path) -> Path:
    """A folder as an earlier build left it: generated files listed in its manifest, and a
    file of the user's."""
    (folder / "sub").mkdir(parents=True)
    (folder / "model.c").write_text("/* an earlier, good build */\n")
    (folder / "sub" / "data.bin").write_bytes(bytes(range(256)))
    (folder / "notes.txt").write_text("the user's\n")
    (folder / "tinygen.json").write_text(json.dumps({"tinygen_version": "0.1.0", "model": "net",
                                                    "files": ["model.c", "sub/data.bin", "tinygen.json"]}))
    return folder


def run_cli(capsys, *argv) -> tuple[int, str, str]:
    rc = main([str(a) for a in argv])
    captured = capsys.readouterr()
    return rc, captured.out, captured.err


def assert_clean_failure(rc: int, err: str, want_rc: int, *fragments: str) -> None:
    assert rc == want_rc, f"exit status {rc}, want {want_rc}; stderr:\n{err}"
    assert "Traceback" not in err, err
    assert "error:" in err, err
    for frag in fragments:
        assert frag in err, f"{frag!r} missing from the error message:\n{err}"


def build_fails(capsys, tmp_path: Path, model, *extra, want_rc: int = 1, fragments=(),
                hint: bool = True) -> str:
    """`tinygen build model --board host -o OUT *extra` fails cleanly twice: once
    into a fresh OUT (which must not appear) and once into an existing OUT (which
    must stay byte for byte). Returns the error text."""
    out = tmp_path / "out"
    rc, stdout, err = run_cli(capsys, "build", model, "--board", "host", "-q", "-o", out, *extra)
    assert_clean_failure(rc, err, want_rc, *fragments)
    if hint:
        assert "hint:" in err, f"no hint saying what to do:\n{err}"
    assert not out.exists(), "a failed build created the output directory"
    assert staging_leftovers(tmp_path, "out") == []
    assert "built" not in stdout

    existing = earlier_build(tmp_path / "existing")
    before = snapshot(existing)
    rc2, _, err2 = run_cli(capsys, "build", model, "--board", "host", "-q", "-o", existing, *extra)
    assert rc2 == want_rc, err2
    assert snapshot(existing) == before, "a failed build changed the existing output directory"
    assert staging_leftovers(tmp_path, "existing") == []
    return err


# -- the model ---------------------------------------------------------------------


def test_build_unsupported_op_mish_names_op_module_and_supported_list(capsys, tmp_path):
    model = write_model(tmp_path, GOOD_MODEL.replace("nn.ReLU()", "nn.Mish()"))
    err = build_fails(capsys, tmp_path, model, fragments=("mish", "'act'", "Mish", "supported"))
    # the list of what is supported names the layers a user would reach for instead
    assert "ReLU" in err.split("hint:")[1]


def test_build_unsupported_op_in_nested_module_names_its_path(capsys, tmp_path):
    nested = GOOD_MODEL.replace(
        "self.act = nn.ReLU()", "self.head = nn.Sequential(nn.Identity(), nn.Mish())").replace(
        "self.act(self.fc(x))", "self.head(self.fc(x))")
    model = write_model(tmp_path, nested)
    build_fails(capsys, tmp_path, model, fragments=("mish", "head.1", "supported"))


def test_build_grouped_conv_is_unsupported(capsys, tmp_path):
    model = write_model(tmp_path, """
        import torch
        from torch import nn


        def model():
            torch.manual_seed(0)
            return nn.Sequential(nn.Conv2d(4, 8, 3, groups=2)).eval()


        def example_input():
            return torch.randn(1, 4, 8, 8)


        def calibration_data():
            return torch.randn(8, 4, 8, 8)
        """)
    build_fails(capsys, tmp_path, model, fragments=("grouped convolution", "groups=2", "'0'", "supported"))


def test_build_example_input_of_the_wrong_shape(capsys, tmp_path):
    model = write_model(tmp_path, GOOD_MODEL.replace("torch.randn(1, 8)", "torch.randn(1, 5)"))
    build_fails(capsys, tmp_path, model, fragments=("example_input()", "[1, 5]"))


@pytest.mark.parametrize("bad", ["float('nan')", "float('inf')", "-float('inf')"])
def test_build_non_finite_weight_names_the_parameter(capsys, tmp_path, bad):
    text = GOOD_MODEL.replace(
        "return Net().eval()",
        f"net = Net().eval()\n    with torch.no_grad():\n        net.fc.weight[1, 2] = {bad}\n    return net")
    model = write_model(tmp_path, text)
    build_fails(capsys, tmp_path, model, fragments=("parameter 'fc.weight'", "NaN or Inf"))


def test_build_non_finite_batchnorm_buffer_names_it(capsys, tmp_path):
    model = write_model(tmp_path, """
        import torch
        from torch import nn


        def model():
            torch.manual_seed(0)
            net = nn.Sequential(nn.Linear(8, 4), nn.BatchNorm1d(4)).eval()
            net[1].running_var[3] = float("nan")
            return net


        def example_input():
            return torch.randn(1, 8)


        def calibration_data():
            return torch.randn(16, 8)
        """)
    build_fails(capsys, tmp_path, model, fragments=("'1.running_var'", "NaN or Inf"))


def test_build_missing_model_file(capsys, tmp_path):
    build_fails(capsys, tmp_path, tmp_path / "nope.py", fragments=("nope.py", "does not exist"))


def test_build_missing_model_file_with_unknown_extension(capsys, tmp_path):
    build_fails(capsys, tmp_path, tmp_path / "nope.onnx", fragments=("nope.onnx", "does not exist"),
                hint=False)


def test_build_unknown_model_extension_is_a_usage_error(capsys, tmp_path):
    model = tmp_path / "net.h5"
    model.write_bytes(b"\x89HDF\r\n\x1a\n a Keras file")
    build_fails(capsys, tmp_path, model, want_rc=2, fragments=("unknown model format .h5", ".pt2", ".py", ".onnx"))


# -- calibration data ----------------------------------------------------------------


@pytest.fixture
def model_file(tmp_path) -> Path:
    return write_model(tmp_path, GOOD_MODEL)


def test_build_calibration_npy_of_the_wrong_shape(capsys, tmp_path, model_file):
    np.save(tmp_path / "calib.npy", np.zeros((10, 7), np.float32))
    build_fails(capsys, tmp_path, model_file, "--calib", tmp_path / "calib.npy",
                fragments=("calibration data has shape [10, 7]", "[1, 8]", "[N, 8]"))


def test_build_calibration_npy_in_nhwc_for_an_nchw_model(capsys, tmp_path):
    model = write_model(tmp_path, """
        import torch
        from torch import nn


        def model():
            torch.manual_seed(0)
            return nn.Sequential(nn.Conv2d(3, 4, 3), nn.ReLU()).eval()


        def example_input():
            return torch.randn(1, 3, 8, 6)
        """)
    np.save(tmp_path / "calib.npy", np.zeros((4, 8, 6, 3), np.float32))
    build_fails(capsys, tmp_path, model, "--calib", tmp_path / "calib.npy",
                fragments=("[4, 8, 6, 3]", "[N, 3, 8, 6]", "NCHW"))


@pytest.mark.parametrize("gains", ["[1.0] * 7", "[1.0] * 7 + [-1.0]", "[float('nan')] * 8", "'loud'"])
def test_build_model_feature_gains_not_one_positive_number_per_feature(capsys, tmp_path, gains):
    model = write_model(tmp_path, GOOD_MODEL + f"\n\ndef feature_gains():\n    return {gains}\n")
    build_fails(capsys, tmp_path, model, fragments=("feature_gains()", "one positive number per element",
                                                    "(8)"))


def test_model_feature_gains_reach_the_compiled_graph(tmp_path):
    """A model file's feature_gains() is the compiled graph's meta["feature_gains"] and part of the
    model's identity (source_hash: a firmware built for other gains is another model's)."""
    plain = load_source(write_model(tmp_path, GOOD_MODEL, "plain.py"))
    model = write_model(tmp_path, GOOD_MODEL + "\n\ndef feature_gains():\n    return np.linspace(0.5, 2, 8)\n")
    source = load_source(model)
    assert source.feature_gains == tuple(np.linspace(0.5, 2, 8)) and plain.feature_gains is None
    assert source.source_hash != plain.source_hash
    assert compile_source(source).meta["feature_gains"] == source.feature_gains
    assert "feature_gains" not in compile_source(plain).meta


def test_build_model_calibration_data_of_the_wrong_shape(capsys, tmp_path):
    model = write_model(tmp_path, GOOD_MODEL.replace("((16, 8))", "((16, 9))"))
    build_fails(capsys, tmp_path, model, fragments=("calibration_data()", "[16, 9]", "[N, 8]"), hint=False)


def test_build_empty_calibration_npy(capsys, tmp_path, model_file):
    np.save(tmp_path / "calib.npy", np.zeros((0, 8), np.float32))
    build_fails(capsys, tmp_path, model_file, "--calib", tmp_path / "calib.npy",
                fragments=("calibration set is empty",))


def test_build_calibration_function_returning_an_empty_list(capsys, tmp_path, model_file):
    (tmp_path / "data.py").write_text("def batches():\n    return []\n")
    build_fails(capsys, tmp_path, model_file, "--calib", f"{tmp_path / 'data.py'}:batches",
                fragments=("calibration set is empty",))


def test_build_calibration_function_that_does_not_exist(capsys, tmp_path, model_file):
    (tmp_path / "data.py").write_text("def batches():\n    return []\n")
    build_fails(capsys, tmp_path, model_file, "--calib", f"{tmp_path / 'data.py'}:other",
                fragments=("has no function other()",))


def test_build_npz_with_several_arrays_and_no_x_key(capsys, tmp_path, model_file):
    np.savez(tmp_path / "calib.npz", features=np.zeros((4, 8), np.float32), labels=np.zeros(4))
    err = build_fails(capsys, tmp_path, model_file, "--calib", tmp_path / "calib.npz",
                      fragments=("cannot tell which array", "features", "labels", "'x'"))
    assert "np.savez" in err


def test_build_corrupt_npy(capsys, tmp_path, model_file):
    (tmp_path / "calib.npy").write_bytes(b"\x93NUMPY\x01\x00garbage, not a header" + bytes(40))
    build_fails(capsys, tmp_path, model_file, "--calib", tmp_path / "calib.npy",
                fragments=("cannot read calibration data", "calib.npy", "numpy.save"))


def test_build_calibration_text_file_named_npz_is_refused_before_the_model_loads(capsys, tmp_path, model_file,
                                                                                monkeypatch):
    """A text file named .npz: "not an .npz archive", not numpy's "contains pickled (object)
    data", and before the model is loaded."""
    from tinygen import compiler

    def load_source(*args, **kwargs):
        raise AssertionError("the model was loaded before the calibration file was checked")

    monkeypatch.setattr(compiler, "load_source", load_source)
    (tmp_path / "calib.npz").write_text("0.1,0.2,0.3\n")
    err = build_fails(capsys, tmp_path, model_file, "--calib", tmp_path / "calib.npz",
                      fragments=("calib.npz", "is not an .npz archive (not a zip archive; numpy.savez writes one)"))
    assert "pickled" not in err


def test_build_missing_calibration_file(capsys, tmp_path, model_file):
    build_fails(capsys, tmp_path, model_file, "--calib", tmp_path / "none.npy",
                fragments=("none.npy", "does not exist"))


def test_build_calibration_data_with_nan(capsys, tmp_path, model_file):
    data = np.zeros((4, 8), np.float32)
    data[2, 3] = np.nan
    np.save(tmp_path / "calib.npy", data)
    build_fails(capsys, tmp_path, model_file, "--calib", tmp_path / "calib.npy",
                fragments=("NaN or Inf",))


# -- the command line and the output directory ------------------------------------------


def test_build_unknown_board_suggests_the_close_name(capsys, tmp_path, model_file):
    build_fails(capsys, tmp_path, model_file, "--board", "hots", want_rc=2,
                fragments=("unknown board 'hots'", "did you mean host", "tinygen boards"))


def test_build_percentile_out_of_range_is_a_usage_error(capsys, tmp_path, model_file):
    build_fails(capsys, tmp_path, model_file, "--calib-method", "percentile", "--percentile", "20",
                want_rc=2, fragments=("--percentile 20", "(50, 100]"))


def test_build_output_below_a_regular_file(capsys, tmp_path, model_file):
    blocker = tmp_path / "a_file"
    blocker.write_text("keep me\n")
    out = blocker / "out"
    rc, _, err = run_cli(capsys, "build", model_file, "--board", "host", "-q", "-o", out)
    assert_clean_failure(rc, err, 1, "cannot create the output directory", str(out), "-o/--output")
    assert blocker.read_text() == "keep me\n"
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_build_output_that_is_a_regular_file(capsys, tmp_path, model_file):
    target = tmp_path / "out"
    target.write_text("keep me\n")
    rc, _, err = run_cli(capsys, "build", model_file, "--board", "host", "-q", "-o", target)
    assert_clean_failure(rc, err, 1, "is not a directory", "-o/--output")
    assert target.read_text() == "keep me\n"
    assert staging_leftovers(tmp_path, "out") == []


@pytest.mark.skipif(not Path("/proc/self").is_dir(), reason="needs Linux's /proc (no folder can be made in it)")
def test_build_output_that_cannot_be_created_is_refused_before_the_compile(capsys, tmp_path, model_file,
                                                                          monkeypatch):
    """-o /proc/x: the permission bits say yes (to root), mkdir says no; before: after the
    calibration and the kernel measuring."""
    from tinygen.cli import build

    def compile_model(*args, **kwargs):
        raise AssertionError("the model was compiled before the output folder was checked")

    monkeypatch.setattr(build, "compile_model", compile_model)
    rc, _, err = run_cli(capsys, "build", model_file, "--board", "host", "-q", "-o", "/proc/tinygen-out")
    assert_clean_failure(rc, err, 1, "cannot create the output directory '/proc/tinygen-out'", "-o/--output")
    assert not Path("/proc/tinygen-out").exists()


def test_build_output_check_leaves_no_folder_behind(tmp_path):
    """The early check tries to create the folder (and its missing parents) and removes them."""
    from tinygen.build.output import check_output

    check_output(tmp_path / "a" / "b" / "out")
    assert list(tmp_path.iterdir()) == []
    (tmp_path / "empty").mkdir()
    check_output(tmp_path / "empty")
    assert [p.name for p in tmp_path.iterdir()] == ["empty"] and list((tmp_path / "empty").iterdir()) == []


def test_build_default_output_not_created_on_failure(capsys, tmp_path, monkeypatch):
    model = write_model(tmp_path, GOOD_MODEL.replace("nn.ReLU()", "nn.Mish()"))
    monkeypatch.chdir(tmp_path)
    rc, _, err = run_cli(capsys, "build", model, "--board", "host", "-q")
    assert_clean_failure(rc, err, 1, "mish")
    assert not (tmp_path / "build").exists()


def test_build_toolchain_failure_inside_staging_leaves_existing_output_untouched(tmp_path):
    """A failure after the staging directory exists (no C compiler) removes the
    staging directory and keeps the previous build."""
    from tinygen.compiler import build, compile_source, load_source

    source = load_source(write_model(tmp_path, GOOD_MODEL))
    graph = compile_source(source)
    host = get_board("host")
    broken = dataclasses.replace(host, toolchain={**host.toolchain, "cc": "no-such-cc-tinygen"})
    existing = earlier_build(tmp_path / "existing")
    before = snapshot(existing)
    with pytest.raises(ToolchainError, match="no-such-cc-tinygen.*not found") as info:
        build(source, graph, broken, existing)
    assert "install" in str(info.value)
    assert snapshot(existing) == before
    assert staging_leftovers(tmp_path, "existing") == []
    fresh = tmp_path / "fresh"
    with pytest.raises(ToolchainError):
        build(source, graph, broken, fresh)
    assert not fresh.exists()
    assert staging_leftovers(tmp_path, "fresh") == []
    # missing parent folders that the build created are removed again
    nested = tmp_path / "a" / "b" / "out"
    with pytest.raises(ToolchainError, match="no-such-cc-tinygen"):
        build(source, graph, broken, nested)
    assert not (tmp_path / "a").exists()


# -- end to end through a real process -------------------------------------------------


def test_tinygen_script_exit_status_for_unsupported_op(tmp_path):
    model = write_model(tmp_path, GOOD_MODEL.replace("nn.ReLU()", "nn.Mish()"))
    out = tmp_path / "out"
    proc = run_process([str(VENV_BIN / "tinygen"), "build", str(model), "--board", "host", "-o", str(out)],
                       120, "tinygen build", cwd=tmp_path)
    assert proc.returncode == 1, proc.stderr
    assert "aten.mish" in proc.stderr and "supported" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert not out.exists()


def test_python_m_tinygen_exit_status_for_usage_errors(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    board = run_process([sys.executable, "-m", "tinygen", "build", str(MLP), "--board", "hots",
                         "-o", str(tmp_path / "out")], 120, "tinygen build", cwd=tmp_path, env=env)
    assert board.returncode == 2, board.stderr
    assert "did you mean host" in board.stderr and "Traceback" not in board.stderr
    missing_arg = run_process([sys.executable, "-m", "tinygen", "build", str(MLP)], 120, "tinygen build",
                              cwd=tmp_path, env=env)
    assert missing_arg.returncode == 2
    assert "--board" in missing_arg.stderr
    assert not (tmp_path / "out").exists() and not (tmp_path / "build").exists()
