"""The `tinygen` command line: help, build, inspect, boards, --version."""

from __future__ import annotations

import json
import re
import shutil
import subprocess

import pytest

from tinygen import __version__
from tinygen.passes.analysis import total_macs
from e2e import run_cli
from tinygen.report import human_bytes, human_count

from e2e import EXAMPLES, compile_example

MLP = EXAMPLES / "mlp.py"
DSCNN = EXAMPLES / "dscnn.py"
PROJECT_FILES = ("model.h", "model.c", "weights.c", "weights.h", "Makefile", "tinygen.json",
                 "libtgmodel.so", "tg_runner")


def mlp_macs_by_hand() -> int:
    return 64 * 128 + 128 * 64 + 64 * 10


def mlp_weight_bytes_by_hand() -> int:
    int8_weights = 64 * 128 + 128 * 64 + 64 * 10
    per_channel = (128 + 64 + 10) * (4 + 4 + 1)     # bias, multiplier int32; shift int8 (KernelSpec.stored_dtype)
    return int8_weights + per_channel


# DS-CNN, counted from its architecture (examples/models/dscnn.py):
#   stem conv 10x4, stride 2, padding (5, 1), 1 -> 64 channels on 49x10:
#     H = (49 + 2*5 - 10) // 2 + 1 = 25, W = (10 + 2*1 - 4) // 2 + 1 = 5
#   4 x (3x3 depthwise on 25x5x64 + 1x1 pointwise 64 -> 64 on 25x5)
#   fc 64 -> 12 (pooling and softmax multiply nothing)
DSCNN_STEM = 25 * 5 * 64 * (10 * 4 * 1)
DSCNN_BLOCK = 25 * 5 * 64 * 9 + 25 * 5 * 64 * 64
DSCNN_FC = 64 * 12
DSCNN_MACS = DSCNN_STEM + 4 * DSCNN_BLOCK + DSCNN_FC


@pytest.fixture(scope="module")
def mlp_build(tmp_path_factory):
    out = tmp_path_factory.mktemp("cli") / "mlp_out"
    rc, stdout, stderr = run_cli("build", MLP, "--board", "host", "-o", out)
    assert rc == 0, stderr
    return out, stdout, stderr


# -- help and version ------------------------------------------------------------------


@pytest.mark.parametrize("command,example", [
    ("build", "tinygen build examples/models/dscnn.py --board host --calib calib.npy"),
    ("inspect", "tinygen inspect examples/models/dscnn.py --memory"),
])
def test_cli_help_shows_examples(command, example):
    rc, out, _ = run_cli(command, "--help")
    assert rc == 0
    assert "examples:" in out
    assert example in out


@pytest.mark.parametrize("command", ["build", "inspect", "hil", "flash", "sweep"])
def test_cli_help_names_every_model_format(command):
    """Every command that takes a model names the formats it reads, .onnx among them (sweep: its spec's model)."""
    rc, out, _ = run_cli(command, "--help")
    assert rc == 0
    text = " ".join(out.split())        # argparse wraps the help text
    formats = ((".py", ".onnx (float, QDQ or QOperator") if command == "sweep" else
               (".py", ".pt2", "int8 .tflite", ".onnx (float, or quantized by onnxruntime: QDQ or QOperator)"))
    for fmt in formats:
        assert fmt in text, (command, fmt)


def test_cli_help_boards_shows_examples():
    rc, out, _ = run_cli("boards", "--help")
    assert rc == 0
    assert "examples:" in out


def test_cli_help_top_level_lists_commands():
    rc, out, _ = run_cli("--help")
    assert rc == 0
    for command in ("build", "inspect", "boards"):
        assert command in out
    assert "tinygen COMMAND --help" in out


def test_cli_version():
    rc, out, _ = run_cli("--version")
    assert rc == 0
    assert out.strip() == f"tinygen {__version__}"


def test_cli_no_command_is_a_usage_error():
    rc, _, err = run_cli()
    assert rc == 2
    assert "COMMAND" in err


# -- build ---------------------------------------------------------------------------------


def test_cli_build_mlp_host_prints_summary(mlp_build):
    out, stdout, stderr = mlp_build
    manifest = json.loads((out / "tinygen.json").read_text())
    assert "built mlp for host" in stdout and str(out) in stdout
    m = re.search(r"layers (\d+), MACs (.+?), weights (.+?) \(flash\), arena (.+?) \(RAM\)", stdout)
    assert m, stdout
    assert int(m.group(1)) == 3                       # three Linear layers; BN, ReLU, dropout fold away
    assert m.group(2) == human_count(mlp_macs_by_hand())
    assert manifest["weight_bytes"] == mlp_weight_bytes_by_hand()
    assert m.group(3) == human_bytes(mlp_weight_bytes_by_hand())
    assert m.group(4) == human_bytes(manifest["arena_size"])
    assert f"library: {out / 'libtgmodel.so'}" in stdout
    assert f"runner: {out / 'tg_runner'}" in stdout
    # progress goes to stderr, numbered steps with timings
    assert "loading" in stderr and "compiling with gcc" in stderr


def test_cli_build_mlp_host_writes_the_project(mlp_build):
    out, _, _ = mlp_build
    for name in PROJECT_FILES:
        assert (out / name).is_file(), f"{name} missing from {sorted(p.name for p in out.iterdir())}"
    manifest = json.loads((out / "tinygen.json").read_text())
    assert manifest["model"] == "mlp" and manifest["board"] == "host"
    assert manifest["inputs"][0]["shape"] == [1, 64] and manifest["outputs"][0]["shape"] == [1, 10]
    assert [layer["kernel"] for layer in manifest["layers"]] == ["tg_fully_connected_s8"] * 3


def test_cli_build_generated_c_is_marked_const_and_malloc_free(mlp_build):
    out, _, _ = mlp_build
    for name in ("model.h", "model.c", "weights.c", "weights.h", "Makefile"):
        text = (out / name).read_text()
        assert "do not edit" in "\n".join(text.splitlines()[:5]), f"{name} lacks a 'do not edit' header"
        assert __version__ in text
    for name in ("model.c", "weights.c", "model.h", "weights.h"):
        code = (out / name).read_text()
        assert not re.search(r"\b(malloc|calloc|realloc|free)\s*\(", code), name
    weights_c = (out / "weights.c").read_text()
    arrays = re.findall(r"^(.*\w+\[\d+\].*)=\s*\{", weights_c, flags=re.M)
    assert len(arrays) == 12          # w, b, mult, shift for three layers
    for decl in arrays:
        assert decl.startswith("const "), decl
    externs = re.findall(r"^extern .*;$", (out / "weights.h").read_text(), flags=re.M)
    assert len(externs) == 12 and all(e.startswith("extern const ") for e in externs)


def test_cli_build_generated_project_rebuilds_with_make(mlp_build):
    out, _, _ = mlp_build
    subprocess.run(["make", "-C", str(out), "clean"], check=True, capture_output=True)
    assert not (out / "libtgmodel.so").exists() and not (out / "tg_runner").exists()
    proc = subprocess.run(["make", "-C", str(out)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "-Werror" in proc.stdout
    assert (out / "libtgmodel.so").is_file() and (out / "tg_runner").is_file()
    assert "warning" not in proc.stderr


def test_cli_build_into_the_same_dir_replaces_it(tmp_path):
    """A rebuild replaces the files the earlier build wrote and keeps the user's
    (tests/cli/test_output_dir.py has the other cases)."""
    out = tmp_path / "mlp"
    rc, _, err = run_cli("build", MLP, "--board", "host", "-q", "-o", out)
    assert rc == 0, err
    (out / "notes.txt").write_text("the user's, added after the build\n")
    (out / "model.c").write_text("/* edited by hand */\n")
    rc, stdout, err = run_cli("build", MLP, "--board", "host", "-q", "-o", out)
    assert rc == 0, err
    assert err == ""                                 # -q: no progress lines
    assert (out / "notes.txt").read_text() == "the user's, added after the build\n"
    assert "edited by hand" not in (out / "model.c").read_text()
    for name in PROJECT_FILES:
        assert (out / name).is_file()
    # nothing left beside it: no staging directory, no renamed old build
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mlp"]


def test_cli_build_random_calibration_warns(tmp_path):
    rc, _, err = run_cli("build", MLP, "--board", "host", "-q", "--calib", "random", "-o", tmp_path / "o")
    assert rc == 0, err
    assert "warning: calibrating on random data" in err


def test_cli_build_without_calibration_data_fails(tmp_path):
    model = tmp_path / "nocalib.py"
    model.write_text(MLP.read_text().split("def calibration_data")[0])
    shutil.copy(MLP.parent / "_untrained.py", tmp_path)         # the example's sibling import
    rc, _, err = run_cli("build", model, "--board", "host", "-q", "-o", tmp_path / "o")
    assert rc == 1
    assert "no calibration data" in err and "--calib" in err
    assert not (tmp_path / "o").exists()


# -- inspect -------------------------------------------------------------------------------


def _table_macs(stdout: str) -> tuple[list[int], int]:
    """The MACs column of the layer table and the total printed below it."""
    lines = stdout.splitlines()
    header = next(i for i, line in enumerate(lines) if line.startswith("layer "))
    assert lines[header].rstrip().endswith("MACs  act bytes")
    column = []
    for line in lines[header + 2:]:
        if not line.strip():
            break
        column.append(int(line.split()[-2]))       # MACs, then act bytes
    total = int(re.search(r"MACs \((\d+)\)", stdout).group(1))
    return column, total


def test_cli_inspect_dscnn_mac_total():
    rc, stdout, _ = run_cli("inspect", DSCNN)
    assert rc == 0
    column, total = _table_macs(stdout)
    _, graph = compile_example("dscnn")
    assert DSCNN_MACS == 2_656_768
    assert total == sum(column) == total_macs(graph) == DSCNN_MACS
    # per layer: the stem, then depthwise / pointwise pairs, then the classifier
    nonzero = [m for m in column if m]
    assert nonzero == [DSCNN_STEM] + [25 * 5 * 64 * 9, 25 * 5 * 64 * 64] * 4 + [DSCNN_FC]
    assert stdout.startswith("model dscnn:")


def test_cli_inspect_memory_prints_plan_and_peak():
    rc, stdout, _ = run_cli("inspect", DSCNN, "--memory")
    assert rc == 0
    _, graph = compile_example("dscnn")
    plan = graph.meta["memory"]
    line = next(l for l in stdout.splitlines() if l.startswith("memory plan:"))
    assert line.startswith(f"memory plan: arena {plan.arena_size} B")
    assert f"lower bound {plan.lower_bound} B" in line
    assert f"largest live set {plan.peak_live} B without in-place overlaps" in line
    # two 25x5x64 int8 maps live at once (a depthwise layer's input and output)
    assert plan.peak_live == 2 * 25 * 5 * 64
    assert "live bytes per op:" in stdout
    for b in plan.buffers:
        kind = ("scratch" if b.name.endswith(".scratch") else "input" if b.name in graph.inputs
                else "output" if b.name in graph.outputs else "tensor")
        assert re.search(rf"^{re.escape(b.name)}\s+{kind}\s+{b.offset}\s+{b.size}\s", stdout, flags=re.M), b.name


def test_cli_inspect_json_is_parseable(tmp_path):
    path = tmp_path / "stats.json"
    rc, stdout, _ = run_cli("inspect", MLP, "--json", path)
    assert rc == 0
    data = json.loads(path.read_text())
    assert data["model"] == "mlp"
    assert [layer["op"] for layer in data["layers"]] == ["fully_connected"] * 3
    assert sum(layer["macs"] for layer in data["layers"]) == mlp_macs_by_hand()
    assert data["layers"][0]["output_shape"] == [1, 128]
    assert data["arena_size"] >= data["peak_live"] > 0
    assert {b["name"] for b in data["buffers"]} >= {"input", "output"}
    assert "model mlp:" in stdout                        # the table is still printed


def test_cli_inspect_ir_prints_the_ir():
    rc, stdout, _ = run_cli("inspect", MLP, "--ir")
    assert rc == 0
    assert stdout.startswith("graph mlp\n")
    assert "input  %input: int8[1, 64]" in stdout
    assert stdout.count("= fully_connected(") == 3
    assert "kernel=tg_fully_connected_s8" in stdout
    assert stdout.rstrip().endswith("return %output")
    assert "MACs" not in stdout                          # the IR instead of the table


def test_cli_inspect_random_calibration_warns_on_stderr():
    rc, stdout, err = run_cli("inspect", MLP, "--calib", "random")
    assert rc == 0
    assert "warning: calibrating on random data" in err
    assert "warning" not in stdout


def test_cli_inspect_model_without_calibration_data_is_silent(tmp_path):
    model = tmp_path / "nocalib.py"
    model.write_text(MLP.read_text().split("def calibration_data")[0])
    shutil.copy(MLP.parent / "_untrained.py", tmp_path)         # the example's sibling import
    rc, stdout, err = run_cli("inspect", model)
    assert rc == 0
    assert err == ""
    assert "model nocalib:" in stdout


# -- boards --------------------------------------------------------------------------------


def test_cli_boards_lists_host():
    rc, stdout, _ = run_cli("boards")
    assert rc == 0
    rows = [line.split() for line in stdout.splitlines()[2:]]
    host = next(r for r in rows if r and r[0] == "host")
    assert host[1] == "native"
    expected = "build ✓," if shutil.which("gcc") and shutil.which("make") else "build ✗"
    assert " ".join(host[7:9]) == expected


def test_cli_boards_lists_the_arduino_boards():
    """The Arduino boards of issue 71: each row names its core, clock, the flash and RAM left to
    the image (after the Arduino bootloader and mbed core) and its stand-in."""
    rc, stdout, _ = run_cli("boards")
    assert rc == 0
    rows = {line.split()[0]: line for line in stdout.splitlines()[2:] if line.strip()}
    for name, row in (("nano33ble", r"cortex-m4\s+64 MHz\s+960\.0 KiB\s+255\.5 KiB\s+mps2-an386"),
                      ("portenta-h7", r"cortex-m7\s+480 MHz\s+768\.0 KiB\s+512\.0 KiB\s+mps2-an500"),
                      ("nicla-vision", r"cortex-m7\s+480 MHz\s+1\.75 MiB\s+512\.0 KiB\s+mps2-an500")):
        assert re.search(row, rows[name]), rows[name]


def test_cli_build_module_name_with_comment_opener(tmp_path):
    model = tmp_path / "odd_names.py"
    model.write_text(
        "import torch\n"
        "from torch import nn\n\n\n"
        "class Net(nn.Module):\n"
        "    def __init__(self):\n"
        "        super().__init__()\n"
        "        self.add_module('see/*notes', nn.Linear(8, 4))\n\n"
        "    def forward(self, x):\n"
        "        return getattr(self, 'see/*notes')(x)\n\n\n"
        "def model():\n"
        "    torch.manual_seed(0)\n"
        "    return Net().eval()\n\n\n"
        "def example_input():\n"
        "    return torch.randn(1, 8)\n\n\n"
        "def calibration_data():\n"
        "    return torch.randn(16, 8)\n")
    rc, _, err = run_cli("build", model, "--board", "host", "-q", "-o", tmp_path / "out")
    assert rc == 0, err


def test_warned_once_shows_the_first_warning_of_its_kind():
    import warnings

    from tinygen.calib import CalibrationWarning
    from tinygen.fit.compile import warned_once

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with warned_once(CalibrationWarning):
            for _ in range(3):
                warnings.warn("calibrating on random data", CalibrationWarning)
            warnings.warn("another kind", UserWarning)
        warnings.warn("after the block", CalibrationWarning)
    assert [str(w.message) for w in caught] == ["calibrating on random data", "another kind", "after the block"]


@pytest.mark.skipif(shutil.which("qemu-system-arm") is None or shutil.which("arm-none-eabi-gcc") is None,
                    reason="needs qemu-system-arm and arm-none-eabi-gcc (make toolchain): kernels auto measures")
def test_build_calib_random_warns_once(tmp_path):
    """--calib random on a Cortex-M board: kernels auto's variants and the fit calibrate again;
    the warning is printed once (it was three times and more)."""
    rc, _, err = run_cli("build", MLP, "--board", "f746zg", "--calib", "random", "-q", "-o", tmp_path / "out")
    assert rc == 0, err
    assert err.count("calibrating on random data") == 1, err
