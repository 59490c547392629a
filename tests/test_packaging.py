"""The wheel ships everything a build needs, and an installed tinygen finds it.

The wheel is built from a copy of the sources (so that setuptools' build/ and
*.egg-info do not land in the checkout) with the venv's own pip and
`--no-build-isolation`: build isolation would download setuptools, and the
tests run offline. The venv has setuptools (it installed tinygen editable);
if it ever lacks it, the test skips rather than install anything.

The installed copy is then run with `python -S` (no site-packages, so no
editable-install hook pointing back at the checkout) and
PYTHONPATH = the install target + the venv's site-packages (numpy, jinja2,
torch), from a working directory outside the repository.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
MLP = ROOT / "examples" / "models" / "mlp.py"
SOURCES = ("pyproject.toml", "README.md", "tinygen", "templates", "firmware", "boards")


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    pytest.importorskip("setuptools", reason="building the wheel offline needs setuptools in the venv")
    src = tmp_path_factory.mktemp("src")
    for name in SOURCES:
        path = ROOT / name
        if path.is_dir():
            shutil.copytree(path, src / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        elif path.exists():
            shutil.copy2(path, src / name)
    out = tmp_path_factory.mktemp("wheel")
    proc = subprocess.run([sys.executable, "-m", "pip", "wheel", str(src), "--no-deps", "--no-build-isolation",
                           "--no-index", "-w", str(out), "-q"], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    wheels = list(out.glob("tinygen-*.whl"))
    assert len(wheels) == 1, wheels
    return wheels[0]


@pytest.fixture(scope="module")
def installed(wheel, tmp_path_factory) -> Path:
    target = tmp_path_factory.mktemp("site")
    proc = subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "--no-index", "--target",
                           str(target), str(wheel), "-q"], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return target


def run_installed(installed: Path, cwd: Path, *args: str) -> subprocess.CompletedProcess:
    site = sysconfig.get_paths()["purelib"]
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    env["PYTHONPATH"] = os.pathsep.join([str(installed), site])
    return subprocess.run([sys.executable, "-S", *args], capture_output=True, text=True, cwd=cwd, env=env,
                          timeout=300)


def wheel_names(wheel: Path) -> set[str]:
    with zipfile.ZipFile(wheel) as z:
        return set(z.namelist())


def test_wheel_contains_templates_kernels_and_boards(wheel):
    names = wheel_names(wheel)
    for folder, pattern_files in (("templates", (ROOT / "templates").glob("*.j2")),
                                  ("firmware/kernels", (ROOT / "firmware" / "kernels").glob("*/*")),
                                  ("firmware/audio", (ROOT / "firmware" / "audio").glob("*.[ch]")),
                                  ("firmware/libm", (ROOT / "firmware" / "libm").glob("*.c")),
                                  ("firmware/ports", (ROOT / "firmware" / "ports").glob("*/*.[chS]")),
                                  ("boards", (ROOT / "boards").glob("*.toml"))):
        expected = {f"tinygen/{folder}/{p.relative_to(ROOT / folder).as_posix()}" for p in pattern_files}
        assert expected, folder
        assert expected <= names, f"missing from the wheel: {sorted(expected - names)}"
    assert "tinygen/templates/model.c.j2" in names
    assert "tinygen/firmware/kernels/support/tg_kernels.h" in names
    assert "tinygen/firmware/kernels/support/tg_requant.h" in names
    assert "tinygen/boards/host.toml" in names
    assert "tinygen/cli/__init__.py" in names and "tinygen/passes/plan_memory.py" in names
    with zipfile.ZipFile(wheel) as z:
        entry_points = z.read(next(n for n in names if n.endswith("entry_points.txt"))).decode()
    assert "tinygen = tinygen.__main__:run" in entry_points


def test_wheel_contains_every_python_module(wheel):
    names = wheel_names(wheel)
    modules = {p.relative_to(ROOT).as_posix() for p in (ROOT / "tinygen").rglob("*.py")}
    assert modules, "no modules found"
    assert modules <= names, f"missing from the wheel: {sorted(modules - names)}"


def test_wheel_contains_host_runner(wheel):
    assert "tinygen/firmware/host/tg_host_runner.c" in wheel_names(wheel)


def test_installed_resources_resolve_inside_the_install(installed, tmp_path):
    code = ("import tinygen, tinygen.resources as r; print(tinygen.__file__); "
            "print(r.data_dir('templates')); print(r.data_dir('firmware')); print(r.data_dir('boards')); "
            "print(r.firmware_path('kernels/tg_conv2d_s8.c'))")
    proc = run_installed(installed, tmp_path, "-c", code)
    assert proc.returncode == 0, proc.stderr
    lines = [Path(line) for line in proc.stdout.split()]
    assert len(lines) == 5
    for path in lines:
        assert path.is_relative_to(installed), f"{path} is not inside {installed}"
        assert not path.is_relative_to(ROOT)
    assert (lines[1] / "model.c.j2").is_file()
    assert (lines[2] / "kernels" / "conv" / "tg_conv2d_s8.c").is_file()
    assert lines[4] == lines[2] / "kernels" / "conv" / "tg_conv2d_s8.c"      # the kernel resolver, installed


def test_installed_package_renders_a_project(installed, tmp_path):
    """Render (not compile) the C project from the installed templates and kernels."""
    out = tmp_path / "render"
    code = f"""
import sys
from pathlib import Path
from tinygen.board import get_board
from tinygen.compiler import compile_source, load_source
from tinygen.codegen import project
source = load_source({str(MLP)!r})
graph = compile_source(source)
dest = Path({str(out)!r}); dest.mkdir()
host = get_board("host")
print(host.path)
# a board without the host runner: templates and kernels only
board = type(host)(**{{**host.__dict__, "build": "none"}})
project.write_project(graph, dest, source.name, source.source_hash, board)
"""
    proc = run_installed(installed, tmp_path, "-c", code)
    assert proc.returncode == 0, proc.stderr
    assert Path(proc.stdout.split()[0]).is_relative_to(installed)
    for name in ("model.h", "model.c", "weights.h", "weights.c", "tinygen.json",
                 "tinygen/kernels/tg_fully_connected_s8.c", "tinygen/kernels/tg_kernels.h"):
        assert (out / name).is_file(), name
    assert "do not edit" in (out / "model.c").read_text()


def test_installed_cli_builds_for_the_host(installed, tmp_path):
    out = tmp_path / "mlp"
    proc = run_installed(installed, tmp_path, "-m", "tinygen", "build", str(MLP), "--board", "host", "-q",
                         "-o", str(out))
    assert proc.returncode == 0, proc.stderr[-3000:]
    for name in ("model.c", "Makefile", "libtgmodel.so", "tg_runner"):
        assert (out / name).is_file(), name


def test_installed_cli_version_and_boards(installed, tmp_path):
    proc = run_installed(installed, tmp_path, "-m", "tinygen", "boards")
    assert proc.returncode == 0, proc.stderr
    assert "host" in proc.stdout
    from tinygen import __version__

    proc = run_installed(installed, tmp_path, "-m", "tinygen", "--version")
    assert proc.stdout.strip() == f"tinygen {__version__}"


KWS = ROOT / "examples" / "mlperf-tiny" / "kws_dscnn_int8.tflite"


@pytest.mark.slow
def test_wheel_with_tflite_extra_builds_a_tflite_in_a_fresh_venv(wheel, tmp_path):
    """What a user without torch does: a new venv, `pip install 'tinygen[tflite]'` (from the package
    index pip is configured with, as make setup installs), then `tinygen build model.tflite --board
    host`. The install must work here: a failed one fails the test. A PyTorch model in that venv is
    refused in one line naming the torch extra."""
    venv = tmp_path / "venv"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV"))}
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, capture_output=True, timeout=300)
    py = venv / "bin" / "python"
    proc = subprocess.run([str(py), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-compile",
                           f"{wheel}[tflite]"], capture_output=True, text=True, env=env, timeout=600)
    assert proc.returncode == 0, "pip install 'tinygen[tflite]' failed:\n" + proc.stdout + proc.stderr
    proc = subprocess.run([str(py), "-c", "import importlib.util as u; print(u.find_spec('torch'), "
                           "u.find_spec('tflite') is not None)"], capture_output=True, text=True, env=env)
    assert proc.stdout.split() == ["None", "True"], proc.stdout + proc.stderr
    tinygen = str(venv / "bin" / "tinygen")
    out = tmp_path / "kws"
    proc = subprocess.run([tinygen, "build", str(KWS), "--board", "host", "-o", str(out)], capture_output=True,
                          text=True, cwd=tmp_path, env=env, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    for name in ("model.c", "weights.c", "tinygen.json", "tg_runner"):
        assert (out / name).is_file(), name
    proc = subprocess.run([tinygen, "inspect", str(ROOT / "examples" / "models" / "dscnn.py")], capture_output=True,
                          text=True, cwd=tmp_path, env=env, timeout=300)
    assert proc.returncode == 1 and proc.stderr.strip().splitlines() == [
        "tinygen inspect: error: PyTorch models (.py, .pt2) need the torch package, which is not installed: "
        "pip install 'tinygen[torch]'"], proc.stderr
