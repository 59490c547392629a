"""Optional packages: pyproject's extras pin what requirements.txt (and requirements-toolchains.txt) pins, every third-party import in
tinygen/ is named in tinygen.optional, and a command whose package is missing is refused in one
line naming its `pip install 'tinygen[...]'` (the packages hidden by tests/without_packages.py)."""

from __future__ import annotations

import ast
import importlib.metadata
import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from tinygen.optional import PACKAGES

ROOT = Path(__file__).resolve().parent.parent
KWS = ROOT / "examples" / "mlperf-tiny" / "kws_dscnn_int8.tflite"
DSCNN = ROOT / "examples" / "models" / "dscnn.py"
# everything a base install plus the `tflite` extra lacks
NOT_IN_TFLITE_INSTALL = sorted(set(PACKAGES) - {"tflite", "flatbuffers", "tflite_micro"})


def _pins() -> dict[str, str]:
    pins = {}
    lines = [line for name in ("requirements.txt", "requirements-toolchains.txt")
             for line in (ROOT / name).read_text().splitlines()]
    for line in lines:
        line = line.split("#")[0].strip()
        if line:
            name, version = line.split("==")
            pins[_norm(name)] = version
    return pins


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _project() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]


def test_extras_pin_what_requirements_pins():
    project, pins = _project(), _pins()
    assert [d.split(">=")[0] for d in project["dependencies"]] == ["numpy", "jinja2"]
    extras = project["optional-dependencies"]
    assert {"torch", "tflite", "onnx", "all"} <= set(extras)
    assert extras["torch"] == ["torch==2.13.0"]
    for extra, reqs in extras.items():
        if extra == "all":
            continue
        for req in reqs:
            name, version = req.split("==")
            assert pins.get(_norm(name)) == version, f"[{extra}] {req}: requirements.txt pins {pins.get(_norm(name))}"
    everything = re.fullmatch(r"tinygen\[(.*)\]", extras["all"][0]).group(1).split(",")
    assert len(extras["all"]) == 1 and sorted(everything) == sorted(set(extras) - {"all"})


def test_every_optional_module_is_in_its_extra():
    extras = _project()["optional-dependencies"]
    for module, (package, extra, _) in PACKAGES.items():
        listed = [_norm(r.split("==")[0]) for r in extras[extra]]
        # a package the extra's own packages require (scipy with scikit-learn, pillow with matplotlib)
        pulled = {_norm(re.split(r"[ ;<>=!~\[(]", r, maxsplit=1)[0])
                  for name in listed for r in importlib.metadata.requires(name) or [] if "extra ==" not in r}
        assert _norm(package) in set(listed) | pulled, f"{module}: {package} is not in [{extra}]"


def test_every_third_party_import_is_named():
    """A module tinygen imports that a base install lacks must be in tinygen.optional.PACKAGES, so that
    its absence is refused in one line (usb: mlperf_runner finds no USB device without pyusb)."""
    found = {}
    for path in (ROOT / "tinygen").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                names = [node.module]
            else:
                continue
            for name in names:
                found.setdefault(name.split(".")[0], path.relative_to(ROOT).as_posix())
    third = {m: p for m, p in found.items()
             if m not in sys.stdlib_module_names and m not in ("tinygen", "numpy", "jinja2", "__future__", "usb")}
    assert {"torch", "tflite", "onnx"} <= set(third)
    assert set(third) <= set(PACKAGES), {m: p for m, p in third.items() if m not in PACKAGES}


def tinygen_without(blocked: list[str], *args: str, cwd: Path, log: Path | None = None):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    if log is not None:
        env["TINYGEN_BLOCKED_LOG"] = str(log)
    return subprocess.run([sys.executable, str(ROOT / "tests" / "without_packages.py"), ",".join(blocked), "--",
                           *args], capture_output=True, text=True, cwd=cwd, env=env, timeout=300)


def one_line(proc, command: str, extra: str, package: str) -> str:
    assert proc.returncode == 1, proc.stdout + proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith(f"tinygen {command}: error: ") and "Traceback" not in proc.stderr
    assert f"need the {package} package, which is not installed: pip install 'tinygen[{extra}]'" in lines[0]
    return lines[0]


def test_pytorch_model_without_torch(tmp_path):
    proc = tinygen_without(["torch"], "inspect", str(DSCNN), cwd=tmp_path)
    line = one_line(proc, "inspect", "torch", "torch")
    assert line == ("tinygen inspect: error: PyTorch models (.py, .pt2) need the torch package, which is not "
                    "installed: pip install 'tinygen[torch]'")


def test_tflite_model_without_tflite(tmp_path):
    out = tmp_path / "out"
    proc = tinygen_without(["tflite"], "build", str(KWS), "--board", "host", "-q", "-o", str(out), cwd=tmp_path)
    one_line(proc, "build", "tflite", "tflite")
    assert not out.exists()


def test_onnx_model_without_onnx(tmp_path):
    model = tmp_path / "m.onnx"
    model.write_bytes(b"\x08\x07")
    one_line(tinygen_without(["onnx", "onnxruntime"], "inspect", str(model), cwd=tmp_path), "inspect", "onnx", "onnx")


def test_hil_plot_without_matplotlib_before_any_work(tmp_path):
    log = tmp_path / "blocked.txt"
    proc = tinygen_without(["matplotlib"], "hil", str(KWS), "--board", "host", "--data", "absent.npz", "--plot",
                           "p.png", cwd=tmp_path, log=log)
    one_line(proc, "hil", "hil", "matplotlib")
    assert "loading" not in proc.stdout + proc.stderr      # refused before the model is read


def test_sweep_without_pyyaml(tmp_path):
    """A package imported deep inside a command (the sweep file's reader) is refused the same way."""
    proc = tinygen_without(["yaml"], "sweep", str(ROOT / "examples" / "sweep" / "digits.yaml"), "--out",
                           str(tmp_path / "sweep"), cwd=tmp_path)
    one_line(proc, "sweep", "sweep", "PyYAML")


def test_tflite_build_imports_no_other_optional_package(tmp_path):
    """A .tflite builds for the host with only numpy, jinja2 and the `tflite` extra: the command line
    never tries torch, onnx, pyserial, matplotlib... (at start-up or later)."""
    log = tmp_path / "blocked.txt"
    out = tmp_path / "kws"
    proc = tinygen_without(NOT_IN_TFLITE_INSTALL, "build", str(KWS), "--board", "host", "-o", str(out),
                           cwd=tmp_path, log=log)
    assert proc.returncode == 0, proc.stderr
    assert (out / "tinygen.json").is_file() and (out / "tg_runner").is_file()
    tried = sorted(set(log.read_text().split())) if log.exists() else []
    assert tried == [], f"a .tflite build tried to import {tried}"


def test_inspect_plot_without_matplotlib_before_the_compile(tmp_path):
    log = tmp_path / "blocked.txt"
    proc = tinygen_without(["matplotlib", "torch"], "inspect", str(DSCNN), "--plot", "m.png", cwd=tmp_path, log=log)
    one_line(proc, "inspect", "hil", "matplotlib")
    assert log.read_text().split() == ["matplotlib"]        # refused before the model (torch) was touched
