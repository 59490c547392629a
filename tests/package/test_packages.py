"""`--package` repeated: one compile writes every package asked for, each a packaging of the
same emitted C (the library's own files, byte for byte), all owned by the build (a rebuild
without them takes them away), and a package the board cannot have is refused before any work."""

from __future__ import annotations

import json
import re
import zipfile
from pathlib import Path

import pytest

from e2e import run_cli
from mlperf_models import mlperf_model


@pytest.fixture(scope="module")
def packaged(tmp_path_factory):
    out = tmp_path_factory.mktemp("pkg") / "kws"
    rc, stdout, stderr = run_cli("build", mlperf_model("kws_dscnn"), "--board", "nano33ble", "--name", "kws",
                                 "--package", "arduino", "--package", "zephyr", "--package", "cmsis-pack",
                                 "--package", "arduino", "-o", out)
    assert rc == 0, stderr
    return out, stdout, stderr


def _library_files(lib: Path) -> dict[str, bytes]:
    """The library's C: include/NAME.h and src/*, by file name."""
    files = {p.name: p.read_bytes() for p in (lib / "src").iterdir()}
    files["kws.h"] = (lib / "include" / "kws.h").read_bytes()
    return files


def test_packages_from_one_compile_hold_the_librarys_own_c(packaged):
    lib, stdout, stderr = packaged
    assert stderr.count("generating C") == 1, stderr             # one compile, one code generation
    assert re.search(r"packaging library kws: arduino, zephyr, cmsis-pack\n", stderr), stderr
    manifest = json.loads((lib / "tinygen.json").read_text())
    assert list(manifest["packages"]) == ["arduino", "zephyr", "cmsis-pack"]     # each once, in order
    assert manifest["packages"]["arduino"] == ["kws.zip"]
    for files in manifest["packages"].values():                 # the build owns every package file
        assert set(files) <= set(manifest["files"]), files
    c_files = _library_files(lib)

    with zipfile.ZipFile(lib / "kws.zip") as z:                 # Arduino: src/ flat, the header beside
        arduino = {Path(n).name: z.read(n) for n in z.namelist() if n.startswith("kws/src/") and not n.endswith("/")}
    assert arduino == c_files
    [pack_name] = manifest["packages"]["cmsis-pack"]
    with zipfile.ZipFile(lib / pack_name) as z:
        pack = {Path(n).name: z.read(n) for n in z.namelist() if n.startswith(("src/", "include/")) and not n.endswith("/")}
    assert pack == c_files
    cmake = (lib / "zephyr" / "CMakeLists.txt").read_text()     # Zephyr compiles the folder's own src/
    named = set(re.findall(r"src/([\w.]+\.c)", cmake))
    assert named == {n for n in c_files if n.endswith(".c")}
    for kind in ("arduino:", "zephyr:", "cmsis-pack:"):
        assert f"  {kind} " in stdout, stdout


def test_rebuild_without_packages_takes_them_away(packaged, tmp_path):
    lib, _, _ = packaged
    copy = tmp_path / "kws"
    rc, _, stderr = run_cli("build", mlperf_model("kws_dscnn"), "--board", "nano33ble", "--library", "--name", "kws",
                            "--package", "zephyr", "-o", copy)
    assert rc == 0, stderr
    assert (copy / "zephyr" / "module.yml").is_file()
    rc, _, stderr = run_cli("build", mlperf_model("kws_dscnn"), "--board", "nano33ble", "--library", "--name", "kws",
                            "-o", copy)
    assert rc == 0, stderr
    left = sorted(str(p.relative_to(copy)) for p in copy.rglob("*") if p.is_file())
    assert not [p for p in left if p.startswith(("zephyr/", "samples/"))], left
    assert "packages" not in json.loads((copy / "tinygen.json").read_text())


@pytest.mark.parametrize("board, packages, message", [
    ("esp32-c3", ("esp-idf", "cmsis-pack"), "cmsis-pack"),
    ("f746zg", ("zephyr", "esp-idf"), "esp-idf"),
    ("esp32-c3", ("arduino",), "arduino"),
])
def test_a_package_the_board_cannot_have_is_refused_before_any_work(tmp_path, board, packages, message):
    out = tmp_path / "out"
    argv = [a for p in packages for a in ("--package", p)]
    rc, stdout, stderr = run_cli("build", mlperf_model("kws_dscnn"), "--board", board, *argv, "-o", out)
    assert rc == 2, stderr
    first = stderr.strip().splitlines()[0]
    assert first.startswith("tinygen build: error:") and message in first, stderr
    assert "Traceback" not in stderr and "generating C" not in stderr, stderr
    assert not out.exists()
