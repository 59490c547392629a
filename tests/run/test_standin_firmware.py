"""The kernel harnesses' builds (benchmarks/standin_firmware.py): the kernels and the port come
from tinygen's object cache, the generated main.c is compiled in the work folder."""

from __future__ import annotations

import shutil
import subprocess
import sys

import pytest

from e2e import ROOT
from tinygen.board import get_board

sys.path.insert(0, str(ROOT / "benchmarks"))
from standin_firmware import KERNEL_INCLUDES, PORTS, _objects  # noqa: E402

from tinygen.resources import firmware_path  # noqa: E402

pytestmark = pytest.mark.skipif(shutil.which("arm-none-eabi-gcc") is None, reason="needs arm-none-eabi-gcc")


def test_harness_kernels_compile_once_into_the_object_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("TINYGEN_CACHE_DIR", str(tmp_path / "cache"))
    board = get_board("f746zg")
    flags = [*board.cflags, *KERNEL_INCLUDES, f"-I{PORTS / 'cortexm'}"]
    kernel = firmware_path("kernels/tg_conv2d_s8.c")
    built = []
    for run in ("a", "b"):
        work = tmp_path / run
        work.mkdir()
        (work / "main.c").write_text(f"int main(void) {{ return {len(built)}; }}\n")
        built.append(_objects(board.cc, flags, [work / "main.c", kernel], work))
    (main_a, kernel_a), (main_b, kernel_b) = built
    assert main_a.startswith(str(tmp_path / "a")) and main_b.startswith(str(tmp_path / "b"))
    assert kernel_a == kernel_b and kernel_a.startswith(str(tmp_path / "cache"))        # one object, cached
    compiled = tmp_path / "plain.o"
    subprocess.run([board.cc, *flags, "-c", str(kernel), "-o", str(compiled)], check=True)
    assert compiled.read_bytes() == open(kernel_a, "rb").read()                      # as gcc compiles it


def test_harness_compile_error_is_reported(tmp_path, monkeypatch):
    monkeypatch.setenv("TINYGEN_CACHE_DIR", str(tmp_path / "cache"))
    board = get_board("f746zg")
    (tmp_path / "main.c").write_text("int main(void) { return missing; }\n")
    with pytest.raises(RuntimeError, match="firmware build failed"):
        _objects(board.cc, list(board.cflags), [tmp_path / "main.c"], tmp_path)
