"""The hil/ pytest suites themselves, run as a user would: `pytest hil --board
f746zg --emulate` in a subprocess, so that CI exercises the suite (options,
fixtures, every test) against the Cortex-M7 stand-in."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("qemu-system-arm") is None or shutil.which("arm-none-eabi-gcc") is None,
                    reason="needs qemu-system-arm and arm-none-eabi-gcc (make toolchain)")
def test_hil_suite_f746zg_emulate(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "pytest", "hil", "--board", "f746zg", "--emulate", "-q",
                           "-p", "no:cacheprovider", "--basetemp", str(tmp_path / "t"), "-rs"],
                          # a backstop only: the suite's own deadlines follow the stand-in's work
                          # (tinygen.hil.deadline), so a loaded machine makes it slower, not failed
                          cwd=ROOT, capture_output=True, text=True, timeout=3600,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    tail = proc.stdout[-3000:] + proc.stderr[-2000:]
    assert proc.returncode == 0, tail
    summary = re.search(r"(\d+) passed", proc.stdout)
    assert summary and int(summary.group(1)) >= 12, tail
    assert "failed" not in proc.stdout.splitlines()[-1] and "skipped" not in proc.stdout.splitlines()[-1], tail
